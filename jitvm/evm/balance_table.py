"""Balances in the native storage table (docs/native-values.md): an account whose balance native code
may read and change (a CALL with value run as a native child frame, jitvm.evm.baseline.frame_driver)
keeps it in a storage-table entry (under its account index plus storage_layout.BALANCE) instead of in
its `Account` object: `Account.balance` reads the entry, and `State.set_balance` writes it journaled
in the table, so native changes and Python's are undone in one journal, in order.

Each entry belongs to one `Account` object for good (StorageTable.balance_owners; a new object of the
same address, after `insert_account_info` or a revert, gets an entry of its own), so no journal
record of an entry is ever another object's, and linking needs no undo: changes before the link are
in the State's journal (undone through `Account.balance`, which writes the entry), changes after it in
the table's, which `State.revert` undoes first. The callee table (jitvm.evm.callee_table) tells native
code an address's entry and forgets the address whenever its `Account` object is replaced, so native
code only reaches the entry of the object `State.accounts` holds.
"""

from __future__ import annotations


def link(state, address: bytes) -> int:
    """The storage table entry holding `address`'s balance from now on, or -1 if the account does
    not exist (there is no balance to hold)."""
    account = state.accounts.get(address)
    if account is None:
        return -1
    table = state.storage_table
    entry = account._balance_entry
    if entry >= 0 and table.balance_owners.get(entry) is account:
        return entry
    if entry >= 0:  # (another State's table: keep the balance here)
        return -1
    entry = table.new_balance_entry(address, account._balance)
    account._balance_entry = entry
    account._state = state
    table.balance_owners[entry] = account
    return entry
