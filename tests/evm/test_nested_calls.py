"""Nested calls on every engine against the reference interpreter, one shape at a time.

tests/evm/test_call_trees.py draws random trees; these are the shapes a native child frame must
get exactly right (docs/native-calls.md): reverts and halts at depth, children out of gas, static
violations, return data of every size against output regions of every size, cold and warm callees,
the depth limit, and children that need the host in the middle (a storage slot seen for the first
time, CREATE, SELFDESTRUCT, a value call, a precompile, memory past a frame's first buffer, a log
past the native log buffer). Each case runs as one transaction through jitvm.EVM; everything
observable must equal the reference's: how it ended, output, gas used, refund, logs, and every
account afterwards.
"""

from __future__ import annotations

import contextlib

import pytest

import jitvm
import jitvm.evm.baseline.engine as baseline_engine
import jitvm.evm.jit.engine as jit_engine
from jitvm.bench.realworld import Session, expected_output, new_evm
from jitvm.evm.baseline.layout import OPCODE
from jitvm.evm.opcodes import opcode_table
from tests.api.bytecode import assemble
from tests.evm.test_call_trees import observed

ENGINES = ("baseline", "jit", "auto")
CALLER = "0x" + "ca" * 20
TOP, MIDDLE, LEAF, OTHER = 0xC0DE01, 0xC0DE02, 0xC0DE03, 0xC0DE04
EMPTY = 0xE0E0E0  # an account without code
IDENTITY = 0x04
CALL_OPCODE = opcode_table("Cancun").by_name["CALL"].byte


def call(kind: str, to: int, *, gas="GAS", value: int = 0, args=(0, 0), returns=(0, 32)) -> list:
    """Push the arguments of a CALL-family instruction and run it (its success flag is left)."""
    with_value = [value] if kind in ("CALL", "CALLCODE") else []
    return [returns[1], returns[0], args[1], args[0], *with_value, to, gas, kind]


def record(slot: int) -> list:
    """Store the word on the stack, then RETURNDATASIZE, in `slot` and `slot + 1`."""
    return [slot, "SSTORE", "RETURNDATASIZE", slot + 1, "SSTORE"]


def returning(size: int, word: int = 0xABCDEF) -> list:
    """Write `word` at 0 and RETURN `size` bytes from 0."""
    return [word, 0, "MSTORE", size, 0, "RETURN"]


def outcome(engine: str, contracts: dict[int, bytes], gas: int = 3_000_000, value: int = 0,
            rehearse: bool = False, rehearsed=lambda: None) -> list:
    """The transaction TOP runs; `rehearse`: run it once first and revert it (then call
    `rehearsed()`), so that the second run finds every callee in the callee table and its slots in
    the storage table (a native child frame then runs where the engine can, docs/native-calls.md)."""
    evm = jitvm.EVM(engine=engine)
    evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**30))
    for address, code in contracts.items():
        evm.insert_account_info(f"0x{address:040x}", jitvm.AccountInfo(balance=7, code=code))
    transaction = lambda: evm.message_call(CALLER, f"0x{TOP:040x}", b"", value=value, gas=gas)  # noqa: E731
    if not rehearse:
        return observed(evm, transaction)
    with native_children():
        checkpoint = evm.snapshot()
        observed(evm, transaction)
        evm.revert(checkpoint)
        rehearsed()
        return observed(evm, transaction)


@contextlib.contextmanager
def native_children():
    """Native child frames on (docs/native-calls.md; JITVM_NATIVE_CHILDREN=1 does it for a process)."""
    saved = baseline_engine.NATIVE_CHILDREN, jit_engine.NATIVE_CHILDREN
    baseline_engine.NATIVE_CHILDREN = jit_engine.NATIVE_CHILDREN = True
    try:
        yield
    finally:
        baseline_engine.NATIVE_CHILDREN, jit_engine.NATIVE_CHILDREN = saved


def same_on_every_engine(contracts: dict[int, bytes], **kwargs) -> list:
    expected = outcome("reference", contracts, **kwargs)
    for engine in ENGINES:
        assert outcome(engine, contracts, **kwargs) == expected, engine
    return expected


# "rehearsed": the transaction runs once, is reverted, and runs again with native child frames on,
# finding its callees in the callee table (the fresh run has the default setting).
REHEARSE = pytest.mark.parametrize("rehearse", [False, True], ids=["fresh", "rehearsed"])


CALL_KINDS = ("CALL", "CALLCODE", "DELEGATECALL", "STATICCALL")


