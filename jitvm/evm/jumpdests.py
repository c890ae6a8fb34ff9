"""Code analysis shared by the engines and the disassembler: where instructions start and which
JUMPDESTs are valid (those that are not inside PUSH data)."""

from __future__ import annotations

from functools import lru_cache

from jitvm.evm.opcodes import opcode_table


def _push_sizes() -> bytes:
    # Immediate sizes are the same in every fork that has the opcode; the newest table has them all.
    table = opcode_table("Cancun")
    return bytes(op.immediate_size if op else 0 for op in table.by_byte)


_IMMEDIATE_SIZE = _push_sizes()
_JUMPDEST = opcode_table("Cancun").by_name["JUMPDEST"].byte


@lru_cache(maxsize=4096)
def jump_destinations(code: bytes) -> frozenset[int]:
    """Offsets of JUMPDEST instructions (not bytes of PUSH data that happen to be 0x5b)."""
    destinations = []
    immediate_size = _IMMEDIATE_SIZE
    pc = code.find(_JUMPDEST)
    if pc < 0:
        return frozenset()
    pc = 0
    end = len(code)
    while pc < end:
        op = code[pc]
        if op == _JUMPDEST:
            destinations.append(pc)
        pc += 1 + immediate_size[op]
    return frozenset(destinations)


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
