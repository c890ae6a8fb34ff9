"""What the limb cfuncs (uint256_cfuncs.py) look like from C and from LLVM, known without Numba.

A code generator declares them, and the JIT registers them, before any of them is compiled (each is
compiled, or loaded from Numba's cache, when the first code that calls it is linked): so this module
imports nothing, and a process that never divides never loads Numba for it.
"""

# Operands besides `out` of each entry point (every operand and the result: four uint64 limbs behind a pointer).
HELPER_OPERANDS = {
    "evm_div": 2,
    "evm_sdiv": 2,
    "evm_mod": 2,
    "evm_smod": 2,
    "evm_exp": 2,
    "evm_addmod": 3,
    "evm_mulmod": 3,
}
C_SIGNATURES = {
    2: "void (uint64_t *out, const uint64_t *a, const uint64_t *b)",
    3: "void (uint64_t *out, const uint64_t *a, const uint64_t *b, const uint64_t *n)",
}
LLVM_SIGNATURES = {2: "void (ptr, ptr, ptr)", 3: "void (ptr, ptr, ptr, ptr)"}
