"""Runtime helpers of the EVM JIT besides the limb arithmetic of jitvm.evm.limbs: C-ABI entry points
that generated code calls (registered lazily in compile.register_helpers). Each is compiled (or
loaded from Numba's cache) the first time code that calls it is linked."""

import functools

from numba import carray, types

from jitvm.evm.baseline.keccak import keccak256_word
from jitvm.jit.numba_cache import cached_cfunc


def evm_keccak256(out, memory, start, size):
    """out = KECCAK256 of memory[start : start + size], as four little-endian limbs."""
    word = keccak256_word(carray(memory, (start + size,)), start, size)
    for index in range(4):
        out[index] = word[index]


_KECCAK256_TYPE = types.void(types.CPointer(types.uint64), types.CPointer(types.uint8), types.int64, types.int64)


@functools.cache
def _compiled_keccak256():
    return cached_cfunc(__name__, _KECCAK256_TYPE)(evm_keccak256)  # kept alive by the cache


# name -> (function building its address, LLVM signature)
HELPERS = {"evm_keccak256": (lambda: _compiled_keccak256().address, "void (ptr, ptr, i64, i64)")}
