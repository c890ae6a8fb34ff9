"""Where a threaded replay's time goes, for the conflict-free batch of bench/sealevel/measure.py: the
plan, the batch signature check and the run, in wall time, and per worker thread the CPU time of its
transactions split into the program's native run (GIL released) and the rest (Python, GIL held).

A worker's CPU per transaction far above the sequential run's means GIL hand-offs: each costs both
threads system time and cold caches (that is what the batch signature check removed).

    python bench/sealevel/phases.py [--engine jit] [--threads 2] [--transactions 64] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # noqa: E402

from jitvm.bpf import driver  # noqa: E402
from jitvm.bpf.jit import compile as jit_compile  # noqa: E402
from jitvm.sealevel import parallel, sigverify  # noqa: E402
from jitvm.svm import processor  # noqa: E402
from jitvm.svm.bank import _legacy  # noqa: E402

SPENT: dict = defaultdict(lambda: defaultdict(float))  # thread -> what -> CPU seconds


def _timed(what: str, function):
    def timed(*args, **kwargs):
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent = SPENT[threading.get_ident()]
            spent[what] += time.thread_time() - started
            spent[what + " runs"] += 1
    return timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="jit", choices=("baseline", "jit"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--transactions", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=5, help="runs; the fastest counts")
    args = parser.parse_args()
    driver.NativeRun.interpret = _timed("native", driver.NativeRun.interpret)
    jit_compile.CompiledProgram.enter = _timed("native", jit_compile.CompiledProgram.enter)
    processor.process = _timed("transactions", processor.process)
    best = None
    for _ in range(args.repeat):
        bank, _, transactions = measure.batch("conflict-free", args.engine, args.transactions, measure.ITERATIONS)
        sequential_bank, _, _ = measure.batch("conflict-free", args.engine, args.transactions, measure.ITERATIONS)
        SPENT.clear()
        started = time.perf_counter()
        for transaction in transactions:
            sequential_bank.send_transaction(transaction)
        alone = time.perf_counter() - started
        one = dict(SPENT[threading.get_ident()])
        SPENT.clear()
        started = time.perf_counter()
        legacy = [_legacy(transaction) for transaction in transactions]
        planned = parallel.plan(legacy, bank)
        planning = time.perf_counter()
        for item, accepted in zip(planned, sigverify.accepted_transactions(legacy, args.threads)):
            item.signatures_accepted = accepted
        checking = time.perf_counter()
        parallel._run_on_threads(bank, planned, args.threads)
        ended = time.perf_counter()
        run = (alone, planning - started, checking - planning, ended - checking, one,
               {thread: dict(spent) for thread, spent in SPENT.items()})
        best = run if best is None or ended - started < sum(best[1:4]) else best
    alone, planning, checking, running, one, workers = best
    count = args.transactions
    print(f"{args.engine}, {count} transactions: 1 thread {alone * 1e3:.1f} ms "
          f"(CPU per transaction {one['transactions'] / count * 1e6:.0f} us, native {one['native'] / count * 1e6:.0f});"
          f" {args.threads} threads {(planning + checking + running) * 1e3:.1f} ms "
          f"= plan {planning * 1e3:.2f} + signatures {checking * 1e3:.2f} + run {running * 1e3:.2f} ms")
    for number, spent in enumerate(workers.values()):
        done = int(spent["transactions runs"])
        print(f"  worker {number}: CPU {spent['transactions'] * 1e3:.2f} ms for {done} transactions "
              f"({spent['transactions'] / done * 1e6:.0f} us each, native {spent['native'] / done * 1e6:.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
