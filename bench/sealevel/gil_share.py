"""How much of a replayed transaction holds the GIL: the per-transaction CPU time (this thread's, so
machine load hardly matters) split into the program's native run (JIT code or the nogil Numba interpreter: GIL released), the signature
check, and the rest (Python, GIL held), for the conflict-free batch of bench/sealevel/measure.py.

With the GIL held for `held` of a transaction's `total`, N threads cannot beat
total / max(held, total / N): that bound is printed for 2 threads, with the signature check holding
the GIL (solders, as before) and released (libsodium, the threaded replay's path).

    python bench/sealevel/gil_share.py [--engine jit] [--transactions 128]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # noqa: E402

import jitvm.bpf.driver as driver  # noqa: E402
from jitvm.svm import processor  # noqa: E402

SPENT = {"native": 0.0, "signatures": 0.0}


def _timed(key: str, function):
    def timed(*args, **kwargs):
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[key] += time.thread_time() - started
    return timed


class _TimedCode:
    """A compiled program whose native runs are timed."""

    def __init__(self, code):
        self._code = code
        self.enter = _timed("native", code.enter)

    def __getattr__(self, name):
        return getattr(self._code, name)


def _install() -> None:
    processor.transaction_verified = _timed("signatures", processor.transaction_verified)
    driver.NativeRun.interpret = _timed("native", driver.NativeRun.interpret)  # Numba, nogil
    run_tiered = driver.NativeRun.run_tiered

    def timed_run_tiered(self, code=None, *args, **kwargs):
        return run_tiered(self, None if code is None else _TimedCode(code), *args, **kwargs)

    driver.NativeRun.run_tiered = timed_run_tiered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="jit", choices=("baseline", "jit"))
    parser.add_argument("--transactions", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the least total counts")
    args = parser.parse_args()
    _install()
    for release_gil in (False, True):
        best = None
        for _ in range(args.repeat):
            bank, _, transactions = measure.batch("conflict-free", args.engine, args.transactions, measure.ITERATIONS)
            SPENT.update(native=0.0, signatures=0.0)
            started = time.thread_time()
            for transaction in transactions:
                bank.commit(processor.process(bank, transaction, release_gil=release_gil))
            total = time.thread_time() - started
            row = [value / len(transactions) * 1e6 for value in (total, SPENT["native"], SPENT["signatures"])]
            best = row if best is None or row[0] < best[0] else best
        total, native, signatures = best
        held = total - native - (signatures if release_gil else 0.0)
        label = "libsodium, GIL released" if release_gil else "solders, GIL held"
        print(f"signatures by {label:24} per transaction {total:6.1f} us: native {native:5.1f}, signatures "
              f"{signatures:5.1f}, GIL held {held:6.1f} ({held / total:.0%}); "
              f"2 threads at best {total / max(held, total / 2):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
