"""A call tree whose frames together take more EVM memory than the transaction's budget ends that
transaction cleanly on every engine: a halt reported as revm names it, nothing changed, no
MemoryError, and the EVM keeps working."""

from __future__ import annotations

import pytest

import jitvm
import jitvm.api
from jitvm.evm.engines import ENGINE_NAMES
from tests.api.bytecode import assemble

CALLER = "0x" + "c0" * 20
GREEDY = "0x" + "6e" * 20
COUNTER = "0x" + "c7" * 20
FAR = 200_000_000  # one frame may take up to gas.MEMORY_LIMIT (2**28) bytes


def greedy_code() -> bytes:
    """Bump slot 0, touch memory at FAR (about 200 MB), then call itself with all its gas."""
    return assemble(0, "SLOAD", 1, "ADD", 0, "SSTORE", 1, FAR, "MSTORE",
                    0, 0, 0, 0, 0, "ADDRESS", "GAS", "CALL", "STOP")


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_a_call_tree_past_the_memory_budget_halts_and_changes_nothing(engine):
    evm = jitvm.EVM(engine=engine, memory_limit=300_000_000)
    evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**18))
    evm.insert_account_info(GREEDY, jitvm.AccountInfo(code=greedy_code()))
    with pytest.raises(jitvm.api.ExecutionHalted) as halted:
        evm.message_call(CALLER, GREEDY, b"", gas=2**62)
    assert halted.value.reason == "OutOfGas(MemoryLimit)"
    assert not evm.result.is_success and evm.result.is_halt
    assert evm.storage(GREEDY, 0) == 0  # the first frame's SSTORE is undone too
    assert evm.get_balance(CALLER) == 10**18
    # The EVM is fine afterwards: a call within the budget runs.
    evm.insert_account_info(COUNTER, jitvm.AccountInfo(code=assemble(0, "SLOAD", 1, "ADD", 0, "SSTORE", "STOP")))
    evm.message_call(CALLER, COUNTER, b"")
    assert evm.storage(COUNTER, 0) == 1


def test_the_default_budget_is_revms():
    from jitvm.evm.memory_budget import DEFAULT_MEMORY_LIMIT

    assert DEFAULT_MEMORY_LIMIT == 2**32 - 1



@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_apply_transaction_past_the_memory_budget_is_a_halt_not_an_exception(engine):
    """t8n and statetest apply transactions with apply_transaction: past the budget the transaction
    halts (all its gas used, its fees paid), its execution undone, and no exception escapes."""
    from jitvm.evm.context import BlockEnv
    from jitvm.evm.engines import get_engine
    from jitvm.evm.forks import get_fork
    from jitvm.evm.message import Status
    from jitvm.evm.state import Account, State
    from jitvm.evm.transaction import Transaction, apply_transaction

    caller, hungry = bytes.fromhex(CALLER[2:]), bytes.fromhex(GREEDY[2:])
    # 2 MB of memory: past any buffer a native engine keeps from an earlier frame (1 MB at most).
    code = assemble(0, "SLOAD", 1, "ADD", 0, "SSTORE", 1, 2_000_000, "MSTORE", "STOP")
    block = BlockEnv(gas_limit=30_000_000, base_fee=7)
    tx = Transaction(caller, hungry, nonce=0, gas_limit=10_000_000, gas_price=10)

    def apply(memory_limit: int):
        state = State({caller: Account(balance=10**18), hungry: Account(code=code)})
        result = apply_transaction(state, block, tx, get_fork("Cancun"), engine=get_engine(engine),
                                   memory_limit=memory_limit)
        return state, result

    state, result = apply(4_000_000)
    assert result.status is Status.SUCCESS and state.accounts[hungry].storage == {0: 1}
    state, result = apply(500_000)
    assert result.status is Status.OUT_OF_GAS
    assert result.gas_used == tx.gas_limit and result.logs == []
    assert state.accounts[hungry].storage == {}
    assert state.accounts[caller].nonce == 1
    assert state.accounts[caller].balance == 10**18 - tx.gas_limit * 10
