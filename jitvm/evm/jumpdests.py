"""Code analysis shared by the engines and the disassembler: where instructions start and which
JUMPDESTs are valid (those that are not inside PUSH data)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from jitvm.evm.opcodes import opcode_table


def _push_sizes() -> bytes:
    # Immediate sizes are the same in every fork that has the opcode; the newest table has them all.
    table = opcode_table("Cancun")
    return bytes(op.immediate_size if op else 0 for op in table.by_byte)


_IMMEDIATE_SIZE = _push_sizes()
_JUMPDEST = opcode_table("Cancun").by_name["JUMPDEST"].byte
_JUMPDEST_BYTE = bytes([_JUMPDEST])


_SIZE_OF = np.frombuffer(_IMMEDIATE_SIZE, dtype=np.uint8).astype(np.int64)
_HAS_IMMEDIATE = _SIZE_OF > 0
_NO_POSITIONS = np.zeros(0, dtype=np.int64)
_NO_POSITIONS.setflags(write=False)


@lru_cache(maxsize=4096)
def jumpdest_positions(code: bytes) -> np.ndarray:
    """Offsets of the JUMPDEST instructions of `code` (not bytes of PUSH data that happen to be
    0x5b), ascending, as a read-only int64 array; remembered per code (CPython keeps a bytes
    object's hash, so finding a code met before hashes nothing).

    In numpy, so that a new code costs no Python per byte (the byte loop this replaced ran about
    450 CPU instructions a byte, 3.7M for an 8 KB contract): an instruction with an immediate (a
    PUSH) covers the bytes after it, and only a PUSH byte that an earlier PUSH byte could cover
    needs deciding: whether the instruction it lies in is itself an instruction start
    (_starts_among)."""
    if _JUMPDEST_BYTE not in code:
        return _NO_POSITIONS
    data = np.frombuffer(code, dtype=np.uint8)
    pushes = np.flatnonzero(_HAS_IMMEDIATE[data])
    if len(pushes):
        ends = pushes + 1 + _SIZE_OF[data[pushes]]  # the offset after each candidate's immediate
        reach = np.maximum.accumulate(ends)
        # A candidate no earlier candidate reaches is an instruction start (whatever came before).
        contested = np.flatnonzero(pushes[1:] < reach[:-1]) + 1
        if len(contested):
            pushes = _starts_among(pushes, ends, contested)
            ends = pushes + 1 + _SIZE_OF[data[pushes]]
        inside = np.zeros(len(code) + 1, dtype=np.int8)
        inside[pushes + 1] = 1  # the immediates of real PUSHes do not overlap: +1 at each start,
        inside[np.minimum(ends, len(code))] -= 1  # -1 just after each end (never at another start)
        in_immediate = np.cumsum(inside[:-1], dtype=np.int8).view(np.bool_)
        positions = np.flatnonzero((data == _JUMPDEST) & ~in_immediate)
    else:
        positions = np.flatnonzero(data == _JUMPDEST)
    positions.setflags(write=False)
    return positions


def _starts_among(pushes: np.ndarray, ends: np.ndarray, contested: np.ndarray) -> np.ndarray:
    """The candidates (PUSH bytes, ascending) that are instruction starts, given which of them an
    earlier candidate reaches (`contested`). The others are starts. After a start, the next
    candidate that is a start is the first one at or past its immediate's end (every byte between
    is a one-byte instruction), so the starts are what that successor reaches from the uncontested
    ones: found by pointer doubling, in as many rounds as the log of the longest contested run."""
    count = len(pushes)
    jump = np.empty(count + 1, dtype=np.int64)  # the successor of each; `count` is past the last
    jump[:count] = np.searchsorted(pushes, ends)
    jump[count] = count
    start = np.ones(count + 1, dtype=np.bool_)
    start[contested] = False
    while True:  # `start` holds every start within 2**round successors of an uncontested one
        reached = jump[start]
        if start[reached].all():  # closed under this stride, hence under every shorter one
            return pushes[start[:count]]
        start[reached] = True
        jump = jump[jump]


@lru_cache(maxsize=4096)
def jump_destinations(code: bytes) -> frozenset[int]:
    """Offsets of JUMPDEST instructions (not bytes of PUSH data that happen to be 0x5b)."""
    return frozenset(jumpdest_positions(code).tolist())


def instruction_starts(code: bytes):
    """Yield (offset, opcode byte, immediate bytes) for each instruction; immediates past the end of
    the code are cut short, as the EVM reads them as zero."""
    immediate_size = _IMMEDIATE_SIZE
    pc = 0
    while pc < len(code):
        op = code[pc]
        size = immediate_size[op]
        yield pc, op, code[pc + 1 : pc + 1 + size]
        pc += 1 + size
