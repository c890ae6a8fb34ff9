"""What the EVM fuzz compares: cases pyrevm cannot be compared on, and the state root an engine
shares with the reference only when it leaves the same accounts."""

from dataclasses import replace

from jitvm.fuzz import evm_check
from jitvm.fuzz.evm_programs import Piece, generate_case, ops


def one_contract(code: bytes, storage=()):
    return replace(generate_case(5), contracts=((Piece(code),),), storage=(storage,), balances=(0,))


def test_pyrevm_is_left_out_where_it_cannot_agree_and_only_there():
    basefee = one_contract(ops("BASEFEE", 0, "SSTORE"))
    assert not evm_check.pyrevm_comparable(basefee)  # its message_call reads BASEFEE as 0
    assert evm_check.check_case(basefee, ("baseline",), ("pyrevm",)) == []
    in_push_data = one_contract(ops(0x48, 0, "SSTORE"))  # PUSH1 0x48: data, never run
    assert evm_check.pyrevm_comparable(in_push_data)
    assert not evm_check.pyrevm_comparable(one_contract(ops(1, 0, "SSTORE"), storage=((0, 2),)))


def test_an_engine_leaving_other_accounts_gets_its_own_root():
    case = one_contract(ops(7, 0, "SSTORE"))
    reference = evm_check.jitvm_outcome(case, "reference")
    assert evm_check.jitvm_outcome(case, "baseline", same_root_as=reference)["state_root"] == reference["state_root"]
    other = one_contract(ops(8, 0, "SSTORE"))
    shared = evm_check.jitvm_outcome(other, "baseline", same_root_as=reference)
    assert shared["state_root"] == evm_check.jitvm_outcome(other, "reference")["state_root"] != reference["state_root"]
