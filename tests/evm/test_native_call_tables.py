"""The tables a native child frame needs (docs/native-calls.md, steps 1-3): account warmth in the
storage table, the callee table and its invalidation, the arena of child frames."""

from __future__ import annotations

import numpy as np

import jitvm
from jitvm.evm.baseline.frame_arena import DATA_AT, DATA_BYTES, LEVELS, MEMORY_AT, MEMORY_BYTES, WORDS_AT, FrameArena
from jitvm.evm.baseline.layout import code_rows
from jitvm.evm.callee_native import callee_cells, find_callee
from jitvm.evm.callee_table import CODE_ADDRESS, CODE_SIZE, ENTRIES_AT, CalleeTable
from jitvm.evm.state import Account, State
from jitvm.evm.storage_native import is_cold, table_cells, warm, warmth_entry
from tests.api.bytecode import assemble
from tests.evm.test_call_trees import observed

A, B, C = b"\x11" * 20, b"\x22" * 20, b"\x33" * 20
CODE = bytes(assemble(1, 0, "SSTORE", "STOP"))


# -- account warmth --------------------------------------------------------------------------------

def test_accounts_warm_at_the_start_of_a_transaction_and_only_in_it():
    state = State()
    state.begin_transaction([A])
    assert A in state.warm_addresses and B not in state.warm_addresses
    state.begin_transaction()
    assert A not in state.warm_addresses and len(state.warm_addresses) == 0


def test_warming_an_account_is_undone_by_a_revert_with_storage():
    state = State({A: Account(code=CODE)})
    state.begin_transaction([A])
    snapshot = state.snapshot()
    assert state.warm_address(B) is True and state.warm_address(B) is False
    state.set_storage(A, 1, 5)
    state.warm_slot(A, 2)
    assert set(state.warm_addresses) == {A, B}
    state.revert(snapshot)
    assert B not in state.warm_addresses and A in state.warm_addresses
    assert state.get_storage(A, 1) == 0 and not state.is_warm_slot(A, 2)
    assert state.warm_address(B) is True  # cold again after the revert


def test_account_warmth_is_not_storage_nor_transient_storage():
    state = State({A: Account(code=CODE)})
    state.begin_transaction([A])
    state.set_transient(A, 0, 9)
    assert state.transient.as_dict() == {(A, 0): 9}
    assert state.get_storage(A, 0) == 0 and not state.is_warm_slot(A, 0)
    assert state.accounts[A].storage == {}


def test_native_code_reads_and_warms_account_warmth():
    state = State()
    state.begin_transaction([A])
    table = state.storage_table
    state.warm_addresses.update([B])
    state.warm_address(C)
    snapshot = state.snapshot()
    state.revert(snapshot)
    state.begin_transaction([A])  # B and C cold again, their entries kept
    cells = table_cells(table.address, table.rows)
    index_of = table.known_account
    assert not is_cold(cells, warmth_entry(cells, index_of(A)))
    entry = warmth_entry(cells, index_of(B))
    assert entry >= 0 and is_cold(cells, entry)
    assert warmth_entry(cells, 12345) == -1  # an account the table does not know: Python adds it
    mark = state.snapshot()
    warm(cells, entry)
    assert B in state.warm_addresses
    state.revert(mark)  # native warming is undone like a native slot write
    assert B not in state.warm_addresses


def test_warmth_matches_the_reference_through_the_api():
    """A contract touching accounts cold and warm (BALANCE, EXTCODESIZE, CALL), in a child that
    reverts too, gives the same gas on every engine."""
    caller = "0x" + "ca" * 20
    probe = assemble(0xB1, "BALANCE", "POP", 0xB1, "EXTCODESIZE", "POP", 0, 0, 0, 0, 0xB2, 5000, "STATICCALL", "POP",
                     0, 0, "REVERT")
    top = assemble(0, 0, 0, 0, 0xD0, "GAS", "DELEGATECALL", "POP", 0xB1, "BALANCE", 0xB2, "BALANCE", "ADD", 0, "SSTORE",
                   "STOP")
    outcomes = []
    for engine in ("reference", "baseline", "jit"):
        evm = jitvm.EVM(engine=engine)
        evm.insert_account_info(caller, jitvm.AccountInfo(balance=10**18))
        evm.insert_account_info("0x" + "00" * 19 + "d0", jitvm.AccountInfo(code=probe))
        evm.insert_account_info("0x" + "00" * 19 + "c0", jitvm.AccountInfo(code=top))
        outcomes.append(observed(evm, lambda: evm.message_call(caller, "0x" + "00" * 19 + "c0", b"", gas=200_000)))
    assert outcomes[0] == outcomes[1] == outcomes[2]


# -- the callee table ------------------------------------------------------------------------------

def _word(address: bytes) -> np.ndarray:
    return np.frombuffer(address[::-1] + bytes(12), dtype=np.uint64)


def _native_row(table: CalleeTable, address: bytes) -> int:
    return find_callee(callee_cells(table.address, table.rows), _word(address))


