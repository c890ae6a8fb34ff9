"""The Wasm instruction table (opcodes/wasm.toml), indexed for decoding."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jitvm.tables import load_table


@dataclass(frozen=True, slots=True)
class WasmOpcode:
    name: str  # as MultiversX gas schedules name it
    code: int
    prefix: int | None
    immediates: str


@cache
def opcode_table() -> tuple[dict[int, WasmOpcode], dict[int, WasmOpcode]]:
    """(single-byte opcodes by byte, 0xFC-prefixed opcodes by their LEB128 sub-opcode)."""
    single: dict[int, WasmOpcode] = {}
    prefixed: dict[int, WasmOpcode] = {}
    for name, row in load_table("wasm.toml")["opcodes"].items():
        opcode = WasmOpcode(name, row["code"], row.get("prefix"), row.get("immediates", ""))
        target = single if opcode.prefix is None else prefixed
        if opcode.code in target:
            raise ValueError(f"opcodes/wasm.toml: {name} repeats code {opcode.code:#x}")
        target[opcode.code] = opcode
    return single, prefixed


def opcode_names() -> list[str]:
    single, prefixed = opcode_table()
    return [op.name for op in (*single.values(), *prefixed.values())]
