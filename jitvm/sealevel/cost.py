"""What a transaction costs the block, and what it pays for its place: Agave's cost model and the
central scheduler's priority."""

from __future__ import annotations

from dataclasses import dataclass

SIGNATURE_COST = 720  # compute units per transaction signature
# Per signature a precompile instruction verifies (its data's first byte), from Agave's
# block_cost_limits.rs: 30 units per microsecond of verification.
ED25519_VERIFY_STRICT_COST = 2_400  # ed25519_precompile_verify_strict is active: the strict check's cost
SECP256K1_VERIFY_COST = 6_690
SECP256R1_VERIFY_COST = 4_800
WRITE_LOCK_COST = 300  # per writable account
DATA_BYTES_PER_UNIT = 4  # one unit per whole 4 bytes of instruction data (Agave divides, rounding down)
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
    ed25519_signatures: int = 0  # verified by precompile instructions
    secp256k1_signatures: int = 0
    secp256r1_signatures: int = 0

    @property
    def precompile_signatures(self) -> int:
        return self.ed25519_signatures + self.secp256k1_signatures + self.secp256r1_signatures

    @property
    def cost(self) -> int:
        """Agave's cost model: signatures (the transaction's and its precompiles'), write locks,
        instruction data and the requested units."""
        signatures = (SIGNATURE_COST * self.signatures + ED25519_VERIFY_STRICT_COST * self.ed25519_signatures
                      + SECP256K1_VERIFY_COST * self.secp256k1_signatures
                      + SECP256R1_VERIFY_COST * self.secp256r1_signatures)
        return (signatures + WRITE_LOCK_COST * self.writable_accounts + self.data_bytes // DATA_BYTES_PER_UNIT
                + self.compute_unit_limit)

    @property
    def priority_fee(self) -> int:
        return -(-self.compute_unit_price * self.compute_unit_limit // MICRO_LAMPORTS_PER_LAMPORT)

    @property
    def base_fee(self) -> int:
        """5,000 lamports per signature, the precompiles' included (as the runtime charges it)."""
        return LAMPORTS_PER_SIGNATURE * (self.signatures + self.precompile_signatures)

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
    from jitvm.svm.precompiles import ED25519, SECP256K1, SECP256R1, signature_count
    from jitvm.svm.processor import MessageView

    message = MessageView(transaction.message)
    invoked = [(message.keys[program], data) for program, _, data in message.instructions]
    limits = compute_budget.limits_of(invoked)

    def verified_by(precompile: bytes) -> int:
        return sum(signature_count(program, data) for program, data in invoked if program == precompile)

    return TransactionCost(
        signatures=message.signed,
        writable_accounts=sum(message.writable),
        data_bytes=sum(len(data) for _, data in invoked),
        compute_unit_limit=limits.compute_unit_limit,
        compute_unit_price=limits.compute_unit_price,
        ed25519_signatures=verified_by(ED25519),
        secp256k1_signatures=verified_by(SECP256K1),
        secp256r1_signatures=verified_by(SECP256R1),
    )
