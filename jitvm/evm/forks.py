"""Forks as the execution layer sees them: a name, its place in history, its opcode table and the
precompiles it has. Rules that change between forks are asked as `fork >= "London"`-style questions
(`fork.at_least("London")`), so each rule lives in one place in the code that applies it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jitvm.evm.opcodes import OpcodeTable, fork_index, fork_names, opcode_table

# Forks whose state transition jitvm executes. Earlier forks are in the opcode table (for disassembly
# and analysis), but their rules (touched-account clearing, older gas and refund schedules) are not
# implemented, so running them would give wrong answers; they are reported as unsupported instead.
EXECUTABLE_FORKS = ("Paris", "Shanghai", "Cancun")

# Names other tools use for the same forks.
FORK_ALIASES = {
    "Merge": "Paris",
    "EIP150": "TangerineWhistle",
    "EIP158": "SpuriousDragon",
    "ConstantinopleFix": "Petersburg",
}


class UnsupportedFork(ValueError):
    """A fork jitvm knows by name but does not execute."""


@dataclass(frozen=True, eq=False)
class Fork:
    name: str
    index: int
    opcodes: OpcodeTable
    precompiles: frozenset[int]
    precompile_accounts: frozenset[bytes]  # the same addresses as 20-byte account addresses

    def at_least(self, other: str) -> bool:
        return self.index >= fork_index(other)

    def __repr__(self) -> str:
        return f"Fork({self.name})"


def canonical_fork_name(name: str) -> str:
    """The table's name for a fork, or KeyError if the name means nothing to jitvm."""
    name = FORK_ALIASES.get(name, name)
    if name not in fork_names():
        raise KeyError(name)
    return name


@cache
def get_fork(name: str) -> Fork:
    """The executable fork called `name`. KeyError if unknown, UnsupportedFork if not executable."""
    from jitvm.evm.precompiles import precompile_addresses

    name = canonical_fork_name(name)
    if name not in EXECUTABLE_FORKS:
        raise UnsupportedFork(f"fork {name} is known but not executed (supported: {', '.join(EXECUTABLE_FORKS)})")
    numbers = precompile_addresses(name)
    accounts = frozenset(number.to_bytes(20, "big") for number in numbers)
    return Fork(name, fork_index(name), opcode_table(name), numbers, accounts)
