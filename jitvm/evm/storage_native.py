"""The native side of the storage table (jitvm.evm.storage_table, layout in jitvm.evm.storage_layout):
lookup, SLOAD warmth and SSTORE, for the baseline kernel and the JIT's helpers. Python adds the
entries; native code only changes entries that exist, journaling each change like the Python side
(StorageTable._record), and leaves the instruction to the host when the journal is full.

Native code also adds entries in two cases where their value is known (zero): a cold slot of an
account whose whole storage the table holds (the frame's STORAGE_COMPLETE register, set by
StorageTable.frame_account), and a transient key never stored. `insert` adds such an entry cold and
unchanged, as StorageTable.insert would: the instruction that added it then warms or writes it,
journaled. The Python side's dictionaries take entries added natively when Python next looks one up
(StorageTable.adopt).

Native code finds the table through two registers of the frame (layout.STORAGE_CELLS, its address,
and STORAGE_ROWS) that host.NativeFrame.store sets before every entry into native code: the array
may be replaced (grown) whenever Python runs, never while native code does.
"""

import numpy as np
from numba import carray, types
from numba.extending import intrinsic

from jitvm.evm.storage_layout import (
    ACCOUNT,
    ADDRESS,
    ACCOUNT_MULTIPLIER,
    COUNT,
    DIRTY,
    DIRTY_COUNT,
    EPOCH,
    HASH_AT,
    HASH_BITS,
    HASH_MULTIPLIER,
    HEADER,
    JOURNAL_AT,
    JOURNAL_CAPACITY,
    JOURNAL_LENGTH,
    KEYS_AT,
    META_AT,
    MORE_OFFSETS,
    OFFSETS,
    ORIGINAL_EPOCH,
    ORIGINALS_AT,
    RECORD_ROWS,
    TRANSIENT,
    VALUES_AT,
    WARM_EPOCH,
)
from jitvm.jit.numba_cache import cached_njit

native = cached_njit(__name__, error_model="numpy")

_HASH_MULTIPLIER = np.uint64(HASH_MULTIPLIER)
_ACCOUNT_MULTIPLIER = np.uint64(ACCOUNT_MULTIPLIER)
_ZERO = np.uint64(0)


@intrinsic
def _as_pointer(typingctx, address):
    """An int64 address as a uint64 pointer."""
    if not isinstance(address, types.Integer):
        return None
    signature = types.CPointer(types.uint64)(address)

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

    return signature, codegen


@native
def table_cells(address, rows):
    """The table array at `address` with `rows` rows."""
    return carray(_as_pointer(address), (rows, 4))


@native
def _home(cells, account, key):
    """(the hash slot where (account, key) starts probing, the slot mask, the first hash row: four
    hash slots a row)."""
    bits = cells[HEADER, HASH_BITS]
    mask = (np.int64(1) << np.int64(bits)) - 1
    mixed = key[0] ^ key[1] ^ key[2] ^ key[3] ^ (np.uint64(account) * _ACCOUNT_MULTIPLIER)
    slot = np.int64((mixed * _HASH_MULTIPLIER) >> (np.uint64(64) - bits))
    return slot, mask, np.int64(cells[MORE_OFFSETS, HASH_AT])


@native
def find(cells, account, key):
    """The entry of (account, key), or -1."""
    slot, mask, hashes_at = _home(cells, account, key)
    keys_at = np.int64(cells[OFFSETS, KEYS_AT])
    meta_at = np.int64(cells[OFFSETS, META_AT])
    for _ in range(mask + 1):
        # Indexed by row and column, not through a flat reshape: a reshape may allocate, and the
        # kernel's object code links without Numba's allocator (jitvm.jit.numba_aot).
        held = np.int64(cells[hashes_at + (slot >> 2), slot & 3])
        if held == 0:
            return -1
        entry = held - 1
        if np.int64(cells[meta_at + entry, ACCOUNT]) == account:
            stored = cells[keys_at + entry]
            if stored[0] == key[0] and stored[1] == key[1] and stored[2] == key[2] and stored[3] == key[3]:
                return entry
        slot = (slot + 1) & mask
    return -1


