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
With --timer instructions, `baseline again` counts the baseline's call once more after jit and
auto have run: how far the same work's count moves with the process's state (allocator, caches of
the interpreter), a few hundred instructions on a short call; a ratio above 1.0 by less than that
spread is not a difference the counts can show.

`--skip-long` leaves out, with --timer instructions, the compute-heavy main workloads (a call of
snailtracer is ~0.3 G instructions: minutes under valgrind; their time ratios are 0.25-0.95) and the
two long realworld sessions. Exit status 1 if any ratio is above 1 + `--tolerance` (default 0: every
ratio above 1.0 fails; time ratios repeat to a few percent at best, so read them with that).
"""

from __future__ import annotations

import argparse
import gc
import json
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
    calls = {}
    for name in (*ENGINES, "baseline again"):
        if name == "baseline again":  # the same call once the others have run: the counts' own spread
            call = calls["baseline"]
            for _ in range(args.warm):
                call()
        else:
            call = calls[name] = steady_call(case, name, args.warm, args.warm_seconds)
        gc.collect()
        with counter.measuring():
            before = counter()
            for _ in range(args.calls):
                call()
            counts[name] = (counter() - before) / args.calls
    return counts


def count_one_engine(case, engine: str, args) -> float:
    """Instructions per call of `case` on `engine`, in its steady state."""
    from jitvm.bench.counting import InstructionCounter

    if not _COUNTER:
        _COUNTER.append(InstructionCounter())
    counter = _COUNTER[0]
    call = steady_call(case, engine, args.warm, args.warm_seconds)
    gc.collect()
    with counter.measuring():
        before = counter()
        for _ in range(args.calls):
            call()
        return (counter() - before) / args.calls


def counts_from_processes(args):
    """A `measure` whose counts come from one process per engine (and a second baseline process:
    `baseline again`, the spread between processes), each counting every chosen workload: in one
    process, the engine counted after another pays for the interpreter's inline caches, which the
    other engine's `self` (another class) left specialized for it, until they re-specialize (whose
    backoff outlasts a few hundred calls): jit, counted after the baseline, cost 0.3-0.5% more than
    auto counted after jit, which runs the same Python."""
    import subprocess
    import tempfile

    counts: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        runs = [("baseline", "baseline"), ("jit", "jit"), ("auto", "auto"), ("baseline again", "baseline")]
        passed = [f"--filter={args.filter}", f"--warm={args.warm}", f"--warm-seconds={args.warm_seconds}",
                  f"--calls={args.calls}", *(["--skip-long"] if args.skip_long else [])]
        children = []
        for label, engine in runs:  # two at a time (the machine's cores; counts do not feel the load)
            out = f"{folder}/{label.replace(' ', '_')}.json"
            command = [sys.executable, __file__, "--timer", "instructions", *passed, "--one-engine", engine,
                       "--counts-to", out]
            children.append((label, out, subprocess.Popen(command)))
            if len(children) % 2 == 0:
                for _, _, child in children[-2:]:
                    child.wait()
        for label, out, child in children:
            if child.wait() != 0:
                raise SystemExit(f"the {label} process failed")
            counts[label] = json.loads(Path(out).read_text())
    return lambda case, _args: {label: by_case[case.key] for label, by_case in counts.items()}


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
    parser.add_argument("--in-one-process", action="store_true",
                        help="--timer instructions: count every engine in this process, one after the other (else "
                             "each engine counts in a process of its own)")
    parser.add_argument("--one-engine", default="", help=argparse.SUPPRESS)  # (a child process: this engine only)
    parser.add_argument("--counts-to", default="", help=argparse.SUPPRESS)  # (where the child writes its counts)
    args = parser.parse_args()
    if args.timer == "instructions":
        sys.path.insert(0, str(Path(__file__).resolve().parent / "realworld"))
        from callgrind_run import rerun_under_callgrind

        if args.one_engine:
            rerun_under_callgrind()
            counts = {case.key: count_one_engine(case, args.one_engine, args) for case in cases(args.filter, args.skip_long)}
            Path(args.counts_to).write_text(json.dumps(counts))
            return 0
        if args.in_one_process:
            rerun_under_callgrind()
            measure = count_instructions
        else:
            measure = counts_from_processes(args)
    else:
        measure = time_side_by_side
    unit = "k instr" if args.timer == "instructions" else "us"
    scale = 1e-3 if args.timer == "instructions" else 1e6
    print(f"{'workload':44} {'baseline ' + unit:>16} {'jit/baseline':>14} {'auto/baseline':>14}"
          + (f" {'baseline again':>14}" if args.timer == "instructions" else ""), flush=True)
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
        again = (f" {values['baseline again'] / values['baseline']:14.4f}" if "baseline again" in values else "")
        print(f"{case.key:44} {values['baseline'] * scale:16.1f} {cells[0]:>14} {cells[1]:>14}{again}", flush=True)
    print(f"above 1{'' if not args.tolerance else f' + {args.tolerance}'}: "
          + (", ".join(f"{key} {name} {ratio:.4f}" for key, name, ratio in over) or "none"))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
