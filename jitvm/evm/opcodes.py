"""The EVM opcode table, loaded from opcodes/evm.toml and checked once.

Every other module (interpreter, disassembler, block analysis, fast engines) asks this one for opcode
facts; none writes a stack effect or a static gas cost of its own. `opcode_table(fork)` gives the
effective table of a fork: the opcodes introduced up to it, with the static gas of its latest delta.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

from jitvm.tables import load_table

FLAG_NAMES = ("terminates", "jump", "jumpdest", "reads_state", "writes_state", "subcall")
# Bit masks for the numpy `flags` array, in FLAG_NAMES order.
TERMINATES, JUMP, JUMPDEST, READS_STATE, WRITES_STATE, SUBCALL = (1 << i for i in range(len(FLAG_NAMES)))

STACK_LIMIT = 1024


@dataclass(frozen=True)
class Opcode:
    byte: int
    mnemonic: str
    inputs: int
    outputs: int
    static_gas: int
    since: str
    immediate_size: int = 0
    flags: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()

    @property
    def stack_change(self) -> int:
        return self.outputs - self.inputs

    def has(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(frozen=True, eq=False)
class OpcodeTable:
    """The instruction set of one fork. Index `by_byte` with an opcode byte; None means undefined."""

    fork: str
    by_byte: tuple[Opcode | None, ...]
    by_name: dict[str, Opcode]

    def __getitem__(self, byte: int) -> Opcode | None:
        return self.by_byte[byte]

    # Read-only numpy columns for the native engines, indexed by opcode byte (0 where undefined), built
    # on first use: the reference interpreter never needs numpy, and importing it costs start-up time.

    @cached_property
    def defined(self):  # bool[256]
        return self._column("bool", lambda op: True)

    @cached_property
    def static_gas(self):  # int64[256]
        return self._column("int64", lambda op: op.static_gas)

    @cached_property
    def inputs(self):  # int16[256]
        return self._column("int16", lambda op: op.inputs)

    @cached_property
    def outputs(self):  # int16[256]
        return self._column("int16", lambda op: op.outputs)

    @cached_property
    def immediate_size(self):  # uint8[256]
        return self._column("uint8", lambda op: op.immediate_size)

    @cached_property
    def flags(self):  # uint32[256], FLAG_NAMES bits
        return self._column("uint32", lambda op: sum(1 << FLAG_NAMES.index(f) for f in op.flags))

    def _column(self, dtype: str, value_of):
        import numpy as np

        column = np.array([value_of(op) if op else 0 for op in self.by_byte], dtype=dtype)
        column.setflags(write=False)
        return column


def _validate(raw: dict) -> tuple[list[str], dict[str, dict]]:
    forks = [entry["name"] for entry in raw["forks"]]
    if len(set(forks)) != len(forks):
        raise ValueError("evm.toml: a fork is listed twice")
    opcodes = raw["opcodes"]
    seen_bytes: dict[int, str] = {}
    for name, entry in opcodes.items():
        byte = entry["byte"]
        if not 0 <= byte <= 0xFF:
            raise ValueError(f"evm.toml: {name} has byte {byte:#x} outside 0x00-0xff")
        if byte in seen_bytes:
            raise ValueError(f"evm.toml: {name} and {seen_bytes[byte]} share byte {byte:#04x}")
        seen_bytes[byte] = name
        if entry["since"] not in forks:
            raise ValueError(f"evm.toml: {name} introduced in unknown fork {entry['since']!r}")
        unknown = set(entry.get("flags", ())) - set(FLAG_NAMES)
        if unknown:
            raise ValueError(f"evm.toml: {name} has unknown flags {sorted(unknown)}")
        if not (0 <= entry["inputs"] <= 17 and 0 <= entry["outputs"] <= 17 and entry["gas"] >= 0):
            raise ValueError(f"evm.toml: {name} has an impossible stack effect or gas")
    for fork in raw["forks"]:
        for name in fork.get("gas", {}):
            if name not in opcodes:
                raise ValueError(f"evm.toml: fork {fork['name']} reprices unknown opcode {name}")
    return forks, opcodes


@cache
def _raw_table() -> tuple[tuple[str, ...], dict, dict[str, dict[str, int]]]:
    raw = load_table("evm.toml")
    forks, opcodes = _validate(raw)
    repricing = {fork["name"]: dict(fork.get("gas", {})) for fork in raw["forks"]}
    return tuple(forks), opcodes, repricing


def fork_names() -> tuple[str, ...]:
    """All forks the table knows, oldest first."""
    return _raw_table()[0]


def fork_index(fork: str) -> int:
    try:
        return fork_names().index(fork)
    except ValueError:
        raise KeyError(fork) from None


@cache
def opcode_table(fork: str = "Cancun") -> OpcodeTable:
    forks, opcodes, repricing = _raw_table()
    if fork not in forks:
        raise KeyError(f"unknown fork {fork!r}; known: {', '.join(forks)}")
    active = forks[: forks.index(fork) + 1]
    static_gas: dict[str, int] = {}
    for name in active:
        static_gas.update(repricing[name])
    by_byte: list[Opcode | None] = [None] * 256
    by_name: dict[str, Opcode] = {}
    for name, entry in opcodes.items():
        if entry["since"] not in active:
            continue
        opcode = Opcode(
            byte=entry["byte"],
            mnemonic=name,
            inputs=entry["inputs"],
            outputs=entry["outputs"],
            static_gas=static_gas.get(name, entry["gas"]),
            since=entry["since"],
            immediate_size=entry.get("immediate", 0),
            flags=frozenset(entry.get("flags", ())),
            aliases=tuple(entry.get("aliases", ())),
        )
        by_byte[opcode.byte] = opcode
        by_name[name] = opcode
        for alias in opcode.aliases:
            by_name[alias] = opcode

    return OpcodeTable(fork=fork, by_byte=tuple(by_byte), by_name=by_name)
