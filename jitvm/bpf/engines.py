"""Engines by name, as on the EVM side: 'reference' (the readable interpreter), 'baseline' (the
Numba-compiled interpreter, jitvm.bpf.baseline.kernel), 'jit' (the per-block LLVM JIT,
jitvm.bpf.jit.codegen) and 'auto' (the interpreter, moving to the JIT once a program is hot:
see jitvm.bpf.driver.AutoPolicy). Every engine gives the same ExecutionResult.
"""

from __future__ import annotations

from jitvm.bpf.machine import ExecutionResult
from jitvm.errors import InputError

ENGINES = ("reference", "baseline", "jit", "auto")
AVAILABLE = ENGINES


def resolve(engine: str) -> str:
    if engine not in ENGINES:
        raise InputError("engine", f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    return engine


def get_engine(engine: str):
    """What the benchmark harness asks an engine for (compile_stats, settle): the JIT's tiers for
    'jit' and 'auto', None for the interpreters."""
    name = resolve(engine)
    if name in ("jit", "auto"):
        from jitvm.bpf.driver import JitTiers

        return JitTiers()
    return None


def run(program, input_data: bytes = b"", *, engine: str = "reference", **options) -> ExecutionResult:
    """Run `program` (a `Program`) on `input_data` with the named engine; see `run_reference` for
    the options (helpers, compute_budget, heap_size, direct_mapping: Solana's direct mapping, under
    which memory syscalls work region by region and sBPF v0 has no stack gaps)."""
    name = resolve(engine)
    if options.get("direct_mapping"):
        from jitvm.bpf.vm import vm_program

        program = vm_program(program, None, True)
    if name == "reference":
        from jitvm.bpf.reference import run_reference

        return run_reference(program, input_data, **options)
    from jitvm.bpf import driver

    runner = {"baseline": driver.run_baseline, "jit": driver.run_jit, "auto": driver.run_auto}[name]
    return runner(program, input_data, **options)