@native
def has_entry_room(cells):
    """Whether one more entry fits without growing the table (Python grows it)."""
    return cells[HEADER, COUNT] < cells[OFFSETS, VALUES_AT] - cells[OFFSETS, KEYS_AT]


@native
def insert(cells, account, key):
    """A new entry for (account, key), which `find` did not find, with value and original value
    zero, cold and unchanged (has_entry_room said there is room); the hash stays at most half full,
    as the table has twice as many hash slots as entries."""
    entry = np.int64(cells[HEADER, COUNT])
    keys = np.int64(cells[OFFSETS, KEYS_AT]) + entry
    values = np.int64(cells[OFFSETS, VALUES_AT]) + entry
    originals = np.int64(cells[OFFSETS, ORIGINALS_AT]) + entry
    meta = np.int64(cells[OFFSETS, META_AT]) + entry
    for limb in range(4):
        cells[keys, limb] = key[limb]
        cells[values, limb] = 0
        cells[originals, limb] = 0
        cells[meta, limb] = 0
    cells[meta, ACCOUNT] = np.uint64(account)
    slot, mask, hashes_at = _home(cells, account, key)
    while cells[hashes_at + (slot >> 2), slot & 3] != 0:
        slot = (slot + 1) & mask
    cells[hashes_at + (slot >> 2), slot & 3] = np.uint64(entry + 1)
    cells[HEADER, COUNT] = np.uint64(entry + 1)
    return entry


@native
def has_journal_room(cells):
    return cells[HEADER, JOURNAL_LENGTH] < cells[MORE_OFFSETS, JOURNAL_CAPACITY]


@native
def record(cells, entry):
    """Journal the entry as it is now (has_journal_room said there is room)."""
    length = np.int64(cells[HEADER, JOURNAL_LENGTH])
    row = np.int64(cells[MORE_OFFSETS, JOURNAL_AT]) + RECORD_ROWS * length
    meta = cells[np.int64(cells[OFFSETS, META_AT]) + entry]
    cells[row, 0] = np.uint64(entry)
    cells[row, 1] = meta[ORIGINAL_EPOCH]
    cells[row, 2] = meta[WARM_EPOCH]
    cells[row, 3] = 0
    values = np.int64(cells[OFFSETS, VALUES_AT]) + entry
    originals = np.int64(cells[OFFSETS, ORIGINALS_AT]) + entry
    for limb in range(4):  # limb by limb: a row assigned from a row is copied through a temporary,
        # which Numba allocates, and the kernel's object code links without its allocator
        cells[row + 1, limb] = cells[values, limb]
        cells[row + 2, limb] = cells[originals, limb]
    cells[HEADER, JOURNAL_LENGTH] = np.uint64(length + 1)


@native
def undo_to(cells, length):
    """Undo every change journaled after the first `length` records (StorageTable.revert, natively:
    a native child frame that failed, or everything since a native CALL began)."""
    current = np.int64(cells[HEADER, JOURNAL_LENGTH])
    journal_at = np.int64(cells[MORE_OFFSETS, JOURNAL_AT])
    meta_at = np.int64(cells[OFFSETS, META_AT])
    values_at = np.int64(cells[OFFSETS, VALUES_AT])
    originals_at = np.int64(cells[OFFSETS, ORIGINALS_AT])
    for record_index in range(current - 1, length - 1, -1):
        row = journal_at + RECORD_ROWS * record_index
        entry = np.int64(cells[row, 0])
        meta = meta_at + entry
        cells[meta, ORIGINAL_EPOCH] = cells[row, 1]
        cells[meta, WARM_EPOCH] = cells[row, 2]
        for limb in range(4):
            cells[values_at + entry, limb] = cells[row + 1, limb]
            cells[originals_at + entry, limb] = cells[row + 2, limb]
        if cells[meta, ACCOUNT] < np.uint64(TRANSIENT) and cells[meta, DIRTY] == 0:
            cells[meta, DIRTY] = 1
            cells[MORE_OFFSETS, DIRTY_COUNT] += np.uint64(1)
    if current > length:
        cells[HEADER, JOURNAL_LENGTH] = np.uint64(length)


