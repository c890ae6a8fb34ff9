"""What a transaction costs the block, and what it pays for its place: Agave's cost model and the
central scheduler's priority."""

from __future__ import annotations

from dataclasses import dataclass

SIGNATURE_COST = 720  # compute units per signature
WRITE_LOCK_COST = 300  # per writable account
DATA_BYTES_PER_UNIT = 4  # one unit per 4 bytes of instruction data
LAMPORTS_PER_SIGNATURE = 5_000
BURN_PERCENT = 50  # of the base fee; the rest rewards the leader
MICRO_LAMPORTS_PER_LAMPORT = 1_000_000


@dataclass(frozen=True)
class TransactionCost:
    signatures: int
    writable_accounts: int
    data_bytes: int
    compute_unit_limit: int
    compute_unit_price: int = 0  # micro-lamports per unit

    @property
    def cost(self) -> int:
        """Agave's cost model: signatures, write locks, instruction data and the requested units."""
        return (SIGNATURE_COST * self.signatures + WRITE_LOCK_COST * self.writable_accounts
                + -(-self.data_bytes // DATA_BYTES_PER_UNIT) + self.compute_unit_limit)

    @property
    def priority_fee(self) -> int:
        return -(-self.compute_unit_price * self.compute_unit_limit // MICRO_LAMPORTS_PER_LAMPORT)

    @property
    def base_fee(self) -> int:
        return LAMPORTS_PER_SIGNATURE * self.signatures

    @property
    def reward(self) -> int:
        """What the leader earns: the priority fee and the unburned part of the base fee."""
        return self.priority_fee + self.base_fee * (100 - BURN_PERCENT) // 100

    @property
    def priority(self) -> int:
        """The central scheduler's order: reward per unit of cost, scaled to keep precision."""
        return self.reward * 1_000_000 // (self.cost + 1)


def cost_of_transaction(transaction) -> TransactionCost:
    """The cost of a solders transaction, from its message and compute-budget instructions."""
    from jitvm.svm import compute_budget
    from jitvm.svm.processor import MessageView

    message = MessageView(transaction.message)
    limits = compute_budget.limits_of([(message.keys[program], data) for program, _, data in message.instructions])
    return TransactionCost(
        signatures=message.signed,
        writable_accounts=sum(message.writable),
        data_bytes=sum(len(data) for _, _, data in message.instructions),
        compute_unit_limit=limits.compute_unit_limit,
        compute_unit_price=limits.compute_unit_price,
    )
