"""Forks as the execution layer sees them: a name, its place in history, its opcode table, the
precompiles it has, its blob parameters and the transaction types it accepts. Rules that change between
forks are asked as `fork >= "London"`-style questions (`fork.at_least("London")`), so each rule lives
in one place in the code that applies it.

The blob schedules and transaction types per fork are the tables below (opcodes are in
opcodes/evm.toml, precompiles in jitvm.evm.precompiles.table). Blob-parameter-only forks (BPO1, BPO2:
EIP-7892) are configurations of the fork they follow: the same rules, another blob schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from jitvm.evm import DEFAULT_FORK, gas  # noqa: F401 (DEFAULT_FORK is part of this module's interface)
from jitvm.evm.opcodes import OpcodeTable, fork_index, fork_names, opcode_table

# Forks whose state transition jitvm executes. Earlier forks are in the opcode table (for disassembly
# and analysis), but their rules (touched-account clearing, older gas and refund schedules) are not
# implemented, so running them would give wrong answers; they are reported as unsupported instead.
EXECUTABLE_FORKS = ("Paris", "Shanghai", "Cancun", "Prague", "Osaka")


@dataclass(frozen=True)
class BlobSchedule:
    """EIP-4844 blob parameters, per block: the target and maximum blob counts and the fraction the
    blob base fee's exponent divides by (EIP-7691 and EIP-7840 make them per-fork configuration)."""

    target: int
    max: int
    base_fee_update_fraction: int


NO_BLOBS = BlobSchedule(0, 0, 1)
# The blob schedule of each fork that changes it; later forks keep the last one.
BLOB_SCHEDULES = {
    "Cancun": BlobSchedule(target=3, max=6, base_fee_update_fraction=3_338_477),  # EIP-4844
    "Prague": BlobSchedule(target=6, max=9, base_fee_update_fraction=5_007_716),  # EIP-7691
}
# Blob-parameter-only forks (EIP-7892): name -> (the fork whose rules they run, their blob schedule).
BLOB_PARAMETER_ONLY_FORKS = {
    "BPO1": ("Osaka", BlobSchedule(target=10, max=15, base_fee_update_fraction=8_346_193)),
    "BPO2": ("Osaka", BlobSchedule(target=14, max=21, base_fee_update_fraction=11_684_671)),
}
# The transaction types (EIP-2718) each fork introduces; later forks keep them.
TRANSACTION_TYPES = {
    "Frontier": (0,),
    "Berlin": (1,),  # EIP-2930 access lists
    "London": (2,),  # EIP-1559 fee market
    "Cancun": (3,),  # EIP-4844 blobs
    "Prague": (4,),  # EIP-7702 set code
}
# Osaka's cap on blobs in one transaction (EIP-7594); before it, only the block's maximum bounds them.
MAX_BLOBS_PER_TRANSACTION = {"Osaka": 6}

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
    blob_schedule: BlobSchedule
    transaction_types: frozenset[int]
    max_blobs_per_transaction: int  # the block's maximum before Osaka (EIP-7594)
    label: str = ""  # the name it was asked by, when that differs (a blob-parameter-only fork)

    def at_least(self, other: str) -> bool:
        return self.index >= fork_index(other)

    def blob_base_fee(self, excess_blob_gas: int) -> int:
        return gas.blob_base_fee(excess_blob_gas, self.blob_schedule.base_fee_update_fraction)

    @property
    def max_blob_gas_per_block(self) -> int:
        return gas.GAS_PER_BLOB * self.blob_schedule.max

    @property
    def target_blob_gas_per_block(self) -> int:
        return gas.GAS_PER_BLOB * self.blob_schedule.target

    def __repr__(self) -> str:
        return f"Fork({self.label or self.name})"


def _latest(table: dict, fork: str, default):
    """The value of the newest entry of `table` at or before `fork`."""
    value = default
    for name in fork_names()[: fork_index(fork) + 1]:
        value = table.get(name, value)
    return value


def canonical_fork_name(name: str) -> str:
    """The table's name for a fork, or KeyError if the name means nothing to jitvm."""
    name = FORK_ALIASES.get(name, name)
    if name not in fork_names() and name not in BLOB_PARAMETER_ONLY_FORKS:
        raise KeyError(name)
    return name


@cache
def get_fork(name: str) -> Fork:
    """The executable fork called `name`. KeyError if unknown, UnsupportedFork if not executable."""
    from jitvm.evm.precompiles import precompile_addresses

    name = canonical_fork_name(name)
    if name in BLOB_PARAMETER_ONLY_FORKS:
        rules, schedule = BLOB_PARAMETER_ONLY_FORKS[name]
        return with_blob_schedule(get_fork(rules), schedule, label=name)
    if name not in EXECUTABLE_FORKS:
        raise UnsupportedFork(f"fork {name} is known but not executed (supported: {', '.join(EXECUTABLE_FORKS)})")
    numbers = precompile_addresses(name)
    accounts = frozenset(number.to_bytes(20, "big") for number in numbers)
    schedule = _latest(BLOB_SCHEDULES, name, NO_BLOBS)
    types = frozenset(t for fork in fork_names()[: fork_index(name) + 1] for t in TRANSACTION_TYPES.get(fork, ()))
    return Fork(name, fork_index(name), opcode_table(name), numbers, accounts, schedule, types,
                _latest(MAX_BLOBS_PER_TRANSACTION, name, schedule.max))


def with_blob_schedule(fork: Fork, schedule: BlobSchedule, label: str = "") -> Fork:
    """`fork`'s rules with another blob schedule (a blob-parameter-only fork, or a test's config)."""
    if schedule == fork.blob_schedule and not label:
        return fork
    cap = _latest(MAX_BLOBS_PER_TRANSACTION, fork.name, None)
    return replace(fork, blob_schedule=schedule, label=label or fork.label,
                   max_blobs_per_transaction=cap if cap is not None else schedule.max)
