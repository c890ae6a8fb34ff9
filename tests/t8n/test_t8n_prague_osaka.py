"""Random Prague and Osaka blocks through jitvm's t8n and ethereum-spec-evm's, with identical outputs.

Hypothesis builds a block under Prague, Osaka, BPO1 or BPO2 of one to three transactions (legacy,
EIP-1559, blob or EIP-7702 set-code) from two senders, against a pre-state of small contracts:

- COUNTER increments a slot: a delegate for authorities (its storage is then the authority's);
- CLZ_STORE stores CLZ of its calldata's first word (EIP-7939) and BLOBBASEFEE;
- a CALL, DELEGATECALL, STATICCALL and CALLCODE prober each: they call the address in their calldata
  (an authority, a contract, a precompile), store the success, the returned data's hash and
  EXTCODESIZE / EXTCODEHASH of the address (which see a designator, not the delegate's code);
- PRECOMPILE_CALLER calls BLS12-381 (EIP-2537), P256VERIFY (EIP-7951) or MODEXP (EIP-7883) with a
  published vector, a failure vector or random bytes, and stores the outcome and the gas left;
- stand-ins for the system contracts, present or not: the history contract (EIP-2935), the withdrawal
  and consolidation queues (EIP-7002, EIP-7251: return and clear what was queued) and a deposit
  contract that logs its calldata as a DepositEvent (EIP-6110; laid out well or not). A block
  without a queue contract, or with a malformed deposit, is invalid: both tools must say so.

Authorizations are signed by three authority keys (one is also a sender), with chain ids 0, 1 or
another, nonces that match or not, and signatures that are valid or not (high s, bad y parity). Gas
limits come near the EIP-7623 floor and above the EIP-7825 cap; blob transactions carry up to eight
blobs (EIP-7594 allows six from Osaka; the block's maximum is the fork's schedule), and the excess
blob gas is given or derived from the parent's (EIP-7918 from Osaka). result.json (with the requests and
their hash), alloc.json and the body must agree after tests/t8n/tools.py's normalization.

The default run takes 10 examples (a few seconds); --slow runs 300 (about 25 s; 1,000 agreed once).
"""

from __future__ import annotations

import json
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jitvm.evm import system
from jitvm.evm.delegation import SECP256K1_N, sign_authorization
from jitvm.hashing import keccak256
from tests.api.bytecode import OP, assemble
from tests.conftest import FIXTURES
from tests.t8n.tools import compare_with_spec

pytest.importorskip("ethereum_spec_tools.evm_tools")
coincurve = pytest.importorskip("coincurve")

pytestmark = pytest.mark.peers

CHAIN_ID = 1


def _key(seed: int) -> bytes:
    return keccak256(b"jitvm t8n prague osaka key %d" % seed)


def _address_of(secret: bytes) -> bytes:
    return keccak256(coincurve.PrivateKey(secret).public_key.format(compressed=False)[1:])[12:]


SENDER_KEYS = [_key(0), _key(1)]
SENDERS = [_address_of(k) for k in SENDER_KEYS]
AUTHORITY_KEYS = [_key(2), _key(3), SENDER_KEYS[1]]  # the last one sponsors its own authorization
AUTHORITIES = [_address_of(k) for k in AUTHORITY_KEYS]


def _contract(n: int) -> bytes:
    return (0xC0DE00 + n).to_bytes(20, "big")


def _asm(*parts) -> bytes:
    """assemble() plus CLZ (which the Cancun table of tests.api.bytecode lacks) and labels: a part
    ("here", name) marks a JUMPDEST, ("to", name) pushes its offset (always as PUSH1)."""

    def code_with(offsets: dict) -> tuple[bytes, dict]:
        code, found = b"", {}
        for part in parts:
            if isinstance(part, tuple) and part[0] == "here":
                found[part[1]] = len(code)
                code += assemble("JUMPDEST")
            elif isinstance(part, tuple):
                code += bytes([OP["PUSH1"], offsets.get(part[1], 0)])
            else:
                code += bytes([0x1E]) if part == "CLZ" else assemble(part)
        return code, found

    code, offsets = code_with({})
    code, again = code_with(offsets)
    assert again == offsets and max(offsets.values(), default=0) < 256
    return code


COUNTER, CLZ_STORE, PRECOMPILE_CALLER = _contract(1), _contract(2), _contract(3)
PROBERS = {kind: _contract(10 + i) for i, kind in enumerate(("CALL", "DELEGATECALL", "STATICCALL", "CALLCODE"))}


