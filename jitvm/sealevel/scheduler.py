"""Block production in the style of Agave's central scheduler.

Waiting transactions are ordered by priority (reward per unit of cost). For each block the scheduler
looks at the best `lookahead` of them, in priority order, and takes each one that fits the block's
limits (the block's compute units, and every account it writes) unless a better transaction on one
of its accounts was held back: a held-back transaction holds back the lower-priority ones that share
an account with it (the priority graph), so no account's queue is served out of priority order.
What is taken is split into batches of up to `batch_size` for the workers; transactions that share
an account go to the same worker, in priority order, so workers never contend for a lock.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

from jitvm.sealevel.cost import TransactionCost
from jitvm.sealevel.locks import AccountSet


@dataclass(frozen=True)
class BlockLimits:
    block_units: int = 60_000_000
    account_units: int = 24_000_000  # per writable account

    @classmethod
    def preset(cls, name: str) -> "BlockLimits":
        presets = {"agave": cls(60_000_000, 24_000_000), "agave-2024": cls(48_000_000, 12_000_000)}
        return presets[name]


@dataclass
class Pending:
    """A transaction waiting for a block; `payload` is what the caller executes (or None)."""

    accounts: AccountSet
    cost: TransactionCost
    arrival: int = 0  # the slot it arrived in
    payload: object = None
    tag: str = ""  # the caller's label (a workload class)
    sequence: int = 0  # arrival order, to break ties deterministically


@dataclass
class Block:
    slot: int
    transactions: list[Pending] = field(default_factory=list)  # in commit order
    batches: list[list[list[Pending]]] = field(default_factory=list)  # per worker, batches in order
    units: int = 0
    account_units: dict[bytes, int] = field(default_factory=dict)


class Scheduler:
    def __init__(self, limits: BlockLimits | None = None, lookahead: int = 2048, batch_size: int = 64,
                 workers: int = 2):
        self.limits = limits or BlockLimits()
        self.lookahead = lookahead
        self.batch_size = batch_size
        self.workers = workers
        self._queue: list[tuple[int, int, Pending]] = []
        self._sequence = itertools.count()

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, pending: Pending) -> None:
        pending.sequence = next(self._sequence)
        heapq.heappush(self._queue, (-pending.cost.priority, pending.sequence, pending))

    def waiting(self) -> list[Pending]:
        return [entry[2] for entry in self._queue]

    def next_block(self, slot: int) -> Block:
        """Take what fits into the next block; the rest waits."""
        window = [heapq.heappop(self._queue) for _ in range(min(self.lookahead, len(self._queue)))]
        block = Block(slot)
        held: set[bytes] = set()  # accounts of held-back transactions
        left: list[tuple[int, int, Pending]] = []
        for entry in window:
            pending = entry[2]
            accounts = pending.accounts.writable | pending.accounts.readonly
            units = pending.cost.cost
            fits = block.units + units <= self.limits.block_units and all(
                block.account_units.get(key, 0) + units <= self.limits.account_units
                for key in pending.accounts.writable)
            if accounts & held or not fits:
                held.update(pending.accounts.writable)
                held.update(key for key in pending.accounts.readonly if not fits)
                left.append(entry)
                continue
            block.transactions.append(pending)
            block.units += units
            for key in pending.accounts.writable:
                block.account_units[key] = block.account_units.get(key, 0) + units
        for entry in left:
            heapq.heappush(self._queue, entry)
        block.batches = self._batches(block.transactions)
        return block

    def _batches(self, transactions: list[Pending]) -> list[list[list[Pending]]]:
        """Group transactions that share a written account (union-find), give each group to the
        least-loaded worker, and cut every worker's list into batches."""
        parent: dict[int, int] = {}

        def find(index: int) -> int:
            while parent.setdefault(index, index) != index:
                parent[index] = parent[parent[index]]
                index = parent[index]
            return index

        def join(a: int, b: int) -> None:
            parent[find(a)] = find(b)

        last_writer: dict[bytes, int] = {}
        readers: dict[bytes, list[int]] = {}
        for index, pending in enumerate(transactions):
            find(index)
            for key in pending.accounts.writable | pending.accounts.readonly:
                if key in last_writer:
                    join(index, last_writer[key])
            for key in pending.accounts.writable:
                for reader in readers.pop(key, ()):
                    join(index, reader)
                last_writer[key] = index
            for key in pending.accounts.readonly:
                readers.setdefault(key, []).append(index)
        groups: dict[int, list[int]] = {}
        for index in range(len(transactions)):
            groups.setdefault(find(index), []).append(index)
        loads = [0] * self.workers
        assigned: list[list[int]] = [[] for _ in range(self.workers)]
        for members in sorted(groups.values(), key=lambda m: -sum(transactions[i].cost.cost for i in m)):
            worker = loads.index(min(loads))
            assigned[worker].extend(members)
            loads[worker] += sum(transactions[i].cost.cost for i in members)
        batches = []
        for indices in assigned:
            ordered = [transactions[i] for i in sorted(indices)]
            batches.append([ordered[i:i + self.batch_size] for i in range(0, len(ordered), self.batch_size)])
        return batches
