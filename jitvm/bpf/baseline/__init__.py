"""'baseline', the Numba-compiled BPF interpreter, and the run state it shares with the JIT.

- `layout`: the run's state as numpy arrays (registers, counters, call frames, the region table) and
  the program lowered to one uint64 array; shared by both fast engines, so either can continue a run.
- `raw`: unaligned loads and stores at checked host addresses (Numba intrinsics).
- `kernel`: the interpreter itself (compiled once per install, cached on disk).

jitvm.bpf.driver runs programs on it; jitvm.bpf.jit is the block JIT over the same arrays.
"""
