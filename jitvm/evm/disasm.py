"""Disassembly of EVM bytecode, driven by the opcode table."""

from __future__ import annotations

from dataclasses import dataclass

from jitvm.evm import DEFAULT_FORK
from jitvm.evm.jumpdests import instruction_starts
from jitvm.evm.opcodes import opcode_table


@dataclass(frozen=True, slots=True)
class Instruction:
    offset: int
    byte: int
    mnemonic: str  # "UNDEFINED" for a byte the fork does not define
    immediate: bytes
    truncated: bool  # PUSH data runs past the end of the code

    @property
    def text(self) -> str:
        if self.mnemonic == "UNDEFINED":
            return f"UNDEFINED(0x{self.byte:02x})"
        if self.immediate or self.truncated:
            return f"{self.mnemonic} 0x{self.immediate.hex()}" + (" (truncated)" if self.truncated else "")
        return self.mnemonic


def disassemble(code: bytes, fork: str = DEFAULT_FORK) -> list[Instruction]:
    table = opcode_table(fork)
    listing = []
    for offset, byte, immediate in instruction_starts(code):
        opcode = table[byte]
        if opcode is None:
            # Undefined in this fork: a single byte, whatever a later fork may make of it.
            listing.append(Instruction(offset, byte, "UNDEFINED", b"", False))
            continue
        listing.append(Instruction(offset, byte, opcode.mnemonic, immediate, len(immediate) < opcode.immediate_size))
    return listing
