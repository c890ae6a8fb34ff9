"""Parallel replay against sequential, side by side, on 2 workers: threads and forked processes.

Batches (calls of a CPU-heavy loop program filling the 1.4M compute-unit limit, and System transfers):
- conflict-free: every loop call paid by its own wallet;
- fully conflicting: every loop call paid by one wallet;
- mixed: loop calls and transfers (a tenth of them failing overdrafts) among 8 wallets.

Every parallel run is checked equal to the sequential one (every result, every balance) before it
counts. Efficiency compares the time with the lower bound max(total CU / workers, longest conflict
chain in CU), turned into time at the sequential run's time per compute unit.

    python bench/sealevel/measure.py [--engine baseline --engine jit] [--transactions 64] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from jitvm.sealevel.parallel import critical_path, plan, run_in_order  # noqa: E402
from tests.sealevel.ledgers import bank, loop_calls, summary, transfers  # noqa: E402

WORKERS = 2
ITERATIONS = 340_000  # loop rounds (4 instructions each): fills the 1.4M compute-unit limit
BATCHES = ("conflict-free", "fully conflicting", "mixed")
MODES = (("1 thread", 1, 1), ("2 threads", WORKERS, 1), ("2 processes", 1, WORKERS))


def batch(name: str, engine: str, count: int, iterations: int):
    """A fresh bank, its wallets and the batch (the loop program already loaded and compiled)."""
    wallets = {"conflict-free": count + 1, "fully conflicting": 1, "mixed": 8}[name]
    svm, keys = bank(engine, wallets, loop_iterations=iterations)
    calls = loop_calls(svm, keys, count + 1, seed=5, round_robin=name != "mixed", unit_limit=1_400_000)
    svm.send_transaction(calls[0])  # load and compile the program outside the timing
    transactions = calls[1:]
    if name == "mixed":
        transactions = [tx for pair in zip(transactions, transfers(svm, keys, count, seed=1)) for tx in pair]
    return svm, keys, transactions


def measure(name: str, engine: str, count: int, iterations: int, repeat: int) -> None:
    best: dict[str, float] = {}
    reference = None
    for _ in range(repeat):
        for label, threads, processes in MODES:  # interleaved, so load changes hit every mode alike
            svm, keys, transactions = batch(name, engine, count, iterations)
            planned = plan(transactions, svm)  # before the run: its signatures then fill the history
            gc.collect()  # the banks of earlier runs are garbage: not collected inside a timed run
            started = time.perf_counter()
            results = run_in_order(svm, transactions, threads, processes)
            elapsed = time.perf_counter() - started
            outcome = summary(svm, results, keys)
            if reference is None:
                reference = outcome, planned, [result.meta.compute_units_consumed for result in results]
            elif outcome != reference[0]:
                raise AssertionError(f"{name} on {engine}, {label}: a different result than the sequential run")
            best[label] = min(best.get(label, float("inf")), elapsed)
    _, planned, units = reference
    total, chain = sum(units), critical_path(planned, units)
    one = best["1 thread"]
    bound = one * max(total / WORKERS, chain) / total if total else one
    failed = sum(row[0] != "None" for row in reference[0][0])
    print(f"{name:18} {engine:9} {len(planned)} tx ({failed} failing), {total / 1e6:.1f}M CU, "
          f"longest chain {chain / max(total, 1):.0%} of the CU; 1 thread {one * 1e3:7.1f} ms")
    for label, _, _ in MODES[1:]:
        print(f"{'':28} {label:11} {best[label] * 1e3:7.1f} ms  speedup {one / best[label]:.2f}x  "
              f"efficiency {bound / best[label]:.0%} of the bound")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", action="append", choices=("reference", "baseline", "jit"))
    parser.add_argument("--transactions", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=ITERATIONS, help="loop rounds per call (4 instructions "
                        "each; the default fills the 1.4M compute-unit limit; the reference needs far fewer)")
    parser.add_argument("--batch", action="append", choices=BATCHES)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each mode; the best counts")
    args = parser.parse_args()
    for engine in args.engine or ["baseline", "jit"]:
        for name in args.batch or BATCHES:
            measure(name, engine, args.transactions, args.iterations, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
