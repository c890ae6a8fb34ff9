"""jitvm: fast, exact execution of EVM and BPF bytecode.

A readable reference interpreter defines what is right for each instruction set; the native engines
(a Numba-compiled interpreter and a per-block LLVM JIT) are held equal to it, bit for bit.
"""

__version__ = "0.1.0"