def test_the_callee_table_finds_what_python_remembered():
    table = CalleeTable()
    assert table.remember(A, 7, CODE)
    row = _native_row(table, A)
    assert row == ENTRIES_AT
    assert table.cells[row, CODE_SIZE] == len(CODE)
    assert table.cells[row, CODE_ADDRESS] == code_rows(CODE).ctypes.data
    assert _native_row(table, B) == -1
    # upper bits of the stack word beyond the 160-bit address are ignored, as CALL ignores them
    word = _word(A).copy()
    word[3] = 0xFFFF
    word[2] |= np.uint64(0xFFFF << 32)
    assert find_callee(callee_cells(table.address, table.rows), word) == row


def test_the_callee_table_holds_no_precompile_no_codeless_account_no_delegation():
    table = CalleeTable()
    assert not table.remember(b"\x00" * 19 + b"\x04", 1, CODE)
    assert not table.remember(B, 1, b"")
    assert not table.remember(C, 1, b"\xef\x01\x00" + A)
    assert len(table) == 0


def test_the_callee_table_grows_and_keeps_its_entries():
    table = CalleeTable()
    addresses = [(0xABC0000 + n).to_bytes(20, "big") for n in range(3 * CalleeTable.INITIAL_ENTRIES)]
    for n, address in enumerate(addresses):
        table.remember(address, n, CODE)
    assert all(_native_row(table, address) == ENTRIES_AT + n for n, address in enumerate(addresses))


def test_a_callee_table_past_its_bound_is_cleared_at_the_next_transaction(monkeypatch):
    monkeypatch.setattr(CalleeTable, "MAX_ENTRIES", 3)
    state = State()
    addresses = [(0xABC0000 + n).to_bytes(20, "big") for n in range(5)]
    for n, address in enumerate(addresses[:3]):
        state.callees.remember(address, n, CODE)
    state.begin_transaction()
    assert len(state.callees) == 3 and not state.callees.full  # at the bound: kept
    state.callees.remember(addresses[3], 3, CODE)
    assert state.callees.full and addresses[3] in state.callees  # past it: kept until the transaction ends
    state.begin_transaction()
    assert len(state.callees) == 0 and not state.callees.full
    state.callees.remember(addresses[4], 4, CODE)
    assert addresses[4] in state.callees


def test_code_changes_deletion_and_their_revert_invalidate_a_callee():
    state = State({A: Account(code=CODE), B: Account(code=CODE, balance=1)})
    state.begin_transaction()
    callees = state.callees
    for address in (A, B):
        callees.remember(address, state.storage_table.account_index(address), CODE)
    snapshot = state.snapshot()
    state.set_code(A, b"\x00")
    assert A not in callees and B in callees and _native_row(callees, A) == -1
    callees.remember(A, 0, state.code(A))  # Python serves a CALL to A's new code
    state.destroy_account(B)
    assert B not in callees
    callees.remember(B, 0, CODE)  # (a stale fill would be forgotten by the revert)
    state.revert(snapshot)
    assert A not in callees and B not in callees  # the new code's entry would be wrong now


def test_replacing_an_account_through_the_api_invalidates_it():
    caller, target = "0x" + "ca" * 20, "0x" + "00" * 18 + "c0c0"
    leaf = "0x" + "00" * 17 + "d0d0d0"
    evm = jitvm.EVM(engine="baseline")
    evm.insert_account_info(caller, jitvm.AccountInfo(balance=10**18))
    evm.insert_account_info(leaf, jitvm.AccountInfo(code=assemble(1, 0, "MSTORE", 32, 0, "RETURN")))
    evm.insert_account_info(target, jitvm.AccountInfo(code=assemble(32, 0, 0, 0, 0xD0D0D0, "GAS", "STATICCALL", "POP",
                                                                    32, 0, "RETURN")))
    assert int.from_bytes(bytes(evm.message_call(caller, target, b"")), "big") == 1
    leaf_address = bytes.fromhex(leaf[2:])
    assert leaf_address in evm._state.callees
    evm.insert_account_info(leaf, jitvm.AccountInfo(code=assemble(2, 0, "MSTORE", 32, 0, "RETURN")))
    assert leaf_address not in evm._state.callees
    assert int.from_bytes(bytes(evm.message_call(caller, target, b"")), "big") == 2


# -- the arena -------------------------------------------------------------------------------------

def test_the_arena_holds_every_level_once():
    arena = FrameArena()
    assert arena.levels == LEVELS
    directory = arena.directory
    assert directory[0, MEMORY_AT] == arena.memory.ctypes.data
    assert directory[1, MEMORY_AT] - directory[0, MEMORY_AT] == MEMORY_BYTES
    assert directory[1, DATA_AT] - directory[0, DATA_AT] == DATA_BYTES
    assert len(set(directory[:, WORDS_AT].tolist())) == LEVELS
    assert not arena.words.any() and not arena.memory.any()
