"""Engines by name, as on the EVM side: 'reference' (the readable interpreter), 'baseline' (the
Numba-compiled interpreter), 'jit' (the per-block LLVM JIT) and 'auto' (the fastest available).

Only 'reference' exists for BPF so far; 'auto' maps to it until 'baseline' lands, and asking for an
engine that is not built is an `InputError` naming it.
"""

from __future__ import annotations

from jitvm.bpf.machine import ExecutionResult
from jitvm.errors import InputError

ENGINES = ("reference", "baseline", "jit", "auto")
AVAILABLE = ("reference",)
AUTO_ENGINE = "reference"  # becomes 'baseline' once the Numba interpreter exists


def resolve(engine: str) -> str:
    if engine not in ENGINES:
        raise InputError("engine", f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    name = AUTO_ENGINE if engine == "auto" else engine
    if name not in AVAILABLE:
        raise InputError("engine", f"the BPF engine {name!r} is not built yet (available: {', '.join(AVAILABLE)})")
    return name


def run(program, input_data: bytes = b"", *, engine: str = "reference", **options) -> ExecutionResult:
    """Run `program` (a `Program`) on `input_data` with the named engine; see `run_reference` for
    the options (helpers, compute_budget, heap_size)."""
    resolve(engine)
    from jitvm.bpf.reference import run_reference

    return run_reference(program, input_data, **options)
