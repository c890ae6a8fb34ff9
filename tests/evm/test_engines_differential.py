"""Every engine against the reference interpreter, outcome by outcome.

Two sources of programs:

- state tests: up to four files of every folder of GeneralStateTests (the first, the last and two
  evenly between), up to four Cancun cases of each (chosen the same way). Each case runs as a
  transaction on a copy of its pre-state; status, gas used, refund, output, logs and the state root
  must equal the reference's.
- generated programs (hypothesis): bytecode assembled from fragments chosen to reach the corners —
  edge-value operands, valid and invalid jumps, memory at huge offsets, storage and transient
  storage, calls to precompiles and to other contracts of the pre-state (which return, revert, write
  storage, loop forever or self-destruct, or delegate by EIP-7702 designators), CLZ, creates, logs, reverts — run as a call with a gas limit
  drawn anywhere up to what the program uses, so it runs out of gas at every kind of point, under
  each executable fork. Status, output, gas left, the whole resulting state, logs, refund and
  transient storage must agree.

The engines are ENGINE_NAMES, so a new engine joins by registering.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jitvm.evm.calls import CALLER_ADDRESS, CALLER_BALANCE, CONTRACT_ADDRESS, call_code
from jitvm.evm.engines import ENGINE_NAMES, get_engine
from jitvm.evm.jit.engine import JitEngine
from jitvm.evm.forks import EXECUTABLE_FORKS, get_fork
from jitvm.evm.opcodes import opcode_table
from jitvm.evm.roots import logs_hash, state_root
from jitvm.evm.state import Account, State
from jitvm.evm.statetest import load_cases
from jitvm.evm.transaction import InvalidTransaction, apply_transaction
from tests.conftest import FIXTURES

STATE_TESTS = FIXTURES / "evm" / "GeneralStateTests"
OTHER_ENGINES = [name for name in ENGINE_NAMES if name != "reference"]
# "auto" as registered compiles a code after 64 frames: too late for tests that run each code a few
# times. This one compiles it (in the background) at its second frame, so frames of the same code run
# on the baseline, are queued, and run compiled, and all must agree.
EAGER_AUTO = JitEngine(hot_calls=1, background=True)


def engine_for(name: str):
    return EAGER_AUTO if name == "auto" else get_engine(name)
FILES_PER_FOLDER = 4
CASES_PER_FILE = 4
# Files whose chosen cases take over ten seconds on the reference interpreter; the next file of the
# folder stands in for them.
SLOW_FILES = {
    "VMTests/vmPerformance/loopExp.json",
    "VMTests/vmPerformance/loopMul.json",
    "stPreCompiledContracts2/CALLCODEBlake2f.json",
    "stTimeConsuming/CALLBlake2f_MaxRounds.json",
    "stTimeConsuming/static_Call50000_sha256.json",
}


# -- state tests ----------------------------------------------------------------------------------


def _chosen_files() -> list[str]:
    if not STATE_TESTS.is_dir():
        return []
    by_folder = defaultdict(list)
    for path in sorted(STATE_TESTS.rglob("*.json")):
        by_folder[path.parent].append(str(path.relative_to(STATE_TESTS)))
    chosen = []
    for files in by_folder.values():
        chosen.extend(_spread([name for name in files if name not in SLOW_FILES], FILES_PER_FOLDER))
    return chosen


def _spread(items: list, count: int) -> list:
    """Up to `count` items: the first, the last, and evenly between."""
    if len(items) <= count:
        return items
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


@lru_cache(maxsize=None)
def _cases(name: str) -> tuple:
    cases = [case for case in load_cases(STATE_TESTS / name) if case.fork == "Cancun" and case.transaction]
    return tuple(_spread(cases, CASES_PER_FILE))


def transaction_outcome(case, engine_name: str) -> dict:
    """Everything a transaction leaves behind, in a form that compares with ==."""
    state = State({address: account.copy() for address, account in case.pre.items()})
    try:
        result = apply_transaction(state, case.block, case.transaction, get_fork(case.fork),
                                   engine=engine_for(engine_name))
    except InvalidTransaction as rejection:
        return {"rejected": rejection.code, "state_root": state_root(state.accounts)}
    return {
        "status": result.status,
        "gas_used": result.gas_used,
        "gas_refunded": result.gas_refunded,
        "output": result.output,
        "logs_hash": logs_hash(result.logs),
        "state_root": state_root(state.accounts),
    }


@lru_cache(maxsize=None)
def _reference_outcomes(name: str) -> tuple:
    return tuple(transaction_outcome(case, "reference") for case in _cases(name))


def test_the_chosen_files_represent_every_folder():
    if not STATE_TESTS.is_dir():
        pytest.skip(f"fixtures not found: {STATE_TESTS}")
    folders = {path.parent for path in STATE_TESTS.rglob("*.json")}
    assert folders == {(STATE_TESTS / name).parent for name in _chosen_files()}


@pytest.mark.parametrize("name", _chosen_files() or [pytest.param("", marks=pytest.mark.skip("no fixtures"))])
@pytest.mark.parametrize("engine_name", OTHER_ENGINES)
def test_state_tests_agree_with_reference(engine_name, name):
    cases = _cases(name)
    if not cases:
        pytest.skip("no Cancun cases with an encodable transaction")
    expected = _reference_outcomes(name)
    for case, reference in zip(cases, expected):
        assert transaction_outcome(case, engine_name) == reference, case.label


# -- generated programs ---------------------------------------------------------------------------

OP = {name: opcode.byte for name, opcode in opcode_table("Osaka").by_name.items()}  # CLZ is undefined before
PRECOMPILES = [n.to_bytes(20, "big") for n in sorted(get_fork("Osaka").precompiles)]


def assemble(*parts) -> bytes:
    """Bytecode from mnemonics, ints (pushed with the shortest PUSH) and raw bytes."""
    code = bytearray()
    for part in parts:
        if isinstance(part, str):
            code.append(OP[part])
        elif isinstance(part, bytes):
            code += part
        else:
            code += push(part)
    return bytes(code)


def push(value: int) -> bytes:
    value %= 1 << 256
    size = max(1, (value.bit_length() + 7) // 8)
    return bytes([OP["PUSH1"] + size - 1]) + value.to_bytes(size, "big")


RETURNER = bytes.fromhex("00000000000000000000000000000000000a0001")
REVERTER = bytes.fromhex("00000000000000000000000000000000000a0002")
WRITER = bytes.fromhex("00000000000000000000000000000000000a0003")
SPINNER = bytes.fromhex("00000000000000000000000000000000000a0004")
DESTRUCTOR = bytes.fromhex("00000000000000000000000000000000000a0005")
REENTRANT = bytes.fromhex("00000000000000000000000000000000000a0006")
EOA = bytes.fromhex("00000000000000000000000000000000000a0007")
ABSENT = bytes.fromhex("00000000000000000000000000000000000a00ff")
# EIP-7702 designators (Prague on): calls run the delegate's code, EXTCODE* see the designator.
DELEGATED = bytes.fromhex("00000000000000000000000000000000000a0008")
DELEGATED_TO_PRECOMPILE = bytes.fromhex("00000000000000000000000000000000000a0009")
CALLEES = [RETURNER, REVERTER, WRITER, SPINNER, DESTRUCTOR, REENTRANT, EOA, ABSENT, CONTRACT_ADDRESS,
           DELEGATED, DELEGATED_TO_PRECOMPILE, *PRECOMPILES]

CALLEE_CODE = {
    # Returns the 32 bytes CALLER + CALLVALUE + its calldata's first word.
    RETURNER: assemble("CALLER", "CALLVALUE", "ADD", 0, "CALLDATALOAD", "ADD", 0, "MSTORE", 32, 0, "RETURN"),
    # Reverts with 8 bytes of data after touching storage.
    REVERTER: assemble(7, 1, "SSTORE", 0xDEADBEEF, 0, "MSTORE", 8, 24, "REVERT"),
    # Writes two slots, logs, and stops (fails inside STATICCALL).
    WRITER: assemble("CALLVALUE", 1, "SSTORE", "GAS", 2, "SSTORE", 5, 0, "LOG0", 9, 3, "TSTORE"),
    # Loops until it runs out of gas.
    SPINNER: assemble("JUMPDEST", 0, "JUMP"),
    DESTRUCTOR: assemble("CALLER", "SELFDESTRUCT"),
    # Calls the main contract back with half its gas, passing its calldata on.
    REENTRANT: assemble("CALLDATASIZE", 0, 0, "CALLDATACOPY", 0, 0, "CALLDATASIZE", 0, 0,
                        int.from_bytes(CONTRACT_ADDRESS, "big"), 2, "GAS", "DIV", "CALL", 0, "SSTORE"),
    DELEGATED: b"\xef\x01\x00" + WRITER,
    DELEGATED_TO_PRECOMPILE: b"\xef\x01\x00" + (4).to_bytes(20, "big"),
}

EDGE_VALUES = [
    0, 1, 2, 31, 32, 33, 255, 256, 2**31, 2**32, 2**63, 2**64 - 1, 2**64, 2**128, 2**255, 2**255 - 1,
    2**256 - 1, 2**256 - 32, 2**60, 2**60 - 1,
]
SMALL_OFFSETS = [0, 1, 31, 32, 64, 100, 1000, 4096, 20000]
HUGE_OFFSETS = [2**28 - 32, 2**28, 2**32, 2**64 - 1, 2**64, 2**255, 2**256 - 1]

words = st.one_of(st.sampled_from(EDGE_VALUES), st.integers(0, 2**256 - 1), st.integers(0, 300))
# Huge offsets and sizes end the program (out of gas), so they come up one time in five.
offsets = st.one_of(st.sampled_from(SMALL_OFFSETS), st.integers(0, 5000), st.sampled_from(SMALL_OFFSETS),
                    st.integers(0, 300), st.sampled_from(HUGE_OFFSETS))
sizes = st.one_of(st.sampled_from([0, 1, 32, 33, 64]), st.integers(0, 300), st.sampled_from([0, 32]),
                  st.integers(0, 100), st.sampled_from(HUGE_OFFSETS))
slots = st.integers(0, 4)
callees = st.sampled_from(CALLEES)
call_gas = st.one_of(st.integers(0, 30000), st.sampled_from([2**64, 2**256 - 1, 2300]))

WORD_OPS = ["ADD", "MUL", "SUB", "DIV", "SDIV", "MOD", "SMOD", "ADDMOD", "MULMOD", "EXP", "SIGNEXTEND",
            "LT", "GT", "SLT", "SGT", "EQ", "ISZERO", "AND", "OR", "XOR", "NOT", "BYTE", "SHL", "SHR", "SAR", "CLZ"]
ENV_OPS = ["ADDRESS", "BALANCE", "ORIGIN", "CALLER", "CALLVALUE", "CALLDATASIZE", "CODESIZE", "GASPRICE",
           "RETURNDATASIZE", "COINBASE", "TIMESTAMP", "NUMBER", "PREVRANDAO", "GASLIMIT", "CHAINID",
           "SELFBALANCE", "BASEFEE", "BLOBBASEFEE", "PC", "MSIZE", "GAS", "PUSH0"]


def _fragment_strategies():
    operand = words.map(push)
    return st.one_of(
        st.tuples(st.lists(words, min_size=1, max_size=3), st.sampled_from(WORD_OPS)).map(
            lambda t: b"".join(push(v) for v in t[0]) + bytes([OP[t[1]]])),
        st.sampled_from(ENV_OPS).map(lambda name: bytes([OP[name]])),
        st.sampled_from(["POP", "DUP1", "DUP3", "SWAP1", "SWAP2", "JUMPDEST"]).map(lambda n: bytes([OP[n]])),
        operand,
        st.integers(0, 255).map(lambda b: bytes([b])),  # any byte, defined or not
        st.tuples(words, offsets, st.sampled_from(["MSTORE", "MSTORE8"])).map(
            lambda t: assemble(*t)),
        st.tuples(offsets, st.sampled_from(["MLOAD", "CALLDATALOAD"])).map(lambda t: assemble(*t)),
        st.tuples(sizes, offsets, offsets, st.sampled_from(["CALLDATACOPY", "CODECOPY", "RETURNDATACOPY",
                                                           "MCOPY"])).map(
            lambda t: assemble(*t)),
        st.tuples(sizes, offsets).map(lambda t: assemble(*t, "KECCAK256")),
        st.tuples(words, slots, st.sampled_from(["SSTORE", "TSTORE"])).map(lambda t: assemble(*t)),
        st.tuples(slots, st.sampled_from(["SLOAD", "TLOAD"])).map(lambda t: assemble(*t)),
        st.tuples(callees, st.sampled_from(["BALANCE", "EXTCODESIZE", "EXTCODEHASH"])).map(
            lambda t: assemble(int.from_bytes(t[0], "big"), t[1])),
        st.tuples(sizes, offsets, offsets, callees).map(
            lambda t: assemble(t[0], t[1], t[2], int.from_bytes(t[3], "big"), "EXTCODECOPY")),
        st.tuples(st.integers(0, 260), st.sampled_from(["BLOCKHASH", "BLOBHASH"])).map(
            lambda t: assemble(*t)),
        st.tuples(st.integers(0, 4), sizes, offsets, st.lists(words, min_size=4, max_size=4)).map(
            lambda t: assemble(*t[3][: t[0]], t[1], t[2], f"LOG{t[0]}")),
        _calls(),
        _creates(),
        st.tuples(sizes, offsets, st.sampled_from(["RETURN", "REVERT"])).map(lambda t: assemble(*t)),
        callees.map(lambda address: assemble(int.from_bytes(address, "big"), "SELFDESTRUCT")),
    )


def _calls():
    def build(t):
        kind, gas, to, value, args_offset, args_size, out_offset, out_size = t
        operands = [out_size, out_offset, args_size, args_offset]
        if kind in ("CALL", "CALLCODE"):
            operands.append(value)
        return assemble(*operands, int.from_bytes(to, "big"), gas, kind)

    return st.tuples(
        st.sampled_from(["CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"]), call_gas, callees,
        st.sampled_from([0, 0, 1, 10**18, 2**255]),
        st.sampled_from([0, 32, 2**64]), st.sampled_from([0, 4, 32, 200]),
        st.sampled_from([0, 64, 2**64]), st.sampled_from([0, 8, 32, 100]),
    ).map(build)


def _creates():
    # Initcode returning the 3-byte runtime code 0x600100 (PUSH1 1 STOP), stored at memory 0.
    initcode = assemble(0x600100, 0, "MSTORE", 3, 29, "RETURN")
    store = assemble(int.from_bytes(initcode, "big"), 0, "MSTORE")
    start = 32 - len(initcode)

    def build(t):
        kind, value, salt, broken_size = t
        size = broken_size if broken_size is not None else len(initcode)
        if kind == "CREATE":
            return store + assemble(size, start, value, "CREATE")
        return store + assemble(salt, size, start, value, "CREATE2")

    return st.tuples(st.sampled_from(["CREATE", "CREATE2"]), st.sampled_from([0, 1, 2**200]), words,
                     st.sampled_from([None, None, 0, 1, 2**64, 49153])).map(build)


@st.composite
def programs(draw):
    """Code made of fragments, with jumps between them: PUSH2 <fragment start> JUMP / JUMPI."""
    fragments = draw(st.lists(_fragment_strategies(), min_size=1, max_size=16))
    jumps = draw(st.lists(st.tuples(st.integers(0, len(fragments)), st.integers(0, len(fragments) - 1),
                                    st.sampled_from(["JUMP", "JUMPI"]), st.booleans(), st.booleans()),
                          max_size=3))
    # Every jump is 6 bytes (PUSH1 cond? PUSH2 dest, JUMP[I]) placed before a fragment; targets are the
    # starts of fragments, on a JUMPDEST or not.
    inserted = defaultdict(list)
    for before, target, kind, on_jumpdest, condition in jumps:
        inserted[before].append((target, kind, on_jumpdest, condition))
    for index in range(len(fragments)):
        if any(t == index and on for jump_list in inserted.values() for t, _, on, _ in jump_list):
            fragments[index] = bytes([OP["JUMPDEST"]]) + fragments[index]
    jump_size = 6
    starts, position = [], 0
    for index, fragment in enumerate(fragments):
        position += jump_size * len(inserted[index])
        starts.append(position)
        position += len(fragment)
    code = bytearray()
    for index in range(len(fragments) + 1):
        for target, kind, _, condition in inserted[index]:
            code += bytes([OP["PUSH1"], int(condition), OP["PUSH2"]]) + starts[target].to_bytes(2, "big")
            code.append(OP[kind])
            if kind == "JUMP":
                code[-6:-4] = bytes([OP["JUMPDEST"], OP["JUMPDEST"]])  # keep the 6-byte size
        if index < len(fragments):
            code += fragments[index]
    return bytes(code)


def pre_state(code: bytes) -> State:
    accounts = {
        CALLER_ADDRESS: Account(balance=CALLER_BALANCE),
        CONTRACT_ADDRESS: Account(nonce=1, balance=10**18, code=code, storage={1: 5, 3: 7}),
        EOA: Account(balance=1),
    }
    for address, callee_code in CALLEE_CODE.items():
        accounts[address] = Account(nonce=1, balance=100, code=callee_code, storage={1: 1})
    return State(accounts)


def call_outcome(code: bytes, gas: int, engine_name: str, calldata: bytes = b"\x01" * 40,
                 fork: str = "Cancun") -> dict:
    outcome = call_code(code, calldata, gas=gas, value=3, engine=engine_for(engine_name), fork=fork,
                        state=pre_state(code))
    state = outcome.state
    return {
        "status": outcome.status,
        "output": outcome.output,
        "gas_left": outcome.gas_left,
        "accounts": state.accounts,
        "logs": outcome.logs,
        "refund": state.refund,
        "transient": state.transient,
        "to_delete": state.to_delete,
    }


GENERATED = settings(max_examples=200, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("engine_name", OTHER_ENGINES)
@GENERATED
@given(code=programs(), fork=st.sampled_from(EXECUTABLE_FORKS), data=st.data())
def test_generated_programs_agree_with_reference(engine_name, code, fork, data):
    reference = call_outcome(code, 200_000, "reference", fork=fork)
    assert call_outcome(code, 200_000, engine_name, fork=fork) == reference
    used = 200_000 - reference["gas_left"]
    gas = data.draw(st.integers(0, max(used, 1)), label="gas")
    assert call_outcome(code, gas, engine_name, fork=fork) == call_outcome(code, gas, "reference", fork=fork)
