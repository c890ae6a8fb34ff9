"""Time per transaction of realworld sessions on jitvm engines and pyrevm, interleaved in one process
(rounds alternate between runners, the best round counts), so a loaded machine skews them alike.

    python bench/realworld/time_sessions.py [--engines baseline,jit] [--filter uniswap] [--calls 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import time

from jitvm.bench.realworld import WORKLOAD_NAMES, _session


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit")
    parser.add_argument("--filter", default="")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runners = ["pyrevm", *args.engines.split(",")]
    for name in WORKLOAD_NAMES:
        if args.filter not in name:
            continue
        calls = 1 if "5000" in name or "block" in name else args.calls
        sessions = {runner: _session(name, runner) for runner in runners}
        for session in sessions.values():
            for _ in range(5):
                session.run()
        best = {runner: float("inf") for runner in runners}
        for _ in range(args.rounds):
            for runner, session in sessions.items():
                start = time.perf_counter()
                for _ in range(calls):
                    session.run()
                best[runner] = min(best[runner], (time.perf_counter() - start) / calls)
        cells = "  ".join(f"{runner} {best[runner] * 1e6:8.1f} µs ({best[runner] / best['pyrevm']:5.2f}x)"
                          for runner in runners)
        print(f"{name:24} {cells}", flush=True)


if __name__ == "__main__":
    main()
