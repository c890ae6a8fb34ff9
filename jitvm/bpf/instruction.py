"""The 8-byte BPF instruction word (RFC 9669 section 3): opcode, dst and src registers, a signed
16-bit offset and a signed 32-bit immediate, little-endian."""

from __future__ import annotations

import struct
from typing import NamedTuple

INSTRUCTION_BYTES = 8
_WORD = struct.Struct("<BBhi")


class Word(NamedTuple):
    opcode: int
    dst: int
    src: int
    off: int  # signed 16-bit
    imm: int  # signed 32-bit

    def encode(self) -> bytes:
        return _WORD.pack(self.opcode, (self.src << 4) | self.dst, self.off, self.imm)


def decode_words(code: bytes) -> list[Word]:
    """Split bytecode into instruction words; the length must be a multiple of 8."""
    if len(code) % INSTRUCTION_BYTES:
        raise ValueError(f"bytecode length {len(code)} is not a multiple of {INSTRUCTION_BYTES}")
    words = []
    for opcode, registers, off, imm in _WORD.iter_unpack(code):
        words.append(Word(opcode, registers & 0x0F, registers >> 4, off, imm))
    return words


def encode_words(words) -> bytes:
    return b"".join(word.encode() for word in words)


def lddw_value(first: Word, second: Word) -> int:
    """The 64-bit immediate of a two-slot lddw: low half in the first word, high half in the second."""
    return ((second.imm & 0xFFFFFFFF) << 32) | (first.imm & 0xFFFFFFFF)
