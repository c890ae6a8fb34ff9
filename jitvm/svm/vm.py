"""One program execution on a jitvm engine, with the registers Agave's loader sets at entry: r1 =
the input, and r2 = the address of the instruction data inside it (SIMD-0321). jitvm.bpf.run takes
no initial registers, so this reaches one level down (the reference Machine, the driver's NativeRun)
and sets r2 before the first instruction; everything else is jitvm.bpf's own run.

A runtime runs the same program thousands of times, so on the fast engines what the runs share is
prepared once per program and heap size (`PreparedProgram`): the read-only regions (the program's
bytes, never written), the region table, the initial registers and state; the stack and heap are
taken from a pool of zeroed arrays and zeroed again when the run is over. The input buffer becomes
the input region as it is, without a copy."""

from __future__ import annotations

import numpy as np

from jitvm.bpf.engines import resolve
from jitvm.bpf.machine import ExecutionResult, build_memory
from jitvm.bpf.memory import MM_HEAP_START, MM_INPUT_START, MM_STACK_START, Memory, Region, zeroed

POOLED_BUFFERS = 8  # zeroed (stack, heap) pairs kept per prepared program (CPI nests runs; threads)


class PreparedProgram:
    """What every run of one program on the fast engines shares (see the module doc)."""

    def __init__(self, program, helpers, heap_size: int):
        from jitvm.bpf import driver
        from jitvm.bpf.baseline import layout

        self.program = program
        self.helpers = helpers
        self.heap_size = heap_size
        self.profile, _, _ = driver.resolve_options(program, helpers, None)
        self.lowered = layout.lower(program)  # verifies the program, as the reference does first
        self.rules = layout.call_rules(program, self.profile)
        template = build_memory(program, self.profile, b"", heap_size)
        self.stack = template.region(MM_STACK_START)
        self.heap = template.region(MM_HEAP_START)
        self.readonly = [region for region in template.regions if region is not None and not region.writable]
        arrays = layout.run_arrays(self.profile, template, b"", program.entry, None)
        self.registers, self.state, self.table = arrays.registers, arrays.state, arrays.regions
        self.frames_shape = arrays.frames.shape
        self._free: list[tuple[np.ndarray, np.ndarray]] = []

    def start(self, input_buffer: bytearray, budget: int, r2: int):
        """A NativeRun of the program on `input_buffer` (the input region shares its bytes)."""
        from jitvm.bpf import driver
        from jitvm.bpf.baseline import layout

        try:
            stack, heap = self._free.pop()  # atomic under the GIL: safe for worker threads
        except IndexError:
            stack, heap = zeroed(len(self.stack.data)), zeroed(self.heap_size)
        memory = Memory()
        for region in self.readonly:
            memory.map(region)
        stack_region = memory.map(Region(MM_STACK_START, stack, True, self.stack.gap_size))
        heap_region = memory.map(Region(MM_HEAP_START, heap, True))
        input_region = memory.map(Region(MM_INPUT_START, np.frombuffer(input_buffer, dtype=np.uint8), True))
        table = self.table.copy()
        for region in (stack_region, heap_region, input_region):
            layout.fill_region_row(table, region.start >> 32, region)
        registers = self.registers.copy()
        registers[2] = r2
        state = self.state.copy()
        state[layout.BUDGET] = state[layout.LIMIT] = budget
        arrays = layout.RunArrays(registers, state, np.zeros(self.frames_shape, dtype=np.uint64), table)
        return driver.NativeRun.prepared(self.program, self.profile, self.helpers, budget, self.lowered,
                                         self.rules, memory, arrays, self.heap_size)

    def finish(self, run) -> None:
        """Give the run's stack and heap back to the pool, zeroed (the run must be over)."""
        if len(self._free) >= POOLED_BUFFERS:
            return
        stack = run.memory.region(MM_STACK_START).data
        heap = run.memory.region(MM_HEAP_START).data
        stack.fill(0)
        heap.fill(0)
        self._free.append((stack, heap))


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
    return run_native(run, name, program, compiled)


def run_native(run, name: str, program, compiled=None) -> ExecutionResult:
    """Run a NativeRun on the 'baseline', 'jit' or 'auto' tiers."""
    from jitvm.bpf import driver
    from jitvm.bpf.jit.compile import compiled_program

    if name == "baseline":
        return run.run_interpreter()
    if name == "jit":
        return run.run_tiered((compiled or compiled_program)(program))
    return run.run_tiered(build=lambda: compiled_program(program), hot_units=driver.AUTO.hot_units)
