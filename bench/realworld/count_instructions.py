"""CPU instructions per transaction of the realworld sessions (jitvm engines and pyrevm), counted
by callgrind: unlike times, the counts do not depend on what else the machine runs, so a change can
be judged on a shared machine. Starts itself again under valgrind.

    python bench/realworld/count_instructions.py [--engines baseline,jit] [--filter erc20] [--calls 20]
    python bench/realworld/count_instructions.py --filter call/,erc20/transfer,weth/deposit --skip-long

`--filter` keeps the sessions whose name contains any of its comma-separated parts; `--skip-long`
leaves out the two single-call sessions (the 5,000-transfer call and the block), which take most
of the run.
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
    args = parser.parse_args()
    rerun_under_callgrind()

    from jitvm.bench.realworld import _session, chosen_workloads

    counter = InstructionCounter()
    engines = args.engines.split(",")
    ratios = {engine: [] for engine in engines}
    for name, long in chosen_workloads(args.filter, args.skip_long):
        calls = 1 if long else args.calls
        counts = {}
        for runner in ["pyrevm", *engines]:
            session = _session(name, runner)
            for _ in range(3):
                session.run()
            if runner in ("jit", "auto"):  # compile every tier now, not while counting
                from jitvm.evm.engines import get_engine

                get_engine(runner).settle()
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
