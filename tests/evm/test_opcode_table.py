"""The opcode table's invariants, checked against rules that do not come from the table itself."""

import re

import numpy as np
import pytest

from jitvm.evm.opcodes import FLAG_NAMES, fork_names, opcode_table
from jitvm.evm.reference.instructions import IMPLEMENTATIONS

CANCUN = opcode_table("Cancun")


def test_forks_are_in_historical_order():
    assert fork_names() == (
        "Frontier", "Homestead", "TangerineWhistle", "SpuriousDragon", "Byzantium", "Constantinople",
        "Petersburg", "Istanbul", "Berlin", "London", "Paris", "Shanghai", "Cancun", "Prague", "Osaka",
    )


def test_cancun_defines_149_opcodes():
    assert sum(op is not None for op in CANCUN.by_byte) == 149


def test_osaka_adds_clz_only():
    """Prague adds no opcode (EIP-7702 changes what calls run, not the table); Osaka adds CLZ (EIP-7939)."""
    prague, osaka = opcode_table("Prague"), opcode_table("Osaka")
    assert [op.mnemonic for op in prague.by_byte if op] == [op.mnemonic for op in CANCUN.by_byte if op]
    assert {op.mnemonic for op in osaka.by_byte if op} - {op.mnemonic for op in prague.by_byte if op} == {"CLZ"}
    assert np.array_equal(osaka.static_gas[osaka.defined & prague.defined], prague.static_gas[prague.defined])


def test_families_follow_their_numbering():
    for n in range(1, 33):
        op = CANCUN.by_name[f"PUSH{n}"]
        assert (op.byte, op.immediate_size, op.inputs, op.outputs) == (0x5F + n, n, 0, 1)
    for n in range(1, 17):
        dup, swap = CANCUN.by_name[f"DUP{n}"], CANCUN.by_name[f"SWAP{n}"]
        assert (dup.byte, dup.inputs, dup.outputs) == (0x7F + n, n, n + 1)
        assert (swap.byte, swap.inputs, swap.outputs) == (0x8F + n, n + 1, n + 1)
    for n in range(5):
        log = CANCUN.by_name[f"LOG{n}"]
        assert (log.byte, log.inputs, log.outputs, log.static_gas) == (0xA0 + n, n + 2, 0, 375 * (n + 1))


def test_only_push_has_immediates():
    for op in CANCUN.by_byte:
        if op is not None and op.immediate_size:
            assert re.fullmatch(r"PUSH([1-9]|[12][0-9]|3[0-2])", op.mnemonic)


def test_terminators_and_jumps():
    terminators = {op.mnemonic for op in CANCUN.by_byte if op and op.has("terminates")}
    assert terminators == {"STOP", "RETURN", "REVERT", "INVALID", "SELFDESTRUCT"}
    assert {op.mnemonic for op in CANCUN.by_byte if op and op.has("jump")} == {"JUMP", "JUMPI"}
    assert {op.mnemonic for op in CANCUN.by_byte if op and op.has("jumpdest")} == {"JUMPDEST"}
    subcalls = {op.mnemonic for op in CANCUN.by_byte if op and op.has("subcall")}
    assert subcalls == {"CALL", "CALLCODE", "DELEGATECALL", "STATICCALL", "CREATE", "CREATE2"}


def test_static_call_forbidden_writes():
    writes = {op.mnemonic for op in CANCUN.by_byte if op and op.has("writes_state")}
    assert writes == {"SSTORE", "TSTORE", "LOG0", "LOG1", "LOG2", "LOG3", "LOG4", "CREATE", "CREATE2", "SELFDESTRUCT"}


@pytest.mark.parametrize("fork, mnemonic, gas", [
    ("Frontier", "SLOAD", 50), ("TangerineWhistle", "SLOAD", 200), ("Istanbul", "SLOAD", 800),
    ("Berlin", "SLOAD", 100), ("Cancun", "BALANCE", 100), ("Istanbul", "BALANCE", 700),
    ("Byzantium", "STATICCALL", 700), ("Berlin", "STATICCALL", 100), ("Frontier", "SELFDESTRUCT", 0),
    ("Cancun", "SELFDESTRUCT", 5000), ("Cancun", "EXP", 10), ("Cancun", "KECCAK256", 30),
])
def test_repricing_applies_from_its_fork(fork, mnemonic, gas):
    assert opcode_table(fork).by_name[mnemonic].static_gas == gas


@pytest.mark.parametrize("fork, mnemonic, present", [
    ("Frontier", "DELEGATECALL", False), ("Homestead", "DELEGATECALL", True),
    ("Petersburg", "SHL", True), ("Byzantium", "SHL", False), ("Paris", "PUSH0", False),
    ("Shanghai", "PUSH0", True), ("Shanghai", "TLOAD", False), ("Cancun", "MCOPY", True),
])
def test_opcodes_join_in_their_fork(fork, mnemonic, present):
    assert (mnemonic in opcode_table(fork).by_name) is present


def test_forks_only_add_opcodes():
    previous = set()
    for fork in fork_names():
        current = {op.byte for op in opcode_table(fork).by_byte if op}
        assert previous <= current
        previous = current


def test_numpy_views_match_the_objects():
    for op in CANCUN.by_byte:
        if op is None:
            continue
        assert CANCUN.defined[op.byte]
        assert CANCUN.static_gas[op.byte] == op.static_gas
        assert CANCUN.inputs[op.byte] == op.inputs and CANCUN.outputs[op.byte] == op.outputs
        assert CANCUN.immediate_size[op.byte] == op.immediate_size
        expected = sum(1 << FLAG_NAMES.index(flag) for flag in op.flags)
        assert CANCUN.flags[op.byte] == expected
    assert int(np.count_nonzero(CANCUN.defined)) == 149
    with pytest.raises(ValueError):
        CANCUN.static_gas[0] = 1  # read-only: engines share these arrays


def test_every_opcode_has_exactly_one_reference_implementation():
    names = {op.mnemonic for op in opcode_table(fork_names()[-1]).by_byte if op}
    assert set(IMPLEMENTATIONS) == names