def _prober(kind: str) -> bytes:
    """Calls the address in calldata word 0 with calldata word 1 as input; stores success (slot 0),
    keccak of the return data (1), EXTCODESIZE (2) and EXTCODEHASH (3) of the address."""
    value = [0] if kind in ("CALL", "CALLCODE") else []
    return _asm(32, "CALLDATALOAD", 0, "MSTORE",
                0, 0, 32, 0, *value, 0, "CALLDATALOAD", "GAS", kind, 0, "SSTORE",
                "RETURNDATASIZE", 0, 0, "RETURNDATACOPY", "RETURNDATASIZE", 0, "KECCAK256", 1, "SSTORE",
                0, "CALLDATALOAD", "EXTCODESIZE", 2, "SSTORE", 0, "CALLDATALOAD", "EXTCODEHASH", 3, "SSTORE")


# Calldata of PRECOMPILE_CALLER: the precompile's address as a word, then its input.
PRECOMPILE_CALLER_CODE = _asm(
    "CALLDATASIZE", 32, "SUB", 32, 0, "CALLDATACOPY",
    0, 0, 32, "CALLDATASIZE", "SUB", 0, 0, "CALLDATALOAD", "GAS", "STATICCALL", 0, "SSTORE",
    "RETURNDATASIZE", 0, 0, "RETURNDATACOPY", "RETURNDATASIZE", 0, "KECCAK256", 1, "SSTORE", "GAS", 2, "SSTORE")

# System contract stand-ins (not the deployed code; what matters is what the system does with them).
SYSTEM_WORD = int.from_bytes(system.SYSTEM_ADDRESS, "big")
# The system stores calldata word 0 (the parent hash) at slot NUMBER - 1; anyone else reads nothing.
HISTORY_CODE = _asm("CALLER", SYSTEM_WORD, "EQ", "ISZERO", ("to", "other"), "JUMPI",
                    0, "CALLDATALOAD", 1, "NUMBER", "SUB", "SSTORE", "STOP", ("here", "other"), "STOP")


def _queue_code(width: int) -> bytes:
    """Anyone enqueues (stores calldata word 0 at slot 0); the system dequeues: it gets the first
    `width` bytes of slot 0 back, or nothing if the queue is empty, and the slot is cleared."""
    return _asm("CALLER", SYSTEM_WORD, "EQ", ("to", "dequeue"), "JUMPI",
                0, "CALLDATALOAD", 0, "SSTORE", "STOP",
                ("here", "dequeue"), 0, "SLOAD", "DUP1", "ISZERO", ("to", "empty"), "JUMPI",
                0, 0, "SSTORE", 0, "MSTORE", width, 0, "RETURN",
                ("here", "empty"), "STOP")


DEPOSIT_CODE = _asm("CALLDATASIZE", 0, 0, "CALLDATACOPY", system.DEPOSIT_EVENT_TOPIC, "CALLDATASIZE", 0, "LOG1")


