"""What a call costs on a new State against a reused one, side by side with pyrevm's fresh and
reused EVM: the calls `jitvm bench` times (jitvm.bench.runners: every timed call gets a State
prepared for it, untimed; pyrevm an EVM), and the same call made again and again on one State.

    python bench/new_state_cost.py [--filter evm/swap_math] [--engines baseline,jit,pyrevm] [--instructions]
    python bench/new_state_cost.py --profile [--engines jit]   # instructions per function, fresh calls

Counts CPU instructions per call under callgrind (`--instructions`, starts itself under valgrind),
else times the best of several interleaved rounds (noisy on a loaded machine: quote the ratios).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "realworld"))
from callgrind_run import rerun_under_callgrind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filter", default="evm/swap_math")
    parser.add_argument("--engines", default="baseline,jit,pyrevm")
    parser.add_argument("--instructions", action="store_true", help="count CPU instructions (callgrind)")
    parser.add_argument("--profile", action="store_true",
                        help="instructions per Python function of the fresh-State calls (callgrind)")
    parser.add_argument("--loops", type=int, default=0, help="calls per round (default 200, 50 counted)")
    args = parser.parse_args()
    if args.instructions or args.profile:
        rerun_under_callgrind()

    from jitvm.bench.runners import make_runner
    from jitvm.bench.workloads import bundled_cases, filter_cases, find_fixtures

    cases = filter_cases(bundled_cases(find_fixtures()), args.filter)
    cases = [case for case in cases if case.kind == "evm" and not hasattr(case, "prepare_on")]
    runners = [make_runner("evm", name) for name in args.engines.split(",")]
    loops = args.loops or (50 if args.instructions else 200)
    measure = _counter() if args.instructions else _timer()
    unit = "instructions" if args.instructions else "us"
    for case in cases:
        for runner in runners:
            call = runner.prepare(case)
            call()  # compiles, loads
            runner.settle()
            for _ in range(3):
                call()
            if args.profile:
                _profile(runner, case, loops)
                continue
            fresh, reused = measure(lambda runner=runner, case=case: [runner.prepare(case) for _ in range(loops)],
                                    call, loops)
            faults = f", {measure.faults:.1f} page faults per fresh call" if hasattr(measure, "faults") else ""
            print(f"{case.name:32} {runner.name:9} fresh State {fresh:12,.1f}  reused {reused:12,.1f} {unit}"
                  f"  (fresh costs {fresh - reused:+,.1f}{faults})", flush=True)


def _counter():
    from jitvm.bench.counting import InstructionCounter

    counter = InstructionCounter()

    def count(prepare_fresh, reused_call, loops):
        results = []
        for _ in range(2):  # the first round warms caches; the second is reported
            calls = prepare_fresh()
            with counter.measuring():
                before = counter()
                for call in calls:
                    call()
                fresh = (counter() - before) / loops
                before = counter()
                for _ in range(loops):
                    reused_call()
                results = [fresh, (counter() - before) / loops]
        return results

    return count


def _timer(rounds: int = 7):
    import gc
    import resource

    def best(prepare_fresh, reused_call, loops):
        fresh = reused = float("inf")
        for _ in range(rounds):
            calls = prepare_fresh()
            gc.disable()
            try:
                faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                started = time.process_time()
                for call in calls:
                    call()
                fresh = min(fresh, (time.process_time() - started) / loops * 1e6)
                best.faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / loops
                started = time.process_time()
                for _ in range(loops):
                    reused_call()
                reused = min(reused, (time.process_time() - started) / loops * 1e6)
            finally:
                gc.enable()
        return fresh, reused

    return best


def _profile(runner, case, loops: int) -> None:
    """Per function: instructions per fresh-State call, per reused-State call, most extra first."""
    from count_functions import instructions_by_function

    from jitvm.bench.counting import InstructionCounter

    counter = _profile.counter = getattr(_profile, "counter", None) or InstructionCounter()
    calls = iter([runner.prepare(case) for _ in range(loops)])
    fresh_total, fresh = instructions_by_function(counter, lambda: next(calls)(), loops)
    reused_total, reused = instructions_by_function(counter, runner.prepare(case), loops)
    print(f"== {case.name} on {runner.name}: about {fresh_total:,.0f} instructions per call on a fresh State, "
          f"{reused_total:,.0f} on a reused one")
    on_reused = {name: count for count, _, name in reused}
    rows = sorted(((count - on_reused.get(name, 0), count, name) for count, _, name in fresh), reverse=True)
    print(f"{'extra':>10}  {'fresh':>10}  function")
    for extra, count, name in rows[:30]:
        print(f"{extra:10,.0f}  {count:10,.0f}  {name}")


if __name__ == "__main__":
    sys.exit(main())
