"""SLOAD, SSTORE and LOGn for generated code: C-ABI entry points over the state's native storage
table (jitvm.evm.storage_native, found through the frame's STORAGE_CELLS register) and the baseline
kernel's log buffer, compiled (or loaded from Numba's cache, keyed by everything they inline: see
jitvm.jit.numba_cache) when this module is imported, which jitvm.evm.jit.helpers does only when code
that calls them is linked."""

import numpy as np
from numba import carray, types

from jitvm.evm import gas
from jitvm.evm.baseline.kernel import (
    buffer_log,
    expansion,
    log_fits,
    native_sstore,
    read_row,
    table_sload,
)
from jitvm.evm.baseline.layout import CONTROL_ROWS, LIMBS, REGISTERS_ROW, STORAGE_CELLS, STORAGE_ROWS, WORD_ROWS
from jitvm.evm.storage_native import table_cells
from jitvm.jit.numba_cache import cached_njit, cached_cfunc

LOG_DATA_BYTE = gas.LOG_DATA_BYTE

_WORDS = types.CPointer(types.uint64)
_CONTROL = types.CPointer(types.int64)


@cached_njit(__name__)
def _cells(table):
    registers = table[REGISTERS_ROW]
    return table_cells(registers[STORAGE_CELLS], registers[STORAGE_ROWS])


@cached_cfunc(__name__, types.int64(_WORDS, _CONTROL, _WORDS, types.int64))
def evm_sload(words, control, key, available):
    """SLOAD of `key` (four limbs, replaced by the value read) from the storage table, with
    `available` gas at the instruction: the gas it costs beyond its static gas (the cold surcharge
    of a cold slot, which is warm afterwards), or -1 when the kernel must run it (the table does not
    hold the slot, or cannot journal the change)."""
    table = carray(control, (CONTROL_ROWS, 256))
    cost, value, done = table_sload(_cells(table), table[REGISTERS_ROW], (key[0], key[1], key[2], key[3]),
                                    available)
    if not done:
        return -1
    if cost <= available:
        for limb in range(LIMBS):
            key[limb] = value[limb]
    return cost


@cached_cfunc(__name__, types.int64(_WORDS, _CONTROL, _WORDS, _WORDS, types.int64))
def evm_sstore(words, control, key, value, available):
    """SSTORE of `key` (four limbs) := `value` natively (kernel.native_sstore), with `available`
    gas at the instruction: its cost, or -1 when the kernel must run it (nothing changed)."""
    table = carray(control, (CONTROL_ROWS, 256))
    cost, done = native_sstore(_cells(table), table, (key[0], key[1], key[2], key[3]),
                               (value[0], value[1], value[2], value[3]), available)
    if not done or cost > available:
        return -1
    return cost


@cached_cfunc(__name__, types.int64(_WORDS, _CONTROL, types.CPointer(types.uint8), types.int64, _CONTROL, _WORDS,
                                    types.int64, types.int64))
def evm_log(words, control, memory, capacity, msize, operands, topic_count, available):
    """LOGn natively (the kernel's LOG handler): `operands` holds offset, size and the topics as
    rows of four limbs; msize points at the memory size, updated if memory grows. Returns the gas
    it costs (data and expansion), or -1 when the kernel must run it (nothing changed)."""
    rows = carray(operands, (6, LIMBS))
    offset, size = read_row(rows, 0), read_row(rows, 1)
    table = carray(control, (CONTROL_ROWS, 256))
    if not log_fits(table, size):
        return -1
    count = np.int64(size[0])
    cost, new_size = expansion(msize[0], offset, size)
    cost += LOG_DATA_BYTE * count
    if cost > available or new_size > capacity:
        return -1
    msize[0] = new_size
    buffer_log(carray(words, (WORD_ROWS, LIMBS)), table, carray(memory, (capacity,)),
               np.int64(offset[0]) if count else 0, count, rows, 2, 1, topic_count)
    return cost
