"""Time per realworld transaction of `jit` and `auto` against the baseline, side by side in one
process: each session warmed (400 transactions), optionally settled (every code compiled and
upgraded, and after that each code reviewed), then `--repeat` interleaved rounds of 100
transactions per engine, the best round of each. Ratios are to the first engine.

    python bench/realworld/tiering_times.py [--engines baseline,jit,auto] [--filter erc20] [--repeat 30] [--no-settle]
    python bench/realworld/tiering_times.py --engines pyrevm,baseline,jit,auto --rotate

`--rotate` starts each round at the next engine (round r runs engines[r:] + engines[:r]), so that no
engine always runs right after the same other one: in side_by_side.py's fixed order (pyrevm, then
the engines as given) an engine's place moved its time by 2-5% on short transactions (session 16,
docs/tiering.md). Besides the best round, the median over rounds of each round's ratio is printed
(a paired figure: a round's engines ran under about the same load).

Without --no-settle this is issue 14's steady state; with it, what bench/realworld/side_by_side.py
sees (jit's codes cold until 50,000 instructions, then loaded from the object cache if it has them;
auto's compiled in the background after HOT_CALLS frames). Times depend on the machine's load:
bench/realworld/count_tiering.py counts instructions instead.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

from jitvm.bench.realworld import WORKLOAD_NAMES, _session
from jitvm.evm.engines import get_engine

WARM_CALLS = 400
ROUND_CALLS = 100


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit,auto")
    parser.add_argument("--filter", default="")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-settle", action="store_true")
    parser.add_argument("--long", action="store_true", help="also the two long sessions (1 call a round, 3 to warm)")
    parser.add_argument("--rotate", action="store_true", help="start each round at the next engine")
    args = parser.parse_args()
    engines = args.engines.split(",")
    for name in WORKLOAD_NAMES:
        long = "5000" in name or "block" in name
        if args.filter not in name or (long and not args.long):
            continue
        round_calls = 1 if long else ROUND_CALLS
        # ("jit#2": a second session on jit, to see how far two sessions of one engine differ)
        sessions = {engine: _session(name, engine.split("#")[0]) for engine in engines}
        for engine, session in sessions.items():
            for _ in range(3 if long else WARM_CALLS):
                session.run()
            if not args.no_settle and engine.split("#")[0] in ("jit", "auto"):
                get_engine(engine.split("#")[0]).settle()
                for _ in range(3 if long else WARM_CALLS):  # past every review
                    session.run()
        best = dict.fromkeys(engines, math.inf)
        paired = {engine: [] for engine in engines[1:]}
        for round_number in range(args.repeat):
            first = round_number % len(engines) if args.rotate else 0
            times = {}
            for engine in engines[first:] + engines[:first]:
                session = sessions[engine]
                start = time.perf_counter()
                for _ in range(round_calls):
                    session.run()
                times[engine] = (time.perf_counter() - start) / round_calls * 1e6
                best[engine] = min(best[engine], times[engine])
            for engine in paired:
                paired[engine].append(times[engine] / times[engines[0]])
        cells = "  ".join(f"{engine} {best[engine]:7.2f} us" for engine in engines)
        ratios = "  ".join(f"{best[engine] / best[engines[0]]:.3f}" for engine in engines[1:])
        medians = "  ".join(f"{statistics.median(values):.3f}" for values in paired.values())
        print(f"{name:24s} {cells}   ratio {ratios}   median ratio {medians}", flush=True)


if __name__ == "__main__":
    main()