@REHEARSE
@pytest.mark.parametrize("kind", CALL_KINDS)
@pytest.mark.parametrize("leaf_end", ["RETURN", "REVERT", "INVALID", "OUT_OF_GAS"])
def test_a_child_ending_every_way_at_depth_two(kind, leaf_end, rehearse):
    """TOP calls MIDDLE, which writes, logs, calls LEAF (which writes, logs and ends `leaf_end`),
    records what LEAF returned, and returns; TOP records what MIDDLE returned."""
    leaf_body = [5, 3, "TSTORE", 9, 1, "SSTORE", 0xAA, 0, "MSTORE", 32, 0, "LOG0"]
    ends = {"RETURN": returning(32, 0x1EAF), "REVERT": [0x1EAF, 0, "MSTORE", 7, 25, "REVERT"], "INVALID": ["INVALID"],
            "OUT_OF_GAS": ["JUMPDEST", 0, "JUMP"]}
    leaf = assemble(*leaf_body, *ends[leaf_end])
    middle = assemble(2, 2, "SSTORE", 0xBB, 0, "MSTORE", 0xB0, 32, 0, "LOG1",
                      *call(kind, LEAF, gas=50_000), *record(10), 0, "MLOAD", 12, "SSTORE", *returning(64, 0x31D))
    top = assemble(*call(kind if kind != "STATICCALL" else "CALL", MIDDLE), *record(20), 0, "MLOAD", 22, "SSTORE",
                   3, 0, "SSTORE", "STOP")
    same_on_every_engine({TOP: top, MIDDLE: middle, LEAF: leaf}, rehearse=rehearse)


@REHEARSE
def test_a_revert_at_depth_undoes_a_successful_grandchild(rehearse):
    """LEAF succeeds (storage, transient storage, a log); MIDDLE then reverts; TOP goes on."""
    leaf = assemble(1, 1, "SSTORE", 2, 2, "TSTORE", 0, 0, "LOG0", *returning(32))
    middle = assemble(*call("CALL", LEAF), "POP", 4, 4, "SSTORE", 7, 0, "REVERT")
    top = assemble(*call("CALL", MIDDLE), *record(0), 2, "TLOAD", 5, "SSTORE", *call("CALL", LEAF), *record(8), "STOP")
    expected = same_on_every_engine({TOP: top, MIDDLE: middle, LEAF: leaf}, rehearse=rehearse)
    assert expected[0][0] == "success"


@pytest.mark.parametrize("child_gas", [0, 1, 2_299, 2_300, 5_000, 22_000, 30_000])
def test_children_given_too_little_gas(child_gas):
    """A child that writes a new slot, at every gas around its costs (the stipend's guard too)."""
    leaf = assemble(1, 1, "SSTORE", *returning(32))
    top = assemble(*call("CALL", LEAF, gas=child_gas), *record(0), *call("CALL", LEAF, gas=child_gas, value=1),
                   *record(2), "STOP")
    same_on_every_engine({TOP: top, LEAF: leaf})


@pytest.mark.parametrize("violation", [
    [1, 1, "SSTORE"], [1, 1, "TSTORE"], [0, 0, "LOG0"], [*call("CALL", EMPTY, value=1), "POP"],
    [0, 0, 0, "CREATE", "POP"], [EMPTY, "SELFDESTRUCT"], [*call("CALL", EMPTY), "POP"],
])
def test_static_violations_deep_inside_a_staticcall(violation):
    """TOP STATICCALLs MIDDLE, which CALLs LEAF (static by inheritance) doing `violation`."""
    leaf = assemble(*violation, *returning(32, 0x600D))
    middle = assemble(*call("CALL", LEAF), *returning(32))
    top = assemble(*call("STATICCALL", MIDDLE), *record(0), *call("CALL", LEAF), *record(2), "STOP")
    same_on_every_engine({TOP: top, MIDDLE: middle, LEAF: leaf})


@REHEARSE
@pytest.mark.parametrize("returned", [0, 1, 31, 32, 33, 100])
@pytest.mark.parametrize("region", [(0, 0), (0, 16), (0, 32), (40, 64), (1000, 8)])
def test_return_data_sizes_against_output_regions(returned, region, rehearse):
    """Every mix of the size returned and the output region's place and size, then RETURNDATACOPY
    inside and past the return data."""
    leaf = assemble(*[word for index in range(4) for word in (0x1111 * (index + 1), 32 * index, "MSTORE")],
                    *[returned, 0, "RETURN"])
    top = assemble(*call("STATICCALL", LEAF, returns=region), *record(0), region[0], "MLOAD", 2, "SSTORE",
                   "MSIZE", 3, "SSTORE", "RETURNDATASIZE", 0, 200, "RETURNDATACOPY", 200, "MLOAD", 4, "SSTORE",
                   33, 0, 300, "RETURNDATACOPY", "STOP")
    same_on_every_engine({TOP: top, LEAF: leaf}, rehearse=rehearse)


