"""The native side of the callee table (jitvm.evm.callee_table, which has the layout): find a
callee by the address word on the stack. Read-only: Python fills and invalidates the table."""

import numpy as np
from numba import carray

from jitvm.evm.callee_table import CAPACITY, COLUMNS, ENTRIES_AT, FLAGS, HASH_BITS, HASH_MULTIPLIER, HEADER, VALID
from jitvm.evm.storage_native import _as_pointer
from jitvm.jit.numba_cache import cached_njit

native = cached_njit(__name__, error_model="numpy")

_HASH_MULTIPLIER = np.uint64(HASH_MULTIPLIER)
_LOW_32 = np.uint64(0xFFFFFFFF)


@native
def callee_cells(address, rows):
    """The callee table array at `address` with `rows` rows."""
    return carray(_as_pointer(address), (rows, COLUMNS))


@native
def find_callee(cells, word):
    """The entry row of the account whose address is the low 160 bits of `word` (four
    little-endian limbs), or -1 if the table holds no valid entry for it."""
    low, middle, high = word[0], word[1], word[2] & _LOW_32
    bits = cells[HEADER, HASH_BITS]
    mask = (np.int64(1) << np.int64(bits)) - 1
    slot = np.int64(((low ^ middle ^ high) * _HASH_MULTIPLIER) >> (np.uint64(64) - bits))
    hash_at = ENTRIES_AT + np.int64(cells[HEADER, CAPACITY])
    for _ in range(mask + 1):
        held = np.int64(cells[hash_at + slot, 0])
        if held == 0:
            return -1
        row = ENTRIES_AT + held - 1
        if cells[row, 0] == low and cells[row, 1] == middle and cells[row, 2] == high:
            return row if cells[row, FLAGS] & np.uint64(VALID) else -1
        slot = (slot + 1) & mask
    return -1
