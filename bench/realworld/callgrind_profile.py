"""A callgrind profile (C functions: the interpreter, numpy, the kernel, the collector) of `--calls`
transactions of one realworld session in its steady state (`--warm`), for callgrind_annotate.
Starts itself under valgrind.

    python bench/realworld/callgrind_profile.py proxy/transfer --engine baseline --out /tmp/proxy.cg
    callgrind_annotate --inclusive=yes /tmp/proxy.cg | head -60
"""

from __future__ import annotations

import argparse

from callgrind_run import rerun_under_callgrind  # this script's folder is on sys.path
from jitvm.bench.counting import START_INSTRUMENTATION, STOP_INSTRUMENTATION, InstructionCounter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--engine", default="baseline")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--out", required=True)
    parser.add_argument("--warm", type=int, default=100,
                        help="transactions before the profile, and again after settle() on jit and auto (the steady "
                             "state, as count_instructions.py counts it); 5 profiles a session's start")
    args = parser.parse_args()
    rerun_under_callgrind(args.out)

    from jitvm.bench.realworld import _session

    counter = InstructionCounter()
    session = _session(args.workload, args.engine)
    for _ in range(args.warm):
        session.run()
    if args.engine in ("jit", "auto"):  # every tier compiled and every review done before the profile
        from jitvm.evm.engines import get_engine

        get_engine(args.engine).settle()
        for _ in range(args.warm):
            session.run()
    counter.request(START_INSTRUMENTATION)
    for _ in range(args.calls):
        session.run()
    counter.request(STOP_INSTRUMENTATION)


if __name__ == "__main__":
    main()
