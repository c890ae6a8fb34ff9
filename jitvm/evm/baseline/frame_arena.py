"""The arena of native child frames (docs/native-calls.md, step 3): the buffers a CALL-family child
runs on when native code runs it itself, allocated by Python once per engine, so the kernel's object
code never allocates (it links without Numba's allocator: docs/startup.md).

Per level (LEVELS of them; a deeper child goes to Python): a `words` array and a `control` array as a
FrameBuffers' (jitvm.evm.baseline.layout), a memory buffer of MEMORY_BYTES (a child that needs more
goes to Python) and a data buffer of DATA_BYTES (the child's calldata, then the return data of its
own last call). Native code reaches all of them through one array, `directory`, uint64[LEVELS, 8]:
per level the addresses of words, control, memory and data, and the capacities of memory and data
in bytes (see the column names below).
"""

from __future__ import annotations

import os

import numpy as np

from jitvm.evm.baseline.layout import (
    CALLDATA_SIZE,
    CONTROL_ROWS,
    HANDLER,
    IMMEDIATE,
    LIMBS,
    NATIVE_RETURN_DATA,
    WORD_ROWS,
    dispatch_table,
)

# Native child frames are on unless JITVM_NATIVE_CHILDREN=0 (a switch to compare them with the
# Python path, and a way out should one ever differ: docs/native-calls.md).
NATIVE_CHILDREN_ENV = "JITVM_NATIVE_CHILDREN"
NATIVE_CHILDREN = os.environ.get(NATIVE_CHILDREN_ENV, "").strip() != "0"

LEVELS = 16
MEMORY_BYTES = 1 << 16
DATA_BYTES = 1 << 16
# Columns of `directory`.
WORDS_AT, CONTROL_AT, MEMORY_AT, DATA_AT, MEMORY_CAPACITY, DATA_CAPACITY = range(6)
DIRECTORY_COLUMNS = 8


class FrameArena:
    """The child frames' buffers of one engine, allocated at construction and kept for its life."""

    __slots__ = ("words", "control", "memory", "data", "directory", "address", "fork")

    def __init__(self, levels: int = LEVELS):
        self.words = np.zeros((levels, WORD_ROWS, LIMBS), dtype=np.uint64)
        self.control = np.zeros((levels, CONTROL_ROWS, 256), dtype=np.int64)
        self.memory = np.zeros((levels, MEMORY_BYTES), dtype=np.uint8)
        self.data = np.zeros((levels, DATA_BYTES), dtype=np.uint8)
        directory = np.zeros((levels, DIRECTORY_COLUMNS), dtype=np.uint64)
        # Each level's address: the array's own plus the level's offset (one ctypes read per array:
        # a level's `.ctypes.data` costs microseconds, and 64 of them were most of a new engine's
        # first frame with native children, about 1M CPU instructions).
        levels_from = np.arange(levels, dtype=np.uint64)
        for column, array in ((WORDS_AT, self.words), (CONTROL_AT, self.control), (MEMORY_AT, self.memory),
                              (DATA_AT, self.data)):
            directory[:, column] = array.ctypes.data + levels_from * np.uint64(array.strides[0])
        directory[:, MEMORY_CAPACITY] = MEMORY_BYTES
        directory[:, DATA_CAPACITY] = DATA_BYTES
        self.directory = directory
        self.address = directory.ctypes.data  # what native code is given
        self.fork = None  # whose dispatch table the levels' control arrays hold

    def prepare(self, fork: str) -> None:
        """Give every level the fork's dispatch table (the driver never copies it)."""
        if self.fork != fork:
            table = dispatch_table(fork)
            self.control[:, HANDLER : IMMEDIATE + 1] = table[HANDLER : IMMEDIATE + 1]
            self.fork = fork

    @property
    def levels(self) -> int:
        return self.directory.shape[0]


def native_return_data(arena: FrameArena, registers) -> bytes:
    """The return data a native child left the frame Python runs (registers[NATIVE_RETURN_DATA] is
    its size plus one; it follows the frame's calldata in the arena's level-0 data buffer); clears
    the register."""
    size = registers[NATIVE_RETURN_DATA] - 1
    registers[NATIVE_RETURN_DATA] = 0
    start = registers[CALLDATA_SIZE]
    return arena.data[0, start : start + size].tobytes()
