"""Fast EVM engines: 256-bit words as four 64-bit limbs, compiled with Numba and llvmlite."""
