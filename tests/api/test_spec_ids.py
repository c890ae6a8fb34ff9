"""jitvm.EVM under Prague and Osaka: the spec ids select them, LATEST is Osaka, and a call follows their
rules (CLZ, the calldata floor, EIP-7702 delegations, the new precompiles warm from the start)."""

from __future__ import annotations

import pytest

import jitvm
from jitvm.evm.delegation import designator
from tests.api.bytecode import assemble

CALLER = "0x" + "a1" * 20
CONTRACT = "0x" + "c0" * 20
DELEGATE = "0x" + "de" * 20
# CLZ of calldata word 0, returned as a word.
CLZ_RETURNER = assemble(0, "CALLDATALOAD") + b"\x1e" + assemble(0, "MSTORE", 32, 0, "RETURN")


def _evm(spec_id: str | None = None) -> jitvm.EVM:
    evm = jitvm.EVM() if spec_id is None else jitvm.EVM(spec_id=spec_id)
    evm.set_balance(CALLER, 10**18)
    return evm


@pytest.mark.parametrize("spec_id, fork", [(None, "Osaka"), ("LATEST", "Osaka"), ("OSAKA", "Osaka"),
                                           ("prague", "Prague"), ("CANCUN", "Cancun")])
def test_spec_ids_select_the_fork(spec_id, fork):
    assert repr(_evm(spec_id)).startswith(f"EVM(spec={fork},")


def test_clz_runs_under_osaka_only():
    osaka, prague = _evm("OSAKA"), _evm("PRAGUE")
    for evm in (osaka, prague):
        evm.insert_account_info(CONTRACT, jitvm.AccountInfo(code=CLZ_RETURNER))
    assert osaka.message_call(CALLER, CONTRACT, (1).to_bytes(32, "big")) == (255).to_bytes(32, "big")
    with pytest.raises(RuntimeError, match="OpcodeNotFound"):
        prague.message_call(CALLER, CONTRACT, b"")


def test_the_calldata_floor_applies_from_prague():
    data = b"\x01" * 100  # 400 tokens: the floor is 21000 + 4000, execution costs 21000 + 1600
    for spec_id, expected in (("CANCUN", 21000 + 1600), ("PRAGUE", 21000 + 4000)):
        evm = _evm(spec_id)
        evm.message_call(CALLER, CONTRACT, data)
        assert evm.result.gas_used == expected
    with pytest.raises(RuntimeError, match="GasFloorMoreThanGasLimit"):
        _evm("PRAGUE").message_call(CALLER, CONTRACT, data, gas=24_000)


def test_a_call_into_a_delegated_account_runs_the_delegate_there():
    evm = _evm("PRAGUE")
    evm.insert_account_info(DELEGATE, jitvm.AccountInfo(code=assemble(7, 0, "SSTORE")))
    evm.insert_account_info(CONTRACT, jitvm.AccountInfo(code=designator(bytes.fromhex(DELEGATE[2:]))))
    evm.message_call(CALLER, CONTRACT, b"")
    assert evm.storage(CONTRACT, 0) == 7 and evm.storage(DELEGATE, 0) == 0
    # 21000, PUSH1 PUSH1 and a fresh slot (22100): the transaction's own delegate starts warm, free
    assert evm.result.gas_used == 21000 + 3 + 3 + 22100


def test_a_delegated_caller_may_call():
    evm = _evm("PRAGUE")
    evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**18, code=designator(bytes(19) + b"\x01")))
    evm.message_call(CALLER, CONTRACT, b"")
    with pytest.raises(RuntimeError, match="RejectCallerWithCode"):
        cancun = _evm("CANCUN")
        cancun.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**18, code=designator(bytes(20))))
        cancun.message_call(CALLER, CONTRACT, b"")
