"""The native side of balances in the storage table (jitvm.evm.balance_table, docs/native-values.md):
read, compare and move a balance entry's 256-bit value (four little-endian uint64 limbs), journaled
like a slot's change (storage_native.record) so that storage_native.undo_to and StorageTable.revert
undo it. Python adds and links the entries; native code only changes entries that exist."""

import numpy as np

from jitvm.evm.storage_layout import HEADER, JOURNAL_CAPACITY, JOURNAL_LENGTH, MORE_OFFSETS, OFFSETS, VALUES_AT
from jitvm.evm.storage_native import record
from jitvm.jit.numba_cache import cached_njit

native = cached_njit(__name__, error_model="numpy")

_ZERO = np.uint64(0)
_ONE = np.uint64(1)


@native
def journal_room(cells, records):
    """Whether the journal has room for `records` more records."""
    return cells[HEADER, JOURNAL_LENGTH] + np.uint64(records) <= cells[MORE_OFFSETS, JOURNAL_CAPACITY]


@native
def _row(cells, entry):
    return np.int64(cells[OFFSETS, VALUES_AT]) + entry


@native
def is_zero(cells, entry):
    row = _row(cells, entry)
    return (cells[row, 0] | cells[row, 1] | cells[row, 2] | cells[row, 3]) == _ZERO


@native
def covers(cells, entry, amount):
    """Whether the entry's balance is at least `amount` (four limbs)."""
    row = _row(cells, entry)
    for limb in range(3, -1, -1):
        if cells[row, limb] != amount[limb]:
            return cells[row, limb] > amount[limb]
    return True


@native
def can_receive(cells, entry, amount):
    """Whether the entry's balance plus `amount` stays below 2**256."""
    row = _row(cells, entry)
    carry = _ZERO
    for limb in range(4):
        total = cells[row, limb] + amount[limb]
        carry = _ONE if total < amount[limb] or (carry == _ONE and total == np.uint64(0xFFFFFFFFFFFFFFFF)) else _ZERO
    return carry == _ZERO


@native
def move(cells, source, target, amount):
    """Take `amount` from entry `source`'s balance and add it to entry `target`'s, in two journal
    records (journal_room said there is room for them; covers and can_receive said it fits)."""
    record(cells, source)
    row = _row(cells, source)
    borrow = _ZERO
    for limb in range(4):
        held = cells[row, limb]
        taken = amount[limb] + borrow
        borrow = _ONE if held < taken or (borrow == _ONE and taken == _ZERO) else _ZERO
        cells[row, limb] = held - taken
    record(cells, target)
    row = _row(cells, target)
    carry = _ZERO
    for limb in range(4):
        added = amount[limb] + carry
        overflowed = carry == _ONE and added == _ZERO
        total = cells[row, limb] + added
        carry = _ONE if overflowed or total < added else _ZERO
        cells[row, limb] = total
