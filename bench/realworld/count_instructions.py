"""CPU instructions per transaction of the realworld sessions (jitvm engines and pyrevm), counted
by callgrind: unlike times, the counts do not depend on what else the machine runs, so a change can
be judged on a shared machine. Starts itself again under valgrind.

    python bench/realworld/count_instructions.py [--engines baseline,jit] [--filter erc20] [--calls 20]
    python bench/realworld/count_instructions.py --filter call/,erc20/transfer,weth/deposit --skip-long

`--filter` keeps the sessions whose name contains any of its comma-separated parts; `--skip-long`
leaves out the two single-call sessions (the 5,000-transfer call and the block), which take most
of the run.

The counted calls are the steady state (issue 14's bar): each session runs `--warm` transactions
first (default 100), then jit and auto settle() and run `--warm` more, so that auto's codes are
past HOT_CALLS and compiled, and every code's hand-over review (jitvm.evm.jit.engine._review,
after 32 + 4 compiled frames) is done. Until session 15 it ran 3 + 1: jit's counts were then of
codes compiled by settle() but not yet reviewed, and auto's of cold codes counted on their way to
HOT_CALLS (and proxy/transfer's included its background compile). `--warm 3` counts that start.
"""

from __future__ import annotations

import argparse

from callgrind_run import rerun_under_callgrind  # this script's folder is on sys.path
from jitvm.bench.counting import InstructionCounter
from side_by_side import print_geomeans, print_row  # this script's folder is on sys.path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit")
    parser.add_argument("--filter", default="")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument("--warm", type=int, default=100, help="transactions before counting (and again after settle)")
    args = parser.parse_args()
    rerun_under_callgrind()

    from jitvm.bench.realworld import _session, chosen_workloads
    from jitvm.bench.steady import forget_code_memos

    counter = InstructionCounter()
    engines = args.engines.split(",")
    ratios = {engine: [] for engine in engines}
    for name, long in chosen_workloads(args.filter, args.skip_long):
        calls = 1 if long else args.calls
        counts = {}
        for runner in ["pyrevm", *engines]:
            forget_code_memos()  # no engine compares its code with an equal one another session left
            session = _session(name, runner)
            warm = 3 if long else args.warm
            for _ in range(warm):
                session.run()
            if runner in ("jit", "auto"):  # compile every tier now, not while counting
                from jitvm.evm.engines import get_engine

                get_engine(runner).settle()
                for _ in range(1 if long else warm):
                    session.run()
            with counter.measuring():
                before = counter()
                for _ in range(calls):
                    session.run()
                counts[runner] = (counter() - before) / calls
        print_row(name, {runner: count / 1e3 for runner, count in counts.items()}, "k", ratios)
    print_geomeans(ratios)


if __name__ == "__main__":
    main()
