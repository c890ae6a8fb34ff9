"""Runtime helpers of the EVM JIT besides the limb arithmetic of jitvm.evm.limbs: C-ABI entry points
that generated code calls (registered in compile.register_helpers). Importing this module compiles
them (or loads them from Numba's cache)."""

from pathlib import Path

import numpy as np
from numba import carray, cfunc, types

from jitvm.evm import gas
from jitvm.evm.baseline import kernel, keccak, layout
from jitvm.evm.baseline.kernel import buffer_log, expansion, log_fits, native_sstore, read_row
from jitvm.evm.baseline.keccak import keccak256_word
from jitvm.evm.baseline.layout import CONTROL_ROWS, LIMBS, WORD_ROWS
from jitvm.evm.baseline.numba_cache import drop_stale_files
from jitvm.evm.limbs import uint256

# These compile when defined, inlining the kernel's functions: drop their cached compilations first
# if the kernel or anything it inlines changed.
drop_stale_files(__file__, [kernel.__file__, keccak.__file__, layout.__file__, gas.__file__,
                            *Path(uint256.__file__).parent.glob("*.py")], "helpers")
LOG_DATA_BYTE = gas.LOG_DATA_BYTE

_WORDS = types.CPointer(types.uint64)
_CONTROL = types.CPointer(types.int64)


@cfunc(types.void(types.CPointer(types.uint64), types.CPointer(types.uint8), types.int64, types.int64), cache=True)
def evm_keccak256(out, memory, start, size):
    """out = KECCAK256 of memory[start : start + size], as four little-endian limbs."""
    word = keccak256_word(carray(memory, (start + size,)), start, size)
    for index in range(4):
        out[index] = word[index]


@cfunc(types.int64(_WORDS, _CONTROL, _WORDS, _WORDS, types.int64), cache=True)
def evm_sstore(words, control, key, value, available):
    """SSTORE of `key` (four limbs) := `value` natively (kernel.native_sstore), with `available`
    gas at the instruction: its cost, or -1 when the kernel must run it (nothing changed)."""
    cost, done = native_sstore(carray(words, (WORD_ROWS, LIMBS)), carray(control, (CONTROL_ROWS, 256)),
                               (key[0], key[1], key[2], key[3]), (value[0], value[1], value[2], value[3]),
                               available)
    if not done or cost > available:
        return -1
    return cost


@cfunc(types.int64(_WORDS, _CONTROL, types.CPointer(types.uint8), types.int64, _CONTROL, _WORDS, types.int64,
                   types.int64), cache=True)
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


HELPERS = {
    "evm_keccak256": (evm_keccak256.address, "void (ptr, ptr, i64, i64)"),
    "evm_sstore": (evm_sstore.address, "i64 (ptr, ptr, ptr, ptr, i64)"),
    "evm_log": (evm_log.address, "i64 (ptr, ptr, ptr, i64, ptr, ptr, i64, i64)"),
}
