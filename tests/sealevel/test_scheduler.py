"""The scheduler: lock rules, priority order, block and account limits, and retries."""

from __future__ import annotations

from jitvm.sealevel.cost import TransactionCost
from jitvm.sealevel.feemarket import Market, Workload, simulate
from jitvm.sealevel.locks import AccountLocks, AccountSet
from jitvm.sealevel.scheduler import BlockLimits, Pending, Scheduler


def key(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


def pending(writes, reads=(), units=1_000, price=0, tag=""):
    """`price` in lamports per 1,000 units, so small numbers still order."""
    return Pending(AccountSet(frozenset(map(key, writes)), frozenset(map(key, reads))),
                   TransactionCost(1, len(writes), 0, units, price * 1_000_000), tag=tag)


def test_cost_model_and_priority():
    cost = TransactionCost(signatures=2, writable_accounts=3, data_bytes=9, compute_unit_limit=200_000,
                           compute_unit_price=1_500)
    assert cost.cost == 2 * 720 + 3 * 300 + 2 + 200_000  # 9 data bytes: 2 units (Agave rounds down)
    assert cost.priority_fee == 300  # ceil(1500 * 200000 / 1e6)
    assert cost.reward == 300 + 5_000  # half of the 10,000 lamport base fee
    assert cost.priority == (300 + 5_000) * 1_000_000 // (cost.cost + 1)


def test_precompile_signatures_in_cost_and_base_fee():
    """Agave's cost model prices each signature a precompile instruction verifies (its data's first
    byte): Ed25519 2,400 (strict), secp256k1 6,690, secp256r1 4,800; the fee charges 5,000 lamports
    for each, like the transaction's own."""
    from solders.hash import Hash
    from solders.instruction import Instruction
    from solders.keypair import Keypair
    from solders.message import Message
    from solders.pubkey import Pubkey
    from solders.transaction import Transaction

    from jitvm.sealevel.cost import cost_of_transaction
    from jitvm.svm.compute_budget import limits_of
    from jitvm.svm.precompiles import ED25519, SECP256K1, SECP256R1

    payer = Keypair.from_seed(bytes(range(32)))
    instructions = [Instruction(Pubkey.from_bytes(ED25519), bytes([2]) + bytes(7), []),
                    Instruction(Pubkey.from_bytes(SECP256K1), bytes([1]), []),
                    Instruction(Pubkey.from_bytes(SECP256R1), bytes([3, 0]), []),
                    Instruction(Pubkey.from_bytes(ED25519), b"", [])]  # no data: no signature
    transaction = Transaction([payer], Message(instructions, payer.pubkey()), Hash.default())
    cost = cost_of_transaction(transaction)
    assert (cost.ed25519_signatures, cost.secp256k1_signatures, cost.secp256r1_signatures) == (2, 1, 3)
    units = limits_of([(bytes(ix.program_id), bytes(ix.data)) for ix in instructions]).compute_unit_limit
    assert cost.cost == 720 + 2 * 2_400 + 6_690 + 3 * 4_800 + 300 + 11 // 4 + units
    assert cost.base_fee == 5_000 * 7


def test_locks_many_readers_or_one_writer():
    locks = AccountLocks()
    reader = AccountSet(frozenset(), frozenset({key("a")}))
    writer = AccountSet(frozenset({key("a")}), frozenset())
    assert locks.try_lock(reader) and locks.try_lock(reader)
    assert not locks.try_lock(writer)
    locks.unlock(reader)
    assert not locks.try_lock(writer)
    locks.unlock(reader)
    assert locks.try_lock(writer) and not locks.try_lock(reader) and not locks.try_lock(writer)
    locks.unlock(writer)
    both = AccountSet(frozenset({key("b")}), frozenset({key("a")}))
    assert locks.try_lock(both) and not locks.can_lock(AccountSet(frozenset({key("a")}), frozenset()))


def test_priority_order_within_a_block():
    scheduler = Scheduler()
    low, high, middle = pending(["x"], price=1), pending(["y"], price=100), pending(["z"], price=10)
    for item in (low, high, middle):
        scheduler.add(item)
    assert scheduler.next_block(0).transactions == [high, middle, low]


def test_block_limit_and_retry_next_block():
    scheduler = Scheduler(BlockLimits(block_units=4_500, account_units=4_500))
    items = [pending([f"w{i}"], units=1_000, price=10 - i) for i in range(5)]  # 2,020 units each
    for item in items:
        scheduler.add(item)
    first = scheduler.next_block(0)
    assert first.units == 4_040 and first.transactions == items[:2]
    second = scheduler.next_block(1)
    assert second.transactions == items[2:4] and len(scheduler) == 1


def test_account_limit_holds_back_the_hot_account_only():
    scheduler = Scheduler(BlockLimits(block_units=100_000, account_units=5_000))
    hot = [pending(["hot", f"payer{i}"], units=2_000, price=50 - i) for i in range(5)]
    cold = [pending([f"cold{i}"], units=2_000, price=1) for i in range(5)]
    for item in hot + cold:
        scheduler.add(item)
    block = scheduler.next_block(0)
    assert [p for p in block.transactions if p in hot] == hot[:1]  # each costs 3,320: two would pass 5,000
    assert all(p in block.transactions for p in cold)
    assert block.account_units[key("hot")] <= 5_000


def test_a_held_back_transaction_holds_back_lower_priority_ones_on_its_accounts():
    scheduler = Scheduler(BlockLimits(block_units=10_000, account_units=10_000))
    big = pending(["a"], units=20_000, price=100)  # never fits this block
    after = pending(["a"], units=100, price=1)  # would fit, but must not overtake `big`
    other = pending(["b"], units=100, price=1)
    for item in (big, after, other):
        scheduler.add(item)
    block = scheduler.next_block(0)
    assert block.transactions == [other]


def test_batches_keep_conflicting_transactions_on_one_worker_in_order():
    scheduler = Scheduler(batch_size=2, workers=2)
    chain = [pending(["shared", f"p{i}"], price=20 - i) for i in range(5)]
    loose = [pending([f"q{i}"], price=1) for i in range(3)]
    for item in chain + loose:
        scheduler.add(item)
    block = scheduler.next_block(0)
    workers = [[p for batch in batches for p in batch] for batches in block.batches]
    holding = [w for w in workers if chain[0] in w][0]
    assert [p for p in holding if p in chain] == chain
    assert all(len(batch) <= 2 for batches in block.batches for batch in batches)


def test_local_markets_spare_the_users_who_avoid_the_hot_account():
    workload = Workload(slots=60, rate=200, bursts=((10, 20, 8.0),), seed=3)
    local = simulate(workload, Market("local")).summary()
    global_ = simulate(workload, Market("global")).summary()
    assert local["cold"]["mean_fee_lamports"] == 5_000 and local["cold"]["next_slot_share"] == 1.0
    assert global_["cold"]["mean_fee_lamports"] > 5_000
    assert local["hot"]["mean_delay_slots"] > local["cold"]["mean_delay_slots"]
