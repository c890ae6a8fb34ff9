"""KECCAK256 for generated code: a C-ABI entry point compiled (or loaded from Numba's cache) when
this module is imported, which jitvm.evm.jit.helpers does only when code that calls it is linked."""

from numba import carray, types

from jitvm.evm.baseline.keccak import keccak256_word
from jitvm.jit.numba_cache import cached_cfunc


@cached_cfunc(__name__, types.void(types.CPointer(types.uint64), types.CPointer(types.uint8), types.int64, types.int64))
def evm_keccak256(out, memory, start, size):
    """out = KECCAK256 of memory[start : start + size], as four little-endian limbs."""
    word = keccak256_word(carray(memory, (start + size,)), start, size)
    for index in range(4):
        out[index] = word[index]
