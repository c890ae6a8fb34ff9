"""Basic blocks of any instruction set, and their grouping into bounded compile units.

The instruction set supplies what only it knows: where instructions start, which pcs are jump
targets, which instructions end a block. This module turns that into blocks in program order and a
pc → block map; ISA analyses (EVM gas and stack bounds, BPF) then walk each `Block.instructions`.
`partition` groups consecutive blocks so no compiled function exceeds a block budget: LLVM's passes
stay linear only while functions are small (see compiler.py).
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Blocks per compiled function: measured linear compile time between about 100 and 200.
DEFAULT_BLOCKS_PER_FUNCTION = 150


@dataclass(frozen=True)
class Block:
    """A straight run of instructions entered only at its first and left only after its last."""

    index: int  # position in program order
    start: int  # pc of the first instruction
    end: int  # pc just past the last instruction (the next block's start, or the code's end)
    instructions: range  # indices into the instruction-start sequence the blocks were built from


@dataclass(frozen=True)
class BlockMap:
    """The blocks of a program and where each instruction lives."""

    blocks: list[Block]
    block_of_pc: dict[int, int]  # every instruction's start pc → index of the block holding it

    def block_at(self, pc: int) -> Block | None:
        """The block that starts exactly at `pc` (a valid jump destination), else None."""
        index = self.block_of_pc.get(pc)
        if index is None or self.blocks[index].start != pc:
            return None
        return self.blocks[index]


def find_leaders(
    instruction_starts: Sequence[int],
    *,
    jump_targets: Iterable[int] = (),
    ends_block: Iterable[int] = (),
) -> set[int]:
    """The pcs where blocks begin: the first instruction, every jump target, and the instruction
    after each one in `ends_block` (pcs of branches, jumps and terminators)."""
    leaders = set(jump_targets)
    if instruction_starts:
        leaders.add(instruction_starts[0])
    next_start = dict(zip(instruction_starts, instruction_starts[1:]))
    for pc in ends_block:
        if pc in next_start:  # the last instruction has no successor: nothing to start
            leaders.add(next_start[pc])
    return leaders


def split_blocks(instruction_starts: Sequence[int], code_end: int, leaders: Iterable[int]) -> BlockMap:
    """Cut the instructions into blocks at `leaders`.

    `instruction_starts` is the strictly increasing pc of every instruction; `code_end` the pc after
    the last. The first instruction always leads. Leaders at or past `code_end` (a fall-through off
    the end) are ignored; a leader inside an instruction is an error the caller must reject first.
    """
    if any(b <= a for a, b in zip(instruction_starts, instruction_starts[1:])):
        raise ValueError("instruction starts must be strictly increasing")
    if instruction_starts and instruction_starts[-1] >= code_end:
        raise ValueError(f"last instruction at {instruction_starts[-1]} is not before code end {code_end}")
    position = {pc: i for i, pc in enumerate(instruction_starts)}
    cut_positions = {0} if instruction_starts else set()
    for pc in leaders:
        if pc >= code_end:
            continue
        if pc not in position:
            raise ValueError(f"leader {pc} is not the start of an instruction")
        cut_positions.add(position[pc])

    cuts = sorted(cut_positions) + [len(instruction_starts)]
    blocks = []
    block_of_pc = {}
    for index, (first, stop) in enumerate(zip(cuts, cuts[1:])):
        end = instruction_starts[stop] if stop < len(instruction_starts) else code_end
        blocks.append(Block(index, instruction_starts[first], end, range(first, stop)))
        for pc in instruction_starts[first:stop]:
            block_of_pc[pc] = index
    return BlockMap(blocks, block_of_pc)


def partition(block_count: int, max_blocks: int = DEFAULT_BLOCKS_PER_FUNCTION) -> list[range]:
    """Split block indices 0..block_count-1 into consecutive ranges of at most `max_blocks`.

    Ranges are as even as possible (sizes differ by at most one), so 151 blocks make two functions
    of 76 and 75, not one of 150 and one of 1.
    """
    if max_blocks < 1:
        raise ValueError("max_blocks must be at least 1")
    if block_count <= 0:
        return []
    parts = math.ceil(block_count / max_blocks)
    size, larger = divmod(block_count, parts)
    ranges, start = [], 0
    for part in range(parts):
        stop = start + size + (1 if part < larger else 0)
        ranges.append(range(start, stop))
        start = stop
    return ranges