@native
def is_cold(cells, entry):
    return cells[np.int64(cells[OFFSETS, META_AT]) + entry, WARM_EPOCH] != cells[HEADER, EPOCH]


@native
def warm(cells, entry):
    """Make a cold entry warm, journaled (has_journal_room said there is room)."""
    record(cells, entry)
    cells[np.int64(cells[OFFSETS, META_AT]) + entry, WARM_EPOCH] = cells[HEADER, EPOCH]


@native
def warmth_entry(cells, account):
    """The entry of account index `account`'s warmth (EIP-2929; storage_layout.ADDRESS), or -1 if
    the table holds none yet (Python adds it: StorageTable.warmth_entry). `is_cold` and `warm` then
    read and warm it like a slot's entry."""
    return find(cells, account + ADDRESS, (_ZERO, _ZERO, _ZERO, _ZERO))


@native
def _word(cells, row):
    return (cells[row, 0], cells[row, 1], cells[row, 2], cells[row, 3])


@native
def value_of(cells, entry):
    """The entry's value, four limbs."""
    return _word(cells, np.int64(cells[OFFSETS, VALUES_AT]) + entry)


@native
def original_of(cells, entry):
    """The entry's value when the transaction began."""
    if cells[np.int64(cells[OFFSETS, META_AT]) + entry, ORIGINAL_EPOCH] != cells[HEADER, EPOCH]:
        return value_of(cells, entry)
    return _word(cells, np.int64(cells[OFFSETS, ORIGINALS_AT]) + entry)


@native
def store(cells, entry, new):
    """SSTORE's change: set the entry's value and make it warm, in one journal record
    (has_journal_room said there is room), keeping its original value and marking it dirty for
    Account.storage."""
    record(cells, entry)
    meta = np.int64(cells[OFFSETS, META_AT]) + entry
    values = np.int64(cells[OFFSETS, VALUES_AT]) + entry
    epoch = cells[HEADER, EPOCH]
    cells[meta, WARM_EPOCH] = epoch
    if cells[meta, ORIGINAL_EPOCH] != epoch:
        originals = np.int64(cells[OFFSETS, ORIGINALS_AT]) + entry
        for limb in range(4):
            cells[originals, limb] = cells[values, limb]
        cells[meta, ORIGINAL_EPOCH] = epoch
    for limb in range(4):
        cells[values, limb] = new[limb]
    if cells[meta, DIRTY] == 0:
        cells[meta, DIRTY] = 1
        cells[MORE_OFFSETS, DIRTY_COUNT] += np.uint64(1)


@native
def transient_load(cells, account, key):
    """TLOAD: the value of `key` in the account's transient storage (zero unless set in this
    transaction)."""
    entry = find(cells, account + TRANSIENT, key)
    if entry < 0 or is_cold(cells, entry):
        return (_ZERO, _ZERO, _ZERO, _ZERO)
    return value_of(cells, entry)


@native
def transient_store(cells, account, key, new):
    """TSTORE, journaled (a key never stored gets its entry here): False (nothing changed) when the
    host must serve it (a full journal or table)."""
    if not has_journal_room(cells):
        return False
    entry = find(cells, account + TRANSIENT, key)
    if entry < 0:
        if not has_entry_room(cells):
            return False
        entry = insert(cells, account + TRANSIENT, key)
    record(cells, entry)
    cells[np.int64(cells[OFFSETS, META_AT]) + entry, WARM_EPOCH] = cells[HEADER, EPOCH]
    values = np.int64(cells[OFFSETS, VALUES_AT]) + entry
    for limb in range(4):
        cells[values, limb] = new[limb]
    return True