@REHEARSE
@pytest.mark.parametrize("kind", CALL_KINDS)
def test_cold_then_warm_callees(kind, rehearse):
    """The first call to an account pays the cold surcharge, the next ones do not; an account
    warmed inside a reverted child is cold again."""
    leaf = assemble(*returning(32))
    middle = assemble(*call(kind, OTHER), "POP", 0, 0, "REVERT")
    top = assemble("GAS", *call(kind, LEAF), "POP", "GAS", "SWAP1", "SUB", 0, "SSTORE",
                   "GAS", *call(kind, LEAF), "POP", "GAS", "SWAP1", "SUB", 1, "SSTORE",
                   *call("CALL", MIDDLE), "POP",
                   "GAS", *call(kind, OTHER), "POP", "GAS", "SWAP1", "SUB", 2, "SSTORE",
                   "GAS", *call(kind, EMPTY), "POP", "GAS", "SWAP1", "SUB", 3, "SSTORE", "STOP")
    same_on_every_engine({TOP: top, MIDDLE: middle, LEAF: leaf, OTHER: leaf}, rehearse=rehearse)


def test_the_depth_limit():
    """A contract calling itself with all its gas: the call at depth 1025 fails, and each frame
    records its depth and its child's success."""
    recursive = assemble(0, "TLOAD", 1, "ADD", "DUP1", 0, "TSTORE",  # depth counter in transient storage
                         *call("CALL", TOP, gas="GAS", returns=(0, 0)), "SWAP1", "SSTORE", "STOP")
    expected = same_on_every_engine({TOP: recursive}, gas=10**14)
    storage = expected[4][TOP.to_bytes(20, "big")][3]
    assert storage == {depth: 1 for depth in range(1, 1025)}  # the frame at depth 1024 stores 0 at 1025


@pytest.mark.parametrize("mid_child", [
    [5, "SLOAD", 6, "SSTORE"],  # a slot seen for the first time
    [0, 0, 0, "CREATE", 7, "SSTORE"],
    [*call("CALL", EMPTY, value=2), 7, "SSTORE"],  # a value transfer to an account without code
    [*call("STATICCALL", IDENTITY, args=(0, 32), returns=(64, 32)), 64, "MLOAD", 7, "SSTORE"],
    [*call("CALL", 0xDEAD00, args=(0, 0)), 7, "SSTORE"],  # an account that does not exist
    [0xFF, 200_000, "MSTORE8", "MSIZE", 7, "SSTORE"],  # memory past a frame's first buffer
    [6000, 0, "LOG0"],  # a log past the native log buffer
    [OTHER, "BALANCE", 7, "SSTORE", OTHER, "EXTCODESIZE", 8, "SSTORE"],
    [EMPTY, "SELFDESTRUCT"],
])
@REHEARSE
@pytest.mark.parametrize("kind", ["CALL", "DELEGATECALL", "STATICCALL"])
def test_children_that_need_the_host_in_the_middle(mid_child, kind, rehearse):
    """LEAF does native work, then something the host serves, then native work again."""
    leaf = assemble(3, 3, "SSTORE", 0, 0, "LOG0", *mid_child, 4, 4, "SSTORE", *returning(32, 0xFEED))
    top = assemble(*call(kind, LEAF), *record(0), *call(kind, LEAF), *record(2), 0, "MLOAD", 9, "SSTORE", "STOP")
    same_on_every_engine({TOP: top, LEAF: leaf, OTHER: assemble("STOP")}, rehearse=rehearse)


@REHEARSE
def test_calldata_reaches_the_child_and_repeated_calls_see_their_own_output(rehearse):
    """Arguments from the parent's memory (expanding it) and 50 calls in a row, each output read back."""
    leaf = assemble(0, "CALLDATALOAD", 1, "ADD", 0, "MSTORE", "CALLDATASIZE", 32, "MSTORE", 64, 0, "RETURN")
    loop = []
    for index in range(50):
        loop += [index * 7, 0, "MSTORE", *call("STATICCALL", LEAF, args=(0, 32 + index), returns=(100 + index, 64)),
                 "POP", 100 + index, "MLOAD", 100 + index, "SSTORE"]
    top = assemble(*loop, "MSIZE", 0, "SSTORE", "STOP")
    same_on_every_engine({TOP: top, LEAF: leaf}, rehearse=rehearse)


def logging(*topics: int, size: int = 32) -> list:
    """LOG the first `size` bytes of memory with `topics` (after writing a word there)."""
    return [0x10C + sum(topics), 0, "MSTORE", *reversed(topics), size, 0, f"LOG{len(topics)}"]


def served_calls(engine: str, contracts: dict[int, bytes], monkeypatch) -> list:
    """The frames (by address) whose CALL-family instructions Python serves (call_host.serve_call)
    when TOP's transaction runs a second time with native child frames on (the first run reverted)."""
    served = []
    serve = baseline_engine.serve_call
    monkeypatch.setattr(baseline_engine, "serve_call", lambda frame: served.append(frame.message.target) or serve(frame))
    outcome(engine, contracts, rehearse=True, rehearsed=served.clear)
    return served


