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

import ctypes

import numpy as np

from jitvm.bpf import driver
from jitvm.bpf.baseline import layout
from jitvm.bpf.engines import resolve
from jitvm.bpf.machine import ExecutionResult, build_memory
from jitvm.bpf.memory import MM_HEAP_START, MM_INPUT_START, MM_STACK_START, REGION_SHIFT, Memory, Region, zeroed

POOLED_RUNS = 8  # ready run arrays kept per prepared program (CPI nests runs; worker threads)

INPUT_ROW = MM_INPUT_START >> REGION_SHIFT  # the input region's row in the region table


class _PooledRun:
    """One run's arrays and its zeroed stack and heap, kept for the next run when it is over."""

    def __init__(self, prepared: PreparedProgram):
        self.stack = zeroed(len(prepared.stack.data))
        self.heap = zeroed(prepared.heap_size)
        self.stack_region = Region(MM_STACK_START, self.stack, True, prepared.stack.gap_size)
        self.heap_region = Region(MM_HEAP_START, self.heap, True)
        table = prepared.table.copy()
        layout.fill_region_row(table, MM_STACK_START >> REGION_SHIFT, self.stack_region)
        layout.fill_region_row(table, MM_HEAP_START >> REGION_SHIFT, self.heap_region)
        self.memory = Memory()  # the read-only regions, this stack and heap; the input is mapped per run
        for region in prepared.readonly:
            self.memory.map(region)
        self.memory.map(self.stack_region)
        self.memory.map(self.heap_region)
        self.input_length = -1  # the input length the region table's input row describes
        self.arrays = layout.RunArrays(prepared.registers.copy(), prepared.state.copy(),
                                       np.zeros(prepared.frames_shape, dtype=np.uint64), table)
        self.zeroed_after_a_run = [(array.ctypes.data, array.nbytes) for array in (self.stack, self.heap,
                                                                                   self.arrays.frames)]


class PreparedProgram:
    """What every run of one program on the fast engines shares (see the module doc)."""

    def __init__(self, program, helpers, heap_size: int):
        self.program = program
        self.helpers = helpers
        self.heap_size = heap_size
        self.profile, _, _ = driver.resolve_options(program, helpers, None)
        self.lowered = layout.lower(program)  # verifies the program, as the reference does first
        self.rules = layout.call_rules(program, self.profile)
        template = build_memory(program, self.profile, b"", heap_size)
        self.stack = template.region(MM_STACK_START)
        self.readonly = [region for region in template.regions if region is not None and not region.writable]
        arrays = layout.run_arrays(self.profile, template, b"", program.entry, None)
        self.registers, self.state, self.table = arrays.registers, arrays.state, arrays.regions
        self.state[layout.NATIVE_FUNCTION_CALLS] = layout.native_function_calls(self.lowered, helpers)
        self.frames_shape = arrays.frames.shape
        self._free: list[_PooledRun] = []

    def start(self, input_buffer: bytearray, budget: int, r2: int):
        """A NativeRun of the program on `input_buffer` (the input region shares its bytes)."""
        try:
            pooled = self._free.pop()  # atomic under the GIL: safe for worker threads
        except IndexError:
            pooled = _PooledRun(self)
        memory = pooled.memory
        input_region = memory.map(Region(MM_INPUT_START, np.frombuffer(input_buffer, dtype=np.uint8), True))
        arrays = pooled.arrays
        if len(input_buffer) == pooled.input_length:  # the row holds this length: only the address is new
            arrays.regions[layout.HOST, INPUT_ROW] = layout.address_of(input_region.data)
        else:
            layout.fill_region_row(arrays.regions, INPUT_ROW, input_region)
            pooled.input_length = len(input_buffer)
        arrays.registers[2] = r2
        arrays.state[layout.BUDGET] = arrays.state[layout.LIMIT] = budget
        run = driver.NativeRun.prepared(self.program, self.profile, self.helpers, budget, self.lowered,
                                        self.rules, memory, arrays, self.heap_size, logs=[])  # the runtime's
        # syscalls log to the transaction, never to the run
        run.pooled = pooled
        return run

    def finish(self, run) -> None:
        """Reset the run's arrays and give them back to the pool (the run must be over)."""
        if len(self._free) >= POOLED_RUNS:
            return
        pooled = run.pooled
        for address, size in pooled.zeroed_after_a_run:
            _zero_holding_the_gil(address, 0, size)
        arrays = pooled.arrays
        arrays.registers[:] = self.registers
        arrays.state[:] = self.state
        self._free.append(pooled)


# memset through a PYFUNCTYPE prototype, which keeps the GIL (numpy's fill releases it for large
# arrays): a few microseconds of zeroing are not worth handing the GIL to a replay's other thread
# and taking it back, which costs more (jitvm.sealevel.parallel).
_zero_holding_the_gil = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t)(
    ctypes.cast(ctypes.memset, ctypes.c_void_p).value)


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
    run = driver.NativeRun(program, input_data, helpers, compute_budget, heap_size)
    run.arrays.registers[2] = r2
    return run_native(run, name, program, compiled)


def run_native(run, name: str, program, compiled=None) -> ExecutionResult:
    """Run a NativeRun on the 'baseline', 'jit' or 'auto' tiers."""
    if name == "baseline":
        return run.run_interpreter()
    if name == "jit" and compiled is not None:
        return run.run_tiered(compiled(program))
    from jitvm.bpf.jit.compile import compiled_program

    if name == "jit":
        return run.run_tiered(compiled_program(program))
    return run.run_tiered(build=lambda: compiled_program(program), hot_units=driver.AUTO.hot_units)
