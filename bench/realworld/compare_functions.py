"""Where one engine's steady-state transaction costs more than the baseline's: CPU instructions
(callgrind) per Python or C function, for the same realworld session on each engine, side by side,
the functions that differ most first. Starts itself under valgrind.

    python bench/realworld/compare_functions.py weth/deposit [--engines baseline,jit,auto] [--calls 3]

Each engine's session is warmed as count_instructions.py warms it (`--warm` transactions, settle()
on jit and auto, `--warm` more), so the profile is of the steady state: compiled codes reviewed,
auto's codes past HOT_CALLS. Between engines the process forgets its code and calldata memos
(forget_code_memos), so that no engine's lookups compare its code with an equal code object
another engine's session left as the memo's key (a 64 KB code costs a memcmp per lookup: about
10k instructions a frame on zeros_0xffff). The profiler's counts are close to, not exactly, what
each function costs (count_functions.py); what one engine runs and the baseline does not is what
to read.
"""

from __future__ import annotations

import argparse

from callgrind_run import rerun_under_callgrind  # this script's folder is on sys.path
from count_functions import instructions_by_function
from jitvm.bench.counting import InstructionCounter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--engines", default="baseline,jit,auto")
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--warm", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    rerun_under_callgrind()

    from jitvm.bench.realworld import _session
    from jitvm.bench.steady import forget_code_memos
    from jitvm.evm.engines import get_engine

    counter = InstructionCounter()
    engines = args.engines.split(",")
    totals, profiles = {}, {}
    for engine in engines:
        forget_code_memos()
        session = _session(args.workload, engine)
        for _ in range(args.warm):
            session.run()
        if engine in ("jit", "auto"):
            get_engine(engine).settle()
            for _ in range(args.warm):
                session.run()
        totals[engine], profiles[engine] = instructions_by_function(counter, session.run, args.calls)
    base = engines[0]
    for engine in engines[1:]:
        print(f"{args.workload}: {engine} {totals[engine]:,.0f} - {base} {totals[base]:,.0f} = "
              f"{totals[engine] - totals[base]:+,.0f} instructions per transaction (profiled)")
        print_differences(profiles[base], profiles[engine], base, engine, args.top)


def print_differences(base: list, other: list, base_name: str, engine: str, top: int) -> None:
    """The `top` functions whose own instructions per call differ most between `engine` and `base_name`."""
    own = {name: (count, times) for count, times, name in base}
    mine = {name: (count, times) for count, times, name in other}
    rows = sorted(((mine.get(name, (0, 0))[0] - own.get(name, (0, 0))[0], name) for name in set(own) | set(mine)),
                  key=lambda row: -abs(row[0]))
    print(f"  {'difference':>10}  calls ({base_name} / {engine})  function")
    for difference, name in rows[:top]:
        print(f"  {difference:+10,.0f}  {own.get(name, (0, 0))[1]:6.1f} / {mine.get(name, (0, 0))[1]:6.1f}  {name}")


if __name__ == "__main__":
    main()
