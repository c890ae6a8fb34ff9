"""A transaction's frame starts through `engine.start_frame` (jitvm.evm.transaction.run_call_frame):
a frame that ends without asking for a child frame returns its result at once; one that asks (a
CREATE, a call deeper than the driver's inline depth) is handed to the frame driver. Either way the
results and the state must be the reference's, and the engine must get its frame buffers back,
also when the call fails on the memory budget."""

from __future__ import annotations

import pytest

import jitvm
from jitvm.evm.context import ExecutionContext
from jitvm.evm.engines import get_engine
from jitvm.evm.execution import INLINE_DEPTH
from jitvm.evm.message import Message
from jitvm.evm.state import State
from jitvm.evm.transaction import execute
from tests.api.bytecode import assemble, initcode
from tests.api.test_transaction_path import outcome

ENGINES = ("baseline", "jit", "auto")
SENDER = "0x" + "a1" * 20
TARGET = "0x" + "c0" * 20

MEMORY_HOG = assemble(1, 2_000_000, "MSTORE", "STOP")  # more memory than the tests' limit (1 MB)


def _creator(child_initcode: bytes, end: bytes) -> bytes:
    """CREATE a contract (the frame asks the driver for a child), keep its address in slot 1, log,
    and `end`."""
    assert len(child_initcode) <= 32
    return assemble(int.from_bytes(child_initcode.ljust(32, b"\0"), "big"), 0, "MSTORE",
                    len(child_initcode), 0, 0, "CREATE", "DUP1", 1, "SSTORE", 0, 0, "LOG1") + end


_CHILD_INITCODE = initcode(assemble(42, 0, "SSTORE", "STOP"))
CREATOR = _creator(_CHILD_INITCODE, assemble("STOP"))
CREATOR_REVERTS = _creator(_CHILD_INITCODE, assemble(0, 0, "REVERT"))
HOG_CREATOR = _creator(MEMORY_HOG, assemble("STOP"))

DEPTH = INLINE_DEPTH + 4  # deeper than the frames a parent runs in its own generator


def _recursive() -> bytes:
    """Calls itself with calldata n + 1 while n < DEPTH, then stores n + 1 in slot n."""
    def code(end: int) -> bytes:
        return assemble(0, "CALLDATALOAD", "DUP1", 1, "ADD", 0, "MSTORE",
                        DEPTH, "DUP2", "LT", "ISZERO", end, "JUMPI",
                        0, 0, 32, 0, 0, "ADDRESS", "GAS", "CALL", "POP",
                        "JUMPDEST", "DUP1", 1, "ADD", "SWAP1", "SSTORE", "STOP")
    end = code(0).index(bytes([0x5B]))  # the JUMPDEST (PUSH1 end keeps the length)
    return code(end)


RECURSIVE = _recursive()


def _evm(engine: str, code: bytes, memory_limit: int = 2**32 - 1) -> jitvm.EVM:
    evm = jitvm.EVM(engine=engine, spec_id="CANCUN", memory_limit=memory_limit)
    evm.set_balance(SENDER, 10**18)
    evm.insert_account_info(TARGET, jitvm.AccountInfo(code=code))
    return evm


def _free_buffers(evm: jitvm.EVM) -> int:
    engine = evm._engine
    engine = engine.tiered() if hasattr(engine, "tiered") else engine
    return len(engine._pool._free)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("code, value", [(CREATOR, 0), (CREATOR_REVERTS, 5), (RECURSIVE, 3)],
                         ids=["create", "create-then-revert", "deeper-than-inline"])