def _deposit_event(fields: list[bytes]) -> bytes:
    """The DepositEvent data of five byte strings (pubkey, credentials, amount, signature, index)."""
    head = b"".join(offset.to_bytes(32, "big") for _, offset, _ in system.DEPOSIT_FIELDS)
    tail = b"".join(len(f).to_bytes(32, "big") + f.ljust((len(f) + 31) // 32 * 32, b"\0") for f in fields)
    return head + tail


CODE = {
    COUNTER: _asm(0, "SLOAD", 1, "ADD", 0, "SSTORE"),
    CLZ_STORE: _asm(0, "CALLDATALOAD", "CLZ", 0, "SSTORE", 32, "CALLDATALOAD", "CLZ", 1, "SSTORE",
                    "BLOBBASEFEE", 2, "SSTORE"),
    PRECOMPILE_CALLER: PRECOMPILE_CALLER_CODE,
    **{address: _prober(kind) for kind, address in PROBERS.items()},
}
SYSTEM_CODE = {
    system.HISTORY_STORAGE_ADDRESS: HISTORY_CODE,
    system.WITHDRAWAL_REQUEST_ADDRESS: _queue_code(24),
    system.CONSOLIDATION_REQUEST_ADDRESS: _queue_code(32),
    system.DEPOSIT_CONTRACT_ADDRESS: DEPOSIT_CODE,
}

PRECOMPILE_FILES = {0x0B: "blsG1Add", 0x0C: "blsG1Mul", 0x10: "blsMapG1", 0x100: "p256Verify", 0x05: "modexp_eip7883"}


@cache
def _vectors(name: str) -> tuple[bytes, ...]:
    path = FIXTURES / "evm" / "precompiles" / f"{name}.json"
    if not path.exists():
        return ()
    return tuple(bytes.fromhex(v["Input"]) for v in json.loads(path.read_text())[:8])


# -- strategies -------------------------------------------------------------------------------------

words = st.one_of(st.sampled_from([0, 1, 2**255, 2**256 - 1, 2**64]), st.integers(0, 2**256 - 1))
targets = st.sampled_from([COUNTER, CLZ_STORE, *AUTHORITIES, bytes(20), (1).to_bytes(20, "big"),
                           (0x0B).to_bytes(20, "big"), (0x100).to_bytes(20, "big"), _contract(99)])
delegates = st.sampled_from([COUNTER, CLZ_STORE, PROBERS["CALL"], bytes(20), (0x04).to_bytes(20, "big"),
                             (0x0B).to_bytes(20, "big"), AUTHORITIES[0], _contract(99)])


@st.composite
def precompile_inputs(draw) -> bytes:
    number = draw(st.sampled_from(sorted(PRECOMPILE_FILES)))
    vectors = _vectors(PRECOMPILE_FILES[number])
    choice = draw(st.sampled_from(["vector", "vector", "random", "truncated"]))
    if vectors and choice != "random":
        data = draw(st.sampled_from(vectors))
        if choice == "truncated":
            data = data[: draw(st.integers(0, len(data)))]
    else:
        data = draw(st.binary(max_size=300))
    return number.to_bytes(32, "big") + data


@st.composite
def calls(draw) -> tuple[bytes, bytes]:
    """(to, data) of a transaction."""
    kind = draw(st.sampled_from(["counter", "clz", "probe", "precompile", "authority", "deposit", "queue"]))
    if kind == "clz":
        return CLZ_STORE, draw(words).to_bytes(32, "big") + draw(words).to_bytes(32, "big")
    if kind == "probe":
        prober = draw(st.sampled_from(sorted(PROBERS.values())))
        return prober, draw(targets).rjust(32, b"\0") + draw(words).to_bytes(32, "big")
    if kind == "precompile":
        return PRECOMPILE_CALLER, draw(precompile_inputs())
    if kind == "authority":
        return draw(st.sampled_from(AUTHORITIES)), draw(st.binary(max_size=64))
    if kind == "deposit":
        sizes = [48, 32, 8, 96, 8]
        if draw(st.booleans()):  # malformed: one field of the wrong size
            position = draw(st.integers(0, 4))
            sizes[position] += draw(st.sampled_from([-1, 1, 32]))
        return system.DEPOSIT_CONTRACT_ADDRESS, _deposit_event([draw(st.binary(min_size=s, max_size=s)) for s in sizes])
    if kind == "queue":
        queue = draw(st.sampled_from([system.WITHDRAWAL_REQUEST_ADDRESS, system.CONSOLIDATION_REQUEST_ADDRESS]))
        return queue, draw(words).to_bytes(32, "big")
    return COUNTER, draw(st.binary(max_size=200))


@st.composite
def authorizations(draw) -> dict:
    authority = draw(st.integers(0, len(AUTHORITY_KEYS) - 1))
    signed = sign_authorization(AUTHORITY_KEYS[authority], draw(st.sampled_from([0, CHAIN_ID, CHAIN_ID, 7])),
                                draw(delegates), draw(st.sampled_from([0, 0, 1, 2, 2**64 - 1])))
    auth = {"chainId": signed.chain_id, "address": signed.address, "nonce": signed.nonce, "v": signed.y_parity,
            "r": signed.r, "s": signed.s}
    damage = draw(st.sampled_from(["none"] * 6 + ["high s", "y parity", "r zero"]))
    if damage == "high s":
        auth["s"] = SECP256K1_N - auth["s"]
        auth["v"] ^= 1  # the same signature with s above N / 2: invalid since EIP-2
    elif damage == "y parity":
        auth["v"] = 2
    elif damage == "r zero":
        auth["r"] = 0
    return {key: "0x" + value.hex() if isinstance(value, bytes) else hex(value) for key, value in auth.items()}


@st.composite
def blocks(draw) -> tuple[str, dict]:
    fork = draw(st.sampled_from(["Prague", "Osaka", "Osaka", "BPO1", "BPO2"]))
    alloc = {
        "0x" + sender.hex(): {"balance": hex(10**20), "nonce": "0x0", "code": "0x", "storage": {}} for sender in SENDERS
    }
    alloc.update({"0x" + a.hex(): {"balance": "0x1", "nonce": hex(draw(st.integers(0, 1))), "code": "0x",
                                   "storage": {}}
                  for a in AUTHORITIES[:2] if draw(st.booleans())})
    for address, code in CODE.items():
        alloc["0x" + address.hex()] = {"balance": "0x0", "nonce": "0x1", "code": "0x" + code.hex(), "storage": {}}
    system_contracts = draw(st.sampled_from(["all", "all", "all", "none", "some"]))
    for address, code in SYSTEM_CODE.items():
        if system_contracts == "all" or (system_contracts == "some" and draw(st.booleans())):
            alloc["0x" + address.hex()] = {"balance": "0x0", "nonce": "0x1", "code": "0x" + code.hex(),
                                           "storage": {"0x00": hex(draw(words))} if draw(st.booleans()) else {}}
    nonces = [0, 0]
    txs = []
    for _ in range(draw(st.integers(1, 3))):
        sender = draw(st.integers(0, 1))
        to, data = draw(calls())
        tx_type = draw(st.sampled_from([0, 2, 3, 4, 4]))
        floor = 21000 + 10 * sum(1 if b == 0 else 4 for b in data)
        gas = draw(st.one_of(st.sampled_from([floor - 1, floor, floor + 1, 2**24, 2**24 + 1, 1_000_000]),
                             st.integers(21000, 3_000_000)))
        tx = {"type": hex(tx_type), "chainId": hex(CHAIN_ID), "nonce": hex(nonces[sender]), "gas": hex(gas),
              "to": "0x" + to.hex(), "value": hex(draw(st.sampled_from([0, 0, 1]))), "input": "0x" + data.hex(),
              "v": "0x0", "r": "0x0", "s": "0x0", "secretKey": "0x" + SENDER_KEYS[sender].hex()}
        if tx_type == 0:
            tx["gasPrice"] = "0xa"
        else:
            tx["maxFeePerGas"], tx["maxPriorityFeePerGas"], tx["accessList"] = "0xa", "0x1", []
        if tx_type == 3:
            blobs = draw(st.integers(0, 8))
            tx["maxFeePerBlobGas"] = hex(draw(st.sampled_from([1, 10**9, 10**12])))
            tx["blobVersionedHashes"] = ["0x01" + keccak256(b"%d" % i).hex()[2:] for i in range(blobs)]
        if tx_type == 4:
            tx["authorizationList"] = draw(st.lists(authorizations(), min_size=0 if draw(st.integers(0, 9)) == 0
                                                    else 1, max_size=3))
        nonces[sender] += 1
        txs.append(tx)
    env = {
        "currentCoinbase": "0x" + "c0" * 20, "currentGasLimit": hex(60_000_000), "currentNumber": "0x20",
        "currentTimestamp": "0x3e8", "currentRandom": "0x" + "00" * 32, "currentBaseFee": "0x7",
        "parentBeaconBlockRoot": "0x" + "00" * 32, "withdrawals": [],
        "blockHashes": {hex(n): "0x" + keccak256(b"%d" % n).hex() for n in range(0x10, 0x20)},
    }
    blob_gas = st.sampled_from([0, 131072, 393072, 786432, 1179648, 10**7, 5 * 10**7])
    if draw(st.booleans()):
        env["currentExcessBlobGas"] = hex(draw(blob_gas))
    else:  # derived from the parent's: EIP-7918 compares the blob price with the parent's base fee
        env["parentExcessBlobGas"], env["parentBlobGasUsed"] = hex(draw(blob_gas)), hex(draw(blob_gas))
        env["parentBaseFee"] = hex(draw(st.sampled_from([0, 7, 10**6, 10**9, 10**12])))
    return fork, {"alloc": alloc, "env": env, "txs": txs}


SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


def _check(fork: str, inputs: dict, workdir) -> None:
    compare_with_spec(inputs, workdir, fork)


@settings(max_examples=10, **SETTINGS)
@given(block=blocks())
def test_random_blocks_agree_with_spec(block, tmp_path_factory):
    _check(*block, tmp_path_factory.mktemp("t8n"))


@pytest.mark.slow
@settings(max_examples=300, **SETTINGS)
@given(block=blocks())
def test_random_blocks_agree_with_spec_many(block, tmp_path_factory):
    _check(*block, tmp_path_factory.mktemp("t8n"))


def test_the_stand_ins_behave_as_their_contracts():
    """The queue stand-in returns what was enqueued to the system and nothing after, so requests appear."""
    from jitvm.evm.context import BlockEnv
    from jitvm.evm.forks import get_fork
    from jitvm.evm.state import Account, State

    fork = get_fork("Prague")
    queue = system.WITHDRAWAL_REQUEST_ADDRESS
    queued = int.from_bytes(bytes(range(1, 33)), "big")
    state = State({queue: Account(nonce=1, code=SYSTEM_CODE[queue], storage={0: queued})})
    assert system.checked_system_call(state, BlockEnv(), fork, queue) == bytes(range(1, 25))
    assert system.checked_system_call(state, BlockEnv(), fork, queue) == b""
