"""Runtime helpers of the EVM JIT besides the limb arithmetic of jitvm.evm.limbs: C-ABI entry points
that generated code calls (registered in compile.register_helpers). Importing this module compiles
them (or loads them from Numba's cache)."""

from numba import carray, types

from jitvm.evm.baseline.keccak import keccak256_word
from jitvm.jit.numba_cache import cached_cfunc


@cached_cfunc(__name__, types.void(types.CPointer(types.uint64), types.CPointer(types.uint8), types.int64, types.int64))
def evm_keccak256(out, memory, start, size):
    """out = KECCAK256 of memory[start : start + size], as four little-endian limbs."""
    word = keccak256_word(carray(memory, (start + size,)), start, size)
    for index in range(4):
        out[index] = word[index]


HELPERS = {"evm_keccak256": (evm_keccak256.address, "void (ptr, ptr, i64, i64)")}