def test_a_frame_that_asks_the_driver_equals_the_reference(engine, code, value):
    reference = _evm("reference", code)
    evm = _evm(engine, code)
    free = []
    for _ in range(3):  # the second and later calls run with everything the engine keeps warm
        expected = outcome(reference, lambda e: e.message_call(SENDER, TARGET, bytes(32), value=value))
        assert outcome(evm, lambda e: e.message_call(SENDER, TARGET, bytes(32), value=value)) == expected
        free.append(_free_buffers(evm))
    assert free[0] >= 1 and free == [free[0]] * 3  # every frame's buffers came back


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("code", [MEMORY_HOG, HOG_CREATOR], ids=["root", "created"])
def test_buffers_come_back_when_the_memory_budget_ends_the_call(engine, code):
    evm = _evm(engine, code, memory_limit=1_000_000)
    free = []
    for _ in range(3):
        with pytest.raises(jitvm.api.ExecutionHalted, match="MemoryLimit"):
            evm.message_call(SENDER, TARGET, b"", gas=30_000_000)
        free.append(_free_buffers(evm))
        assert len(evm._state.accounts) == 2  # nothing the call did stayed
    assert free[0] >= 1 and free == [free[0]] * 3  # every frame's buffers came back


class _RunFrameOnly:
    """An engine with nothing but run_frame (as jitvm.fuzz's recording engine)."""

    name = "reference"

    def run_frame(self, message, ctx):
        return get_engine("reference").run_frame(message, ctx)


@pytest.mark.parametrize("code", [CREATOR, RECURSIVE, assemble(7, 0, "SSTORE", "STOP")])
def test_execute_takes_an_engine_without_start_frame(code):
    target, sender = bytes.fromhex(TARGET[2:]), bytes.fromhex(SENDER[2:])
    results = []
    for engine in (_RunFrameOnly(), get_engine("reference"), get_engine("baseline")):
        state = State()
        state.set_balance(sender, 10**18)
        state.set_code(target, code)
        state.begin_transaction({sender, target})
        message = Message(sender, target, target, 1, bytes(32), 1_000_000, 0, code)
        result = execute(message, ExecutionContext(state=state, engine=engine))
        results.append((result, {address: (a.balance, a.nonce, a.code, dict(a.storage))
                                 for address, a in state.accounts.items()}))
    assert results[0] == results[1] == results[2]


# ORIGIN, CALLER, GASPRICE, CALLVALUE, ADDRESS and the calldata, returned as six words.
ENVIRONMENT = assemble("ORIGIN", 0, "MSTORE", "CALLER", 32, "MSTORE", "GASPRICE", 64, "MSTORE",
                       "CALLVALUE", 96, "MSTORE", "ADDRESS", 128, "MSTORE", 0, "CALLDATALOAD", 160,
                       "MSTORE", 192, 0, "RETURN")


@pytest.mark.parametrize("engine", ENGINES)
def test_the_environment_follows_each_transaction(engine):
    """The engines keep a frame's environment words between transactions (the pooled buffers, the
    block's table): every change of sender, gas price, value, target or calldata must still show."""
    senders = ["0x" + f"{byte:02x}" * 20 for byte in (0xA1, 0xA2, 0xA3)]
    targets = [TARGET, "0x" + "c1" * 20]
    evm = jitvm.EVM(engine=engine, spec_id="CANCUN")
    for sender in senders:
        evm.set_balance(sender, 10**24)
    for target in targets:
        evm.insert_account_info(target, jitvm.AccountInfo(code=ENVIRONMENT))
    calls = [(sender, target, price, value, data)
             for round_ in range(3) for sender in senders[: round_ + 1] for target in targets
             for price in (0, 7) for value in (0, 5) for data in (b"", (round_ + 1).to_bytes(32, "big"))]
    for sender, target, price, value, data in calls * 2:  # the second pass meets every state warm
        output = evm.message_call(sender, target, data, value=value, gas=1_000_000, gas_price=price)
        words = [int.from_bytes(output[at : at + 32], "big") for at in range(0, 192, 32)]
        assert words == [int(sender, 16), int(sender, 16), price, value, int(target, 16),
                         int.from_bytes(data.ljust(32, b"\0"), "big")], (sender, target, price, value, data)
