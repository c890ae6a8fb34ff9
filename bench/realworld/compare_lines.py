"""Which Python lines one engine runs more often than the baseline in the steady state of a
realworld session: every line event (sys.settrace) per file, function and line, counted over
`--calls` transactions on each engine and compared. Exact counts of Python work, with no valgrind:
what a CPU-instruction gap of a few hundred a transaction (count_instructions.py) is made of,
where callgrind shows only that the eval loop ran more (the kernel and compiled code raise no
line events).

    python bench/realworld/compare_lines.py weth/deposit [--engines baseline,jit,auto] [--calls 50]

Sessions are warmed as count_instructions.py warms them, and the code memos are forgotten before
each engine's session (jitvm.bench.steady.forget_code_memos).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--engines", default="baseline,jit,auto")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--warm", type=int, default=100)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    from jitvm.bench.realworld import _session
    from jitvm.bench.steady import forget_code_memos
    from jitvm.evm.engines import get_engine

    engines = args.engines.split(",")
    counts: dict[str, Counter] = {}
    for engine in engines:
        forget_code_memos()
        session = _session(args.workload, engine)
        for _ in range(args.warm):
            session.run()
        if engine in ("jit", "auto"):
            get_engine(engine).settle()
            for _ in range(args.warm):
                session.run()
        counts[engine] = lines_run(session.run, args.calls)
    base = engines[0]
    for engine in engines[1:]:
        difference = Counter(counts[engine])
        difference.subtract(counts[base])
        rows = sorted(((count, line) for line, count in difference.items() if count), key=lambda row: -abs(row[0]))
        total = sum(counts[engine].values()) - sum(counts[base].values())
        print(f"{args.workload}: {engine} - {base}: {total / args.calls:+.2f} Python lines per transaction")
        for count, line in rows[:args.top]:
            print(f"  {count / args.calls:+8.2f}  {line}")


def lines_run(function, calls: int) -> Counter:
    """Line events per 'file:line function' over `calls` calls of `function`."""
    counts: Counter = Counter()

    def tracer(frame, event, arg):
        if event == "line":
            code = frame.f_code
            counts[f"{code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno} {code.co_name}"] += 1
        return tracer

    sys.settrace(tracer)
    try:
        for _ in range(calls):
            function()
    finally:
        sys.settrace(None)
    return counts


if __name__ == "__main__":
    main()
