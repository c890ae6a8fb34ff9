"""'jit', the per-block BPF JIT over the baseline's run state (jitvm.bpf.baseline.layout).

- `codegen`: basic blocks (jitvm.jit.blocks) to LLVM IR text.
- `compile`: compiling, caching (jitvm.jit.cache) and linking (jitvm.jit.linker) programs.

jitvm.bpf.driver runs programs on it, and holds the 'auto' policy.
"""
