"""What every engine sets up the same way: the memory map of a run, the initial registers, and
the shape of the result."""

from __future__ import annotations

from dataclasses import dataclass, field

from jitvm.bpf.errors import VmError
from jitvm.bpf.memory import (DEFAULT_HEAP_SIZE, MM_HEAP_START, MM_INPUT_START, MM_STACK_START, Memory, Region,
                              from_bytes, zeroed)
from jitvm.bpf.table import Profile

REGISTERS = 11
FRAME_POINTER = 10
DEFAULT_SBPF_COMPUTE_BUDGET = 200_000  # Solana's default budget for one instruction


@dataclass
class ExecutionResult:
    """How a run ended: r0 on success, else the error; the counts are the same for every engine."""

    r0: int | None
    error: VmError | None
    instructions: int  # executed instructions (lddw counts once)
    compute_units: int  # instructions plus what syscalls charged
    logs: list[str] = field(default_factory=list)
    memory: Memory | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> tuple:
        """What two engines must agree on."""
        return (self.r0, self.error.fields() if self.error else None, self.instructions, self.compute_units,
                tuple(self.logs))


def stack_size(profile: Profile) -> int:
    return profile.stack_frame_size * profile.max_call_depth


def initial_stack_pointer(profile: Profile) -> int:
    """Fixed frames start at the top of frame 0; dynamic frames at the top of the whole stack."""
    if profile.dynamic_stack_frames:
        return MM_STACK_START + stack_size(profile)
    return MM_STACK_START + profile.stack_frame_size


def frame_stride(profile: Profile) -> int:
    """How far r10 moves on a call with fixed frames (a frame plus its gap)."""
    return profile.stack_frame_size * (2 if profile.stack_frame_gaps else 1)


def build_memory(program, profile: Profile, input_data: bytes, heap_size: int = DEFAULT_HEAP_SIZE) -> Memory:
    memory = Memory()
    for address, payload in program.readonly_regions():
        memory.map(Region(address, from_bytes(payload), writable=False))
    gap = profile.stack_frame_size if profile.stack_frame_gaps else 0
    memory.map(Region(MM_STACK_START, zeroed(stack_size(profile)), writable=True, gap_size=gap))
    if profile.is_sbpf:
        memory.map(Region(MM_HEAP_START, zeroed(heap_size), writable=True))
    memory.map(Region(MM_INPUT_START, from_bytes(input_data), writable=True))
    return memory


def initial_registers(profile: Profile, input_data: bytes) -> list[int]:
    """r1 points at the input; eBPF also passes its length in r2 (the bpf_conformance convention)."""
    registers = [0] * REGISTERS
    registers[1] = MM_INPUT_START
    if not profile.is_sbpf:
        registers[2] = len(input_data)
    registers[FRAME_POINTER] = initial_stack_pointer(profile)
    return registers
