"""One program execution on a jitvm engine, with the registers Agave's loader sets at entry: r1 =
the input, and r2 = the address of the instruction data inside it (SIMD-0321). jitvm.bpf.run takes
no initial registers, so this reaches one level down (the reference Machine, the driver's NativeRun)
and sets r2 before the first instruction; everything else is jitvm.bpf's own run."""

from __future__ import annotations

from jitvm.bpf.engines import resolve
from jitvm.bpf.machine import ExecutionResult
from jitvm.bpf.memory import MM_INPUT_START


def run_program(program, input_data: bytes, *, engine: str, helpers, compute_budget: int, heap_size: int,
                instruction_data_offset: int, compiled=None) -> ExecutionResult:
    """`compiled`: for the jit engine, a function giving a program's compiled code (a cache)."""
    name = resolve(engine)
    r2 = MM_INPUT_START + instruction_data_offset
    if name == "reference":
        from jitvm.bpf.reference import Machine

        machine = Machine(program, bytes(input_data), helpers, compute_budget, heap_size)
        machine.reg[2] = r2
        return machine.run()
    from jitvm.bpf import driver

    run = driver.NativeRun(program, input_data, helpers, compute_budget, heap_size)
    run.arrays.registers[2] = r2
    if name == "baseline":
        return run.run_interpreter()
    from jitvm.bpf.jit.compile import compiled_program

    if name == "jit":
        return run.run_tiered((compiled or compiled_program)(program))
    return run.run_tiered(build=lambda: compiled_program(program), hot_units=driver.AUTO.hot_units)
