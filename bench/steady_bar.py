"""Issue 14's steady-state bar on every bundled EVM workload (the `jitvm bench` EVM set and the
realworld group): `jit` and `auto` over the baseline, in CPU instructions (callgrind) or in process
CPU time (side by side, in interleaved rounds), with every ratio above 1.0 flagged.

    python bench/steady_bar.py --timer instructions [--filter realworld,zeros] [--skip-long]
    python bench/steady_bar.py --timer cpu [--rounds 5]

Steady state: each engine's call of a workload is made `--warm` times (for at most `--warm-seconds`),
then jit and auto settle() (every code compiled and upgraded) and make it `--warm` times again, so
that auto's codes are past HOT_CALLS, every compiled code's review is done (32 + 4 compiled
frames) and, on jit, a code the review declined runs on the baseline's path. This is what
count_instructions.py does for realworld; `jitvm bench` warms a few calls only, which on the
realworld sessions measures auto's cold path and jit's unreviewed compiled code. The per-code
memos are forgotten before each engine's first call (jitvm.bench.steady.forget_code_memos).

`--skip-long` leaves out, with --timer instructions, the compute-heavy main workloads (a call of
snailtracer is ~0.3 G instructions: minutes under valgrind; their time ratios are 0.25-0.95) and the
two long realworld sessions. Exit status 1 if any ratio is above 1 + `--tolerance` (default 0: every
ratio above 1.0 fails; time ratios repeat to a few percent at best, so read them with that).
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
from pathlib import Path

ENGINES = ("baseline", "jit", "auto")
LONG = ("snailtracer", "weierstrudel", "blake2b", "sha1", "structarray", "transfer_many", "block/")


def cases(patterns: str, skip_long: bool) -> list:
    from jitvm.bench.workloads import bundled_cases, filter_cases, find_fixtures

    chosen = [case for case in bundled_cases(find_fixtures(None)) if case.key.startswith("evm/")]
    if patterns:
        chosen = filter_cases(chosen, patterns)
    if skip_long:
        chosen = [case for case in chosen if not any(part in case.key for part in LONG)]
    return chosen


def steady_call(case, engine_name: str, warm: int, warm_seconds: float):
    """`case`'s call on the engine, warmed to its steady state."""
    from jitvm.bench.runners import EvmEngineRunner
    from jitvm.bench.steady import forget_code_memos
    from jitvm.evm.engines import get_engine

    forget_code_memos()
    engine = get_engine(engine_name)
    call = EvmEngineRunner(engine_name, engine).prepare(case)
    first = call()
    if first.error:
        raise RuntimeError(f"{case.key} on {engine_name}: {first.error}")
    rounds = [warm] if engine_name == "baseline" else [warm, warm]
    for index, calls in enumerate(rounds):
        if index:
            engine.settle()
        started = time.perf_counter()
        for _ in range(calls):
            call()
            if time.perf_counter() - started > warm_seconds:
                break
    return call


_COUNTER = []  # one InstructionCounter per process (it numbers callgrind's dumps)


def count_instructions(case, args) -> dict[str, float]:
    from jitvm.bench.counting import InstructionCounter

    if not _COUNTER:
        _COUNTER.append(InstructionCounter())
    counter = _COUNTER[0]
    counts = {}
    for name in ENGINES:
        call = steady_call(case, name, args.warm, args.warm_seconds)
        gc.collect()
        with counter.measuring():
            before = counter()
            for _ in range(args.calls):
                call()
            counts[name] = (counter() - before) / args.calls
    return counts


def time_side_by_side(case, args) -> dict[str, float]:
    """Median CPU seconds per call over `--rounds` interleaved rounds (each round: every engine,
    in turn, makes enough calls to fill `--sample-seconds`)."""
    calls = {name: steady_call(case, name, args.warm, args.warm_seconds) for name in ENGINES}
    per_sample = {}
    for name, call in calls.items():
        started = time.process_time()
        call()
        per_sample[name] = max(1, math.ceil(args.sample_seconds / max(time.process_time() - started, 1e-6)))
    samples: dict[str, list[float]] = {name: [] for name in ENGINES}
    for round_number in range(args.rounds):
        order = ENGINES[round_number % 3:] + ENGINES[:round_number % 3]
        for name in order:
            call, count = calls[name], per_sample[name]
            call()  # one untimed call puts its caches back after the other engines' turns
            started = time.process_time()
            for _ in range(count):
                call()
            samples[name].append((time.process_time() - started) / count)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timer", choices=("instructions", "cpu"), default="instructions")
    parser.add_argument("--filter", default="", help="comma-separated substrings or globs (as jitvm bench --filter)")
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument("--warm", type=int, default=100, help="calls before settle() and again after (100)")
    parser.add_argument("--warm-seconds", type=float, default=3.0, help="at most this long per warm-up round (3)")
    parser.add_argument("--calls", type=int, default=10, help="counted calls per engine (--timer instructions)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (--timer cpu)")
    parser.add_argument("--sample-seconds", type=float, default=0.05, help="CPU seconds per sample (--timer cpu)")
    parser.add_argument("--tolerance", type=float, default=0.0)
    args = parser.parse_args()
    if args.timer == "instructions":
        sys.path.insert(0, str(Path(__file__).resolve().parent / "realworld"))
        from callgrind_run import rerun_under_callgrind

        rerun_under_callgrind()
    measure = count_instructions if args.timer == "instructions" else time_side_by_side
    unit = "k instr" if args.timer == "instructions" else "us"
    scale = 1e-3 if args.timer == "instructions" else 1e6
    print(f"{'workload':44} {'baseline ' + unit:>16} {'jit/baseline':>14} {'auto/baseline':>14}", flush=True)
    over = []
    for case in cases(args.filter, args.skip_long):
        values = measure(case, args)
        cells = []
        for name in ("jit", "auto"):
            ratio = values[name] / values["baseline"]
            flag = " OVER" if ratio > 1 + args.tolerance else ""
            if flag:
                over.append((case.key, name, ratio))
            cells.append(f"{ratio:9.4f}{flag:5}")
        print(f"{case.key:44} {values['baseline'] * scale:16.1f} {cells[0]:>14} {cells[1]:>14}", flush=True)
    print(f"above 1{'' if not args.tolerance else f' + {args.tolerance}'}: "
          + (", ".join(f"{key} {name} {ratio:.4f}" for key, name, ratio in over) or "none"))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
