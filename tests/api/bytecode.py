"""Bytecode for the API tests, written as mnemonics rather than hex."""

from __future__ import annotations

from jitvm.evm.opcodes import opcode_table

OP = {name: opcode.byte for name, opcode in opcode_table("Cancun").by_name.items()}


def assemble(*parts) -> bytes:
    """Bytecode from mnemonics, ints (pushed with the shortest PUSH) and raw bytes."""
    code = bytearray()
    for part in parts:
        if isinstance(part, str):
            code.append(OP[part])
        elif isinstance(part, bytes):
            code += part
        else:
            code += push(part)
    return bytes(code)


def assemble_sized(*parts) -> bytes:
    """Bytecode from mnemonics and ints, where an int after a PUSHn mnemonic is its n-byte immediate
    (for code whose push widths matter: offsets, jump targets computed by hand)."""
    code = bytearray()
    size = 0
    for part in parts:
        if isinstance(part, int):
            code += part.to_bytes(size, "big")
            size = 0
        else:
            code.append(OP[part])
            size = int(part[4:]) if part.startswith("PUSH") else 0
    return bytes(code)


def push(value: int) -> bytes:
    value %= 1 << 256
    size = max(1, (value.bit_length() + 7) // 8)
    return bytes([OP["PUSH1"] + size - 1]) + value.to_bytes(size, "big")


def initcode(runtime: bytes, before: bytes = b"") -> bytes:
    """Initcode that runs `before`, then copies `runtime` to memory and returns it."""
    size = len(runtime)
    # The copying part has a fixed length once the offset is known; PUSH2 keeps it fixed.
    copier_length = len(before) + len(assemble(size)) + 3 + len(assemble(0, "CODECOPY", size, 0, "RETURN"))
    copier = before + assemble(size) + bytes([OP["PUSH2"]]) + copier_length.to_bytes(2, "big") + assemble(
        0, "CODECOPY", size, 0, "RETURN")
    assert len(copier) == copier_length
    return copier + runtime


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")