_READER = ["CALLDATASIZE", 0, "JUMPI", *returning(32, 0x07E4)]  # OTHER without calldata returns
_READER_SIZE = len(assemble(*_READER))
# Logs of many accounts in one buffer (LOG_ACCOUNTS, docs/native-calls.md): TOP logs, CALLs MIDDLE
# (which logs, DELEGATECALLs LEAF: logs in MIDDLE's name, CALLs LEAF: logs in LEAF's, CALLs OTHER,
# which logs and reverts: dropped, and logs again), STATICCALLs LEAF's reader, and logs again.
LOGGING_TREE = {
    TOP: assemble(*logging(1), *call("CALL", MIDDLE), *record(0), *call("STATICCALL", OTHER), *record(2),
                  *logging(2, 3, size=5), *call("CALL", MIDDLE), *record(4), "STOP"),
    MIDDLE: assemble(*logging(4, size=0), *call("DELEGATECALL", LEAF), "POP", *call("CALL", LEAF), "POP",
                     *call("CALL", OTHER, args=(0, 1)), "POP", *logging(5, 6, 7, 8, size=64), *returning(32)),
    LEAF: assemble(*logging(9, 10, 11), *logging(), *returning(32, 0x1EAF)),
    OTHER: assemble("CALLDATASIZE", _READER_SIZE, "JUMPI", *_READER[3:], "JUMPDEST", *logging(12), 0, 0, "REVERT"),
}


@REHEARSE
def test_childrens_logs_of_many_accounts_in_order(rehearse):
    """The logs of TOP, its CALL children, their DELEGATECALL and CALL children, in the order the
    reference makes them, each with the address it ran as; a reverted child's logs dropped."""
    expected = same_on_every_engine(LOGGING_TREE, rehearse=rehearse)
    addresses = [log[0] for log in expected[3]]
    assert len(addresses) == 14 and len(set(addresses)) == 3, addresses


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_childrens_logs_keep_their_calls_native(engine, monkeypatch):
    """Once rehearsed, none of LOGGING_TREE's calls reaches Python."""
    assert served_calls(engine, LOGGING_TREE, monkeypatch) == []


@pytest.mark.parametrize("parent_logs", [40, 63, 64])
def test_childrens_logs_past_the_parents_log_buffer(parent_logs, monkeypatch):
    """TOP fills its native log buffer with `parent_logs` logs (the buffer holds 64), then CALLs
    LEAF, which logs 3: where they do not fit, the call goes back to Python, with the same logs."""
    top = assemble(*[word for _ in range(parent_logs) for word in (0, 0, "LOG0")], *call("CALL", LEAF), *record(0),
                   *logging(1), "STOP")
    leaf = assemble(*logging(2), *logging(3), *logging(4), *returning(32))
    same_on_every_engine({TOP: top, LEAF: leaf}, rehearse=True)
    served = served_calls("baseline", {TOP: top, LEAF: leaf}, monkeypatch)
    assert served == ([] if parent_logs + 3 <= 64 else [TOP.to_bytes(20, "big")])


@pytest.mark.parametrize("name", ["proxy/transfer", "multicall/balances", "uniswap/swap"])
@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_a_realworld_transactions_calls_run_natively_from_its_second_run(name, engine, monkeypatch):
    """With native child frames on, once a session has run each of its transactions, the next one
    hands none of its CALL-family instructions to Python (they all run as native children), and
    gives the expected output."""
    served = []
    serve = baseline_engine.serve_call
    monkeypatch.setattr(baseline_engine, "serve_call", lambda frame: served.append(frame) or serve(frame))
    with native_children():
        session = Session(name, *new_evm(engine))  # runs every transaction of its cycle once
        served.clear()
        assert session.run() == expected_output(name)
    assert served == []


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_a_blocks_calls_that_go_back_to_python_send_a_value(engine, monkeypatch):
    """In block/1000_mixed, once it has run, only CALLs with a value (weth/withdraw's) may be served
    by Python: the others, uniswap/swap's children with logs among them, run natively."""
    served = []
    serve = baseline_engine.serve_call

    def noting_the_value(frame):
        is_call = frame.registers[OPCODE] == CALL_OPCODE
        served.append(frame.stack[-3] if is_call else 0)  # (CALL's value: the third word)
        return serve(frame)

    monkeypatch.setattr(baseline_engine, "serve_call", noting_the_value)
    with native_children():
        session = Session("block/1000_mixed", *new_evm(engine))
        served.clear()
        assert session.run() == expected_output("block/1000_mixed")
    assert all(value != 0 for value in served)  # (none once value calls run natively too)
