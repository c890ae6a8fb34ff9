"""The fast BPF engines, held bit-for-bit equal to jitvm.bpf.reference by tests/bpf.

- `layout`: the run's state as numpy arrays (registers, counters, call frames, the region table) and
  the program lowered to one uint64 array; shared by both engines, so either can continue a run.
- `raw`: unaligned loads and stores at checked host addresses (Numba intrinsics).
- `kernel`: 'baseline', the Numba interpreter (compiled once per install, cached on disk).
- `codegen`: the 'jit' code generator, basic blocks to LLVM IR text (jitvm.jit.blocks for blocks).
- `jit`: compiling, caching (jitvm.jit.cache) and linking (jitvm.jit.engine) programs.
- `driver`: runs a program on the engines, serves helper and syscall calls in Python, builds the
  ExecutionResult, and holds the 'auto' policy.

Use them through `jitvm.bpf.run(program, data, engine="baseline" | "jit" | "auto")`.
"""
