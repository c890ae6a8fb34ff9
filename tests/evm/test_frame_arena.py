"""FrameArena's directory: the address of each level's buffers, as native code reads them
(computed from each array's address and stride, not read level by level)."""

from __future__ import annotations

from jitvm.evm.baseline import frame_arena
from jitvm.evm.baseline.frame_arena import FrameArena


def test_each_levels_directory_row_holds_that_levels_buffer_addresses():
    for levels in (1, 3, frame_arena.LEVELS):
        arena = FrameArena(levels)
        assert arena.levels == levels
        for level in range(levels):
            row = arena.directory[level]
            assert int(row[frame_arena.WORDS_AT]) == arena.words[level].ctypes.data
            assert int(row[frame_arena.CONTROL_AT]) == arena.control[level].ctypes.data
            assert int(row[frame_arena.MEMORY_AT]) == arena.memory[level].ctypes.data
            assert int(row[frame_arena.DATA_AT]) == arena.data[level].ctypes.data
            assert int(row[frame_arena.MEMORY_CAPACITY]) == frame_arena.MEMORY_BYTES
            assert int(row[frame_arena.DATA_CAPACITY]) == frame_arena.DATA_BYTES
