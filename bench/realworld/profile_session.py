"""Profile one realworld session on one engine with cProfile: where the Python time of a
transaction goes (the per-transaction and per-child-frame path, docs/transaction-path.md).

    python bench/realworld/profile_session.py uniswap/swap --engine baseline [--calls 200] [--sort tottime]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

from jitvm.bench.realworld import _session


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--engine", default="baseline")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args()
    session = _session(args.workload, args.engine)
    for _ in range(5):
        session.run()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.calls):
        session.run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(f"{stats.total_calls / args.calls:.0f} Python calls per transaction")
    stats.sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
