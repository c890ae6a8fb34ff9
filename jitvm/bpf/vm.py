"""The VM as a conformance harness sets it up (Solana's VM-level test vectors): a program started with
given registers, a prefilled stack and heap, several input regions each at its own address and with
its own writability, and per-run options; the result is the whole machine afterwards: every
register, the pc, the call depth and every region's bytes. `call_syscall` runs one syscall on its
own against such a memory map. Every engine gives the same `VmResult`.

    from jitvm.bpf.vm import InputRegion, run_vm
    result = run_vm(program, registers=[0, 0x4_0000_0000], heap=b"\\x01\\x02",
                    input_regions=[InputRegion(0x4_0000_0000, b"abc", writable=False)], engine="jit")
    result.registers, result.pc, result.call_depth, result.region(0x4_0000_0000)

Options: `stack_frame_gaps` (sBPF v0 only; Solana turns the gaps off under direct mapping) and
`direct_mapping`, under which memory syscalls work region by region, as Solana's do there: a
memset, memcpy or memmove that runs off its region writes what lies before the fault, and memcmp
stops at the first difference before it would fault.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from jitvm.bpf.errors import ErrorCode, VmError
from jitvm.bpf.helpers import (
    HelperContext,
    HelperRegistry,
    LogCollector,
    Meter,
    SyscallFailure,
)
from jitvm.bpf.machine import REGISTERS, initial_registers, stack_size
from jitvm.bpf.memory import (
    DEFAULT_HEAP_SIZE,
    MM_HEAP_START,
    MM_INPUT_START,
    MM_STACK_START,
    REGION_SHIFT,
    Memory,
    Region,
    from_bytes,
    zeroed,
)
from jitvm.bpf.table import profile_table
from jitvm.errors import InputError

U64 = (1 << 64) - 1
NO_GAPS = {"sbpf-v0": "sbpf-v0-nogaps"}  # the profile of a v0 run with Solana's stack gaps off
VM_ENGINES = ("reference", "baseline", "jit")


@dataclass(frozen=True)
class InputRegion:
    """Input bytes mapped at `address` (in the input slot, 0x4_0000_0000 + offset)."""

    address: int
    data: bytes
    writable: bool = True


@dataclass(frozen=True)
class RegionState:
    address: int
    data: bytes
    writable: bool


@dataclass
class VmResult:
    r0: int | None
    error: VmError | None
    registers: list[int]  # r0..r10 when the run ended
    pc: int  # the instruction that exited or failed (or would have run next when the budget ran out)
    call_depth: int
    instructions: int
    compute_units: int
    logs: list[str] = field(default_factory=list)
    regions: tuple[RegionState, ...] = ()  # every mapped region, by address

    def region(self, address: int) -> bytes:
        return next(region.data for region in self.regions if region.address == address)

    def summary(self) -> tuple:
        """What two engines must agree on."""
        return (self.r0, self.error.fields() if self.error else None, tuple(self.registers), self.pc,
                self.call_depth, self.instructions, self.compute_units, tuple(self.logs), self.regions)


def vm_program(program, stack_frame_gaps: bool | None = None, direct_mapping: bool = False):
    """`program` with the profile of the options: sBPF v0 without stack gaps when they are off
    (by default, off under direct mapping, as Solana configures its VM)."""
    gaps = (not direct_mapping) if stack_frame_gaps is None else stack_frame_gaps
    if not gaps and program.profile in NO_GAPS:
        return dataclasses.replace(program, profile=NO_GAPS[program.profile])
    return program


def vm_memory(program, *, stack: bytes = b"", heap: bytes = b"", heap_size: int = DEFAULT_HEAP_SIZE,
              input_regions: Sequence[InputRegion] = ()) -> Memory:
    """The memory map of a run: the program's read-only regions, the stack and the heap (zeros
    after the given bytes), and the input regions, ordered by address, none overlapping another."""
    profile = profile_table(program.profile).profile
    memory = Memory()
    for address, payload in program.readonly_regions():
        memory.map(Region(address, from_bytes(payload), writable=False))
    memory.map(Region(MM_STACK_START, _prefilled("stack", stack, stack_size(profile)), writable=True,
                      gap_size=profile.stack_frame_size if profile.stack_frame_gaps else 0))
    if profile.is_sbpf:
        memory.map(Region(MM_HEAP_START, _prefilled("heap", heap, heap_size), writable=True))
    end = MM_INPUT_START
    for region in sorted(input_regions, key=lambda region: region.address):
        if region.address >> REGION_SHIFT != MM_INPUT_START >> REGION_SHIFT or region.address < end:
            raise InputError("input_regions", f"region at {region.address:#x} overlaps another or is outside "
                                              f"the input slot ({MM_INPUT_START:#x}..)")
        memory.add(Region(region.address, from_bytes(region.data), writable=region.writable))
        end = region.address + len(region.data)
    return memory


def _prefilled(name: str, payload: bytes, size: int):
    if len(payload) > size:
        raise InputError(name, f"{len(payload)} bytes do not fit its {size} bytes")
    data = zeroed(size)
    data[:len(payload)] = bytearray(payload)
    return data


def run_vm(program, *, registers: Sequence[int] | None = None, stack: bytes = b"", heap: bytes = b"",
           heap_size: int = DEFAULT_HEAP_SIZE, input_regions: Sequence[InputRegion] = (),
           stack_frame_gaps: bool | None = None, direct_mapping: bool = False, helpers: HelperRegistry | None = None,
           compute_budget: int | None = None, entry: int | None = None, engine: str = "reference") -> VmResult:
    """Run `program` from the given machine state on `engine` and return the whole state after.
    `registers` sets r0, r1, ... (the others keep their usual start: r1 the input, r10 the stack);
    `entry` is the first instruction (by default the program's entry)."""
    from jitvm.bpf.driver import NativeRun, resolve_options

    if engine not in VM_ENGINES:
        raise InputError("engine", f"unknown engine {engine!r} (choose from {', '.join(VM_ENGINES)})")
    if registers is not None and len(registers) > REGISTERS:
        raise InputError("registers", f"{len(registers)} values for {REGISTERS} registers")
    program = vm_program(program, stack_frame_gaps, direct_mapping)
    if entry is not None:
        if not 0 <= entry < program.instruction_count:
            raise InputError("entry", f"instruction {entry} is outside the program (0..{program.instruction_count - 1})")
        program = dataclasses.replace(program, entry=entry)
    memory = vm_memory(program, stack=stack, heap=heap, heap_size=heap_size, input_regions=input_regions)
    profile, helpers, budget = resolve_options(program, helpers, compute_budget)
    start = initial_registers(profile, b"")
    start[:len(registers or ())] = [value & U64 for value in registers or ()]
    if engine == "reference":
        from jitvm.bpf.reference import Machine

        machine = Machine(program, b"", helpers, budget, heap_size, memory=memory, registers=start,
                          direct_mapping=direct_mapping)
        result = machine.run()
        final, pc, depth = list(machine.reg), machine.pc, len(machine.frames)
    else:
        from jitvm.bpf.baseline import layout

        run = NativeRun(program, b"", helpers, budget, heap_size, memory=memory, registers=start,
                        direct_mapping=direct_mapping)
        if engine == "baseline":
            result = run.run_interpreter()
        else:
            from jitvm.bpf.jit.compile import compiled_program

            result = run.run_tiered(compiled_program(program))
        final = [int(value) for value in run.arrays.registers[:REGISTERS]]
        pc, depth = int(run.state[layout.PC]), int(run.state[layout.DEPTH])
    regions = tuple(RegionState(region.start, region.data.tobytes(), region.writable) for region in memory.all_regions())
    return VmResult(result.r0, result.error, final, pc, depth, result.instructions, result.compute_units,
                    list(result.logs), regions)


@dataclass
class SyscallResult:
    r0: int | None
    error: VmError | None
    compute_units: int
    logs: list[str]
    regions: tuple[RegionState, ...]

    def region(self, address: int) -> bytes:
        return next(region.data for region in self.regions if region.address == address)


def call_syscall(name: str, arguments: Sequence[int] = (), *, profile: str = "sbpf-v0", stack: bytes = b"",
                 heap: bytes = b"", heap_size: int = DEFAULT_HEAP_SIZE, input_regions: Sequence[InputRegion] = (),
                 readonly: Sequence[tuple[int, bytes]] = (), direct_mapping: bool = False,
                 helpers: HelperRegistry | None = None, compute_budget: int | None = None) -> SyscallResult:
    """Run the syscall `name` once with r1..r5 = `arguments` against a memory map built as for
    `run_vm` (plus `readonly` regions at their addresses), metered from zero."""
    from jitvm.bpf.program import Program
    from jitvm.bpf.syscalls import default_syscalls

    helpers = helpers if helpers is not None else default_syscalls()
    syscall = next((helper for helper in helpers.names().items() if helper[1] == name), None)
    if syscall is None:
        raise InputError("syscall", f"no syscall named {name!r}")
    if len(arguments) > 5:
        raise InputError("arguments", f"{len(arguments)} arguments; a syscall takes at most 5")
    host = Program(b"\x95" + bytes(7), profile=profile, readonly=tuple(readonly) or ((0x1_0000_0000, b""),))
    memory = vm_memory(vm_program(host, None, direct_mapping), stack=stack, heap=heap, heap_size=heap_size,
                       input_regions=input_regions)
    meter = Meter(compute_budget)
    logs = LogCollector()
    context = HelperContext(memory, meter, 0, logs, direct_mapping)
    values = [value & U64 for value in arguments] + [0] * (5 - len(arguments))
    r0, error = None, None
    try:
        r0 = int(helpers.get(syscall[0]).function(context, *values)) & U64
    except SyscallFailure as failure:
        error = VmError(ErrorCode.SYSCALL_ERROR, 0, value=syscall[0], detail=str(failure))
    except VmError as failure:
        error = failure
    regions = tuple(RegionState(region.start, region.data.tobytes(), region.writable) for region in memory.all_regions())
    return SyscallResult(r0, error, meter.used, list(logs), regions)
