"""The callee table: for the accounts a CALL-family instruction may enter natively, their account
index in the storage table and where their code's rows are, so a native child frame
(docs/native-calls.md) finds its callee from the 20-byte address on the stack without Python.

One uint64[rows, 8] array (layout below) that native code reaches through one address
(jitvm.evm.callee_native). Python fills it when it serves a CALL to an account (`remember`), so
the second transaction onwards finds it; an address the table does not hold (or holds invalid)
goes to Python, as today.

Kept true by `State`: every change of an account's code, its deletion or replacement, and the
revert of those, `forget` the address (State.set_code, State.destroy_account, State.revert,
jitvm.api.SessionState.put_account). Code that replaces `State.accounts` entries by hand after a
transaction has run must call `state.callees.clear()`. The table also names storage-table account
indexes, so it is cleared whenever the storage table forgets its entries.

    row HEADER        entries in use, capacity in entries, log2 of the hash slots, 0 ...
    ENTRIES[e]        the address as three little-endian limbs (the low 160 bits of the stack word:
                      limb 0, limb 1, the low 32 bits of limb 2), the account's storage-table index,
                      the code rows' address (jitvm.evm.baseline.layout.code_rows; 0 without code),
                      the code's size, flags (VALID), the storage-table entry of its balance plus
                      one (jitvm.evm.balance_table; 0: the balance is Python's)
    HASH              one slot a row's first column: entry + 1, or 0 for an empty slot; a slot's
                      home is the top bits of a multiplicative hash of the three limbs

Only accounts at addresses from PRECOMPILE_RANGE up, with code that does not start with 0xEF (an
EIP-7702 delegation) or without code but with their balance in the storage table (an existing
account a CALL with value reached), are held: a precompile, a delegation or another account without
code goes to Python (native code checks the range itself, whatever the fork's precompiles).
"""

from __future__ import annotations

import numpy as np

HEADER = 0
COLUMNS = 8
# Columns of HEADER.
COUNT, CAPACITY, HASH_BITS = 0, 1, 2
# Columns of an entry.
LIMB0, LIMB1, LIMB2, ACCOUNT_INDEX, CODE_ADDRESS, CODE_SIZE, FLAGS, BALANCE_ENTRY = 0, 1, 2, 3, 4, 5, 6, 7
VALID = 1
ENTRIES_AT = 1
PRECOMPILE_RANGE = 0x10000  # addresses below are never held (precompiles of any fork live there)
HASH_MULTIPLIER = 0x9E3779B97F4A7C15

_MASK = (1 << 64) - 1
_EF = 0xEF  # code starting with it is an EIP-7702 delegation (or undeployable): left to Python
_NO_CODE = ()  # the code rows of an entry without code (not None: None is a forgotten entry)


def address_limbs(address: bytes) -> tuple[int, int, int]:
    value = int.from_bytes(address, "big")
    return value & _MASK, (value >> 64) & _MASK, value >> 128


def hash_home(limbs: tuple[int, int, int], bits: int) -> int:
    """The hash slot where an address starts probing (callee_native.find_callee computes the same)."""
    mixed = limbs[0] ^ limbs[1] ^ limbs[2]
    return ((mixed * HASH_MULTIPLIER) & _MASK) >> (64 - bits)


class CalleeTable:
    INITIAL_ENTRIES = 16  # grown by doubling; small, for a new State per call (docs/new-state.md)
    MAX_ENTRIES = 1 << 14  # beyond, `clear` at the next transaction (State.begin_transaction)

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        """Forget every entry."""
        self.full = False  # more than MAX_ENTRIES entries: State.begin_transaction clears the table
        self._entry_of: dict[bytes, int] = {}
        self._codes: list = []  # per entry, the code rows array its CODE_ADDRESS names (kept alive)
        self._allocate(self.INITIAL_ENTRIES)

    def _allocate(self, entries: int) -> None:
        bits = (2 * entries).bit_length() - 1
        cells = np.zeros((ENTRIES_AT + entries + (1 << bits), COLUMNS), dtype=np.uint64)
        count = len(self._codes)
        if count:
            cells[ENTRIES_AT : ENTRIES_AT + count] = self.cells[ENTRIES_AT : ENTRIES_AT + count]
        cells[HEADER, COUNT], cells[HEADER, CAPACITY], cells[HEADER, HASH_BITS] = count, entries, bits
        hash_at = ENTRIES_AT + entries
        mask = (1 << bits) - 1
        for entry in range(count):
            slot = hash_home(tuple(int(limb) for limb in cells[ENTRIES_AT + entry, :3]), bits)
            while cells[hash_at + slot, 0]:
                slot = (slot + 1) & mask
            cells[hash_at + slot, 0] = entry + 1
        self.cells = cells
        self.address = cells.ctypes.data
        self.rows = cells.shape[0]

    def __len__(self) -> int:
        return len(self._codes)

    def remember(self, address: bytes, account_index: int, code: bytes, balance_entry: int = -1) -> bool:
        """Hold `address`, whose code is `code`, storage-table index `account_index` and balance
        entry `balance_entry` (-1: none), if it can be entered natively (see the module); False if
        not held."""
        if (not code and balance_entry < 0) or int.from_bytes(address, "big") < PRECOMPILE_RANGE or (
                code and code[0] == _EF):
            self.forget(address)
            return False
        if code:
            from jitvm.evm.baseline.layout import code_rows_at

            rows, rows_address = code_rows_at(code)
        else:
            rows, rows_address = _NO_CODE, 0
        entry = self._entry_of.get(address)
        if entry is None:
            entry = len(self._codes)
            if entry == self.cells[HEADER, CAPACITY]:
                self._allocate(2 * entry)
            cells = self.cells
            limbs = address_limbs(address)
            cells[ENTRIES_AT + entry, :3] = limbs
            bits = int(cells[HEADER, HASH_BITS])
            hash_at, mask = ENTRIES_AT + int(cells[HEADER, CAPACITY]), (1 << bits) - 1
            slot = hash_home(limbs, bits)
            while cells[hash_at + slot, 0]:
                slot = (slot + 1) & mask
            cells[hash_at + slot, 0] = entry + 1
            cells[HEADER, COUNT] = entry + 1
            self._entry_of[address] = entry
            self._codes.append(rows)
            if entry >= self.MAX_ENTRIES:
                self.full = True
        else:
            self._codes[entry] = rows
        row = self.cells[ENTRIES_AT + entry]
        row[ACCOUNT_INDEX], row[CODE_ADDRESS], row[CODE_SIZE], row[FLAGS] = account_index, rows_address, len(code), VALID
        row[BALANCE_ENTRY] = balance_entry + 1
        return True

    def has_balance(self, address: bytes) -> bool:
        """Whether the table holds `address` valid with its balance entry."""
        entry = self._entry_of.get(address)
        return entry is not None and self._codes[entry] is not None and bool(
            self.cells[ENTRIES_AT + entry, BALANCE_ENTRY])

    def forget(self, address: bytes) -> None:
        """The address's code or account changed: native code must not enter it from here on."""
        entry = self._entry_of.get(address)
        if entry is not None:
            self.cells[ENTRIES_AT + entry, FLAGS] = 0
            self._codes[entry] = None

    def __contains__(self, address: bytes) -> bool:
        """Whether the table holds `address` valid (native code may enter it)."""
        entry = self._entry_of.get(address)
        return entry is not None and self._codes[entry] is not None
