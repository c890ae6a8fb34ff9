"""Parallel replay against sequential, side by side: a conflict-free batch of CPU-heavy transactions
(calls of a loop program, each by its own wallet) and a fully conflicting one (one wallet), on 1
and 2 threads. Each run is checked equal to the sequential one before it counts.

    python bench/sealevel/measure.py [--engine baseline] [--transactions 40] [--iterations 340000]

Efficiency compares the time with the lower bound max(total work / threads, longest conflict chain),
where the work of a transaction is its share of the sequential time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from jitvm.sealevel.parallel import longest_chain, plan, run_in_order  # noqa: E402
from tests.sealevel.ledgers import bank, loop_calls, summary  # noqa: E402


def measure(engine: str, wallets: int, count: int, iterations: int, threads: int, repeat: int = 3):
    best, outcome = float("inf"), None
    for _ in range(repeat):
        svm, keys = bank(engine, wallets, loop_iterations=iterations)
        batch = loop_calls(svm, keys, count, seed=5, round_robin=True, unit_limit=1_400_000)
        svm.send_transaction(batch[0])  # load and compile the program outside the timing
        batch = batch[1:]
        chain = longest_chain(plan(batch, svm))  # before the run: its signatures then fill the history
        started = time.perf_counter()
        results = run_in_order(svm, batch, threads)
        best = min(best, time.perf_counter() - started)
        outcome = summary(svm, results, keys), chain, len(batch)
    return best, outcome


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="baseline")
    parser.add_argument("--transactions", type=int, default=40)
    parser.add_argument("--iterations", type=int, default=340_000, help="loop rounds (4 instructions each; "
                        "the default fills the 1.4M compute-unit limit)")
    args = parser.parse_args()
    for label, wallets in (("conflict-free", args.transactions + 1), ("fully conflicting", 1)):
        one, (first, chain, count) = measure(args.engine, wallets, args.transactions + 1, args.iterations, 1)
        two, (second, _, _) = measure(args.engine, wallets, args.transactions + 1, args.iterations, 2)
        assert first == second, "two threads gave a different result"
        bound = max(one / 2, one * chain / count)
        print(f"{label:18} {args.engine}: 1 thread {one * 1e3:8.1f} ms, 2 threads {two * 1e3:8.1f} ms, "
              f"speedup {one / two:.2f}x, efficiency {bound / two:.0%} of the bound "
              f"(longest chain {chain} of {count})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
