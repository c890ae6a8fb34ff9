"""Side-by-side per-transaction time of the realworld sessions, jitvm engines against pyrevm, in one
process (interleaved repeats, best of each): a quick check while the machine is shared.

    python bench/realworld/side_by_side.py [--engines baseline,jit] [--filter erc20] [--repeat 5] [--warm 100]
    python bench/realworld/side_by_side.py --profile erc20/transfer --engines baseline

The times are of the steady state, as count_instructions.py counts it: each session runs `--warm`
transactions first (default 100), then jit and auto settle() and run `--warm` more. Until session 16
nothing was warmed: the registered jit ran a short transaction's contract cold (on the kernel,
counted) until it had run 50,000 instructions (load_steps), then loaded it from the object cache in
the middle of a repeat, so that two or three of five repeats timed cold frames and one a cache load
(erc20/transfer: repeats 0-1 cold, 2 the load; side_by_side_states.py shows it). `--warm 0` times
that start.
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


def warm_up(session, runner: str, warm: int) -> None:
    """Run `session` to its steady state: `warm` transactions, then (jit, auto) settle() and `warm` more."""
    if not warm:
        return
    for _ in range(warm):
        session.run()
    if runner in ("jit", "auto"):  # compile and upgrade every code now, not while timing
        from jitvm.evm.engines import get_engine

        get_engine(runner).settle()
        for _ in range(warm):
            session.run()


def warmed_sessions(name: str, engines: list[str], warm: int) -> tuple[dict, int]:
    """The workload's session on pyrevm and on each engine, each warmed (`warm` transactions; at
    most 3 of the long workloads), and how many calls a timed repeat makes."""
    sessions = {runner: _session(name, runner) for runner in ["pyrevm", *engines]}
    long = "5000" in name or "block" in name
    for runner, session in sessions.items():
        warm_up(session, runner, min(warm, 3) if long else warm)
    return sessions, 2 if long else 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit")
    parser.add_argument("--filter", default="")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", default=None)
    parser.add_argument("--warm", type=int, default=100, help="transactions before timing (and again after settle)")
    args = parser.parse_args()
    engines = args.engines.split(",")
    if args.profile:
        import cProfile
        import pstats

        session = _session(args.profile, engines[0])
        warm_up(session, engines[0], args.warm or 20)
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
        sessions, calls = warmed_sessions(name, engines, args.warm)
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
