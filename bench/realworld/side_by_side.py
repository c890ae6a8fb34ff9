"""Side-by-side per-transaction time of the realworld sessions, jitvm engines against pyrevm, in one
process (interleaved repeats, best of each): a quick check while the machine is shared.

    python bench/realworld/side_by_side.py [--engines baseline,jit] [--filter erc20] [--repeat 5]
    python bench/realworld/side_by_side.py --profile erc20/transfer --engines baseline
"""

from __future__ import annotations

import argparse
import math
import time

from jitvm.bench.realworld import WORKLOAD_NAMES, _session


def per_call(session, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        session.run()
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit")
    parser.add_argument("--filter", default="")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", default=None)
    args = parser.parse_args()
    engines = args.engines.split(",")
    if args.profile:
        import cProfile
        import pstats

        session = _session(args.profile, engines[0])
        for _ in range(20):
            session.run()
        calls = 3 if "5000" in args.profile or "block" in args.profile else 2000
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            session.run()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return
    ratios = {engine: [] for engine in engines}
    for name in WORKLOAD_NAMES:
        if args.filter not in name:
            continue
        sessions = {runner: _session(name, runner) for runner in ["pyrevm", *engines]}
        calls = 2 if "5000" in name or "block" in name else 200
        best = {runner: math.inf for runner in sessions}
        for _ in range(args.repeat):
            for runner, session in sessions.items():
                best[runner] = min(best[runner], per_call(session, calls))
        print_row(name, {runner: seconds * 1e6 for runner, seconds in best.items()}, "us", ratios)
    print_geomeans(ratios)


def print_row(name: str, measured: dict[str, float], unit: str, ratios: dict[str, list[float]]) -> None:
    """One workload: pyrevm's figure, then each engine's and its ratio to pyrevm (kept in `ratios`)."""
    cells = []
    for engine in ratios:
        ratio = measured[engine] / measured["pyrevm"]
        ratios[engine].append(ratio)
        cells.append(f"{engine} {measured[engine]:9.1f} {unit} {ratio:5.2f}x")
    print(f"{name:28s} pyrevm {measured['pyrevm']:9.1f} {unit}  " + "  ".join(cells), flush=True)


def print_geomeans(ratios: dict[str, list[float]]) -> None:
    for engine, values in ratios.items():
        if values:
            print(f"geomean {engine}: {math.exp(sum(map(math.log, values)) / len(values)):.2f}x", flush=True)


if __name__ == "__main__":
    main()
