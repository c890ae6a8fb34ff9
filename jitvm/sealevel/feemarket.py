"""A fee-market simulator: the same generated demand under a global market (one EIP-1559 base fee
per unit of compute for the whole block) and under local markets (Agave's per-account compute caps
with priority ordering, and optionally SIMD-0110's write-lock fee that grows on a contended account).

Demand: every slot, users arrive (Poisson) in two classes: `hot` transactions write one contended
AMM pool, `cold` ones are independent transfers. Bursts multiply the hot arrival rate for a few
slots. Every user has a most it will pay; a transaction waits while the required fee is above that,
and is dropped when its blockhash expires (150 slots).
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass, field

from jitvm.sealevel.cost import LAMPORTS_PER_SIGNATURE, TransactionCost
from jitvm.sealevel.locks import AccountSet
from jitvm.sealevel.scheduler import BlockLimits, Pending, Scheduler

HOT_POOL = b"hot-amm-pool".ljust(32, b"\0")
BLOCKHASH_SLOTS = 150
ELASTICITY = 8  # EIP-1559: the fee moves at most 1/8 per block


@dataclass
class Workload:
    slots: int = 200
    rate: float = 400.0  # transactions per slot
    hot_share: float = 0.2
    hot_units: int = 150_000
    cold_units: int = 20_000
    bursts: tuple[tuple[int, int, float], ...] = ((40, 20, 6.0), (120, 20, 6.0))  # (start, length, hot x)
    seed: int = 1


@dataclass
class Market:
    name: str  # "global", "local" or "local+simd0110"
    limits: BlockLimits = field(default_factory=BlockLimits)


@dataclass
class Outcome:
    tag: str
    arrival: int
    included: int | None = None  # slot
    fee: int = 0  # lamports paid


@dataclass
class SlotRecord:
    slot: int
    units: int
    included: dict[str, int]
    waiting: dict[str, int]
    fee_level: float  # the global base fee per unit, or the hot account's write-lock multiplier


@dataclass
class SimulationResult:
    market: str
    outcomes: list[Outcome]
    slots: list[SlotRecord]
    block_units: int

    def summary(self) -> dict[str, dict]:
        classes = {}
        for tag in ("hot", "cold"):
            mine = [o for o in self.outcomes if o.tag == tag]
            done = [o for o in mine if o.included is not None]
            delays = sorted(o.included - o.arrival for o in done)
            classes[tag] = {
                "arrived": len(mine),
                "included": len(done),
                "dropped_or_waiting": len(mine) - len(done),
                "mean_delay_slots": round(statistics.fmean(delays), 2) if delays else None,
                "p95_delay_slots": delays[int(0.95 * (len(delays) - 1))] if delays else None,
                "next_slot_share": round(sum(d <= 1 for d in delays) / len(delays), 3) if delays else None,
                "mean_fee_lamports": round(statistics.fmean(o.fee for o in done)) if done else None,
            }
        fullness = [record.units / self.block_units for record in self.slots]
        classes["blocks"] = {"mean_fullness": round(statistics.fmean(fullness), 3),
                             "mean_units_per_slot": round(statistics.fmean(r.units for r in self.slots))}
        return classes


def generate(workload: Workload) -> list[tuple[int, Pending, int]]:
    """(arrival slot, pending transaction, most the user will pay in lamports), in arrival order."""
    rng = random.Random(workload.seed)
    arrivals = []
    for slot in range(workload.slots):
        boost = 1.0
        for start, length, factor in workload.bursts:
            if start <= slot < start + length:
                boost = factor
        hot_rate = workload.rate * workload.hot_share * boost
        cold_rate = workload.rate * (1 - workload.hot_share)
        for tag, rate in (("hot", hot_rate), ("cold", cold_rate)):
            for _ in range(_poisson(rng, rate)):
                payer = rng.getrandbits(256).to_bytes(32, "big")
                if tag == "hot":
                    accounts = AccountSet(frozenset({payer, HOT_POOL}), frozenset())
                    price = rng.choice((1_000, 10_000, 50_000, 200_000))  # micro-lamports per unit
                    cost = TransactionCost(1, 2, 64, workload.hot_units, price)
                    budget = 10 * LAMPORTS_PER_SIGNATURE + cost.priority_fee + rng.randint(0, 2_000_000)
                else:
                    receiver = rng.getrandbits(256).to_bytes(32, "big")
                    accounts = AccountSet(frozenset({payer, receiver}), frozenset())
                    cost = TransactionCost(1, 2, 12, workload.cold_units, 0)
                    budget = LAMPORTS_PER_SIGNATURE + rng.randint(0, 400_000)
                arrivals.append((slot, Pending(accounts, cost, slot, tag=tag), budget))
    return arrivals


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 50:  # normal approximation, rounded
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def simulate(workload: Workload, market: Market) -> SimulationResult:
    arrivals = generate(workload)
    global_market = market.name == "global"
    limits = market.limits if not global_market else BlockLimits(market.limits.block_units, market.limits.block_units)
    target = limits.block_units // 2
    account_target = limits.account_units // 2
    base_per_unit = 0.0  # global: lamports per unit of cost on top of the signature fee
    multipliers: dict[bytes, float] = {}  # SIMD-0110: write-lock fee multiplier per account
    waiting: list[tuple[Pending, int, Outcome]] = []
    outcomes: list[Outcome] = []
    records: list[SlotRecord] = []
    position = 0
    for slot in range(workload.slots):
        while position < len(arrivals) and arrivals[position][0] == slot:
            _, pending, budget = arrivals[position]
            outcome = Outcome(pending.tag, slot)
            outcomes.append(outcome)
            waiting.append((pending, budget, outcome))
            position += 1
        waiting = [(p, b, o) for p, b, o in waiting if slot - p.arrival < BLOCKHASH_SLOTS]

        def required(pending: Pending) -> int:
            fee = pending.cost.base_fee + pending.cost.priority_fee
            if global_market:
                fee += int(base_per_unit * pending.cost.cost)
            elif market.name == "local+simd0110":
                worst = max((multipliers.get(key, 1.0) for key in pending.accounts.writable), default=1.0)
                fee += int(pending.cost.base_fee * (worst - 1.0))
            return fee

        scheduler = Scheduler(limits)
        by_id = {}
        for pending, budget, outcome in waiting:
            if required(pending) <= budget:
                scheduler.add(pending)
                by_id[id(pending)] = outcome
        block = scheduler.next_block(slot)
        taken = set()
        for pending in block.transactions:
            outcome = by_id[id(pending)]
            outcome.included = slot
            outcome.fee = required(pending)
            taken.add(id(pending))
        waiting = [(p, b, o) for p, b, o in waiting if id(p) not in taken]
        # The fee levels move with this block's use.
        if global_market:
            change = (block.units - target) / target / ELASTICITY
            base_per_unit = max(0.0, base_per_unit * (1 + change) if base_per_unit else (0.01 if change > 0 else 0.0))
        elif market.name == "local+simd0110":
            for key in set(multipliers) | set(block.account_units):
                used = block.account_units.get(key, 0)
                change = (used - account_target) / account_target / ELASTICITY
                value = max(1.0, multipliers.get(key, 1.0) * (1 + change))
                if value > 1.0:
                    multipliers[key] = value
                else:
                    multipliers.pop(key, None)
        count = {"hot": 0, "cold": 0}
        for pending in block.transactions:
            count[pending.tag] += 1
        left = {"hot": 0, "cold": 0}
        for pending, _, _ in waiting:
            left[pending.tag] += 1
        level = base_per_unit if global_market else multipliers.get(HOT_POOL, 1.0)
        records.append(SlotRecord(slot, block.units, count, left, level))
    return SimulationResult(market.name, outcomes, records, limits.block_units)
