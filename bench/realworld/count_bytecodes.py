"""Python bytecodes a realworld workload's transaction runs, per function and per line (a
sys.settrace opcode hook; exact, and independent of the machine's load). Bytecodes are not
instructions (a call into C counts as one), but they show where the interpreter's share goes.

    python bench/realworld/count_bytecodes.py call/stop_contract [--engine baseline] [--lines 40]
"""

from __future__ import annotations

import argparse
import collections
import sys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--engine", default="baseline")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--lines", type=int, default=40, help="how many of the costliest lines to show")
    args = parser.parse_args()

    from jitvm.bench.realworld import _session

    session = _session(args.workload, args.engine)
    for _ in range(5):
        session.run()
    per_line: collections.Counter = collections.Counter()
    per_function: collections.Counter = collections.Counter()

    def trace(frame, event, _arg):
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            per_line[(code.co_filename, frame.f_lineno, code.co_qualname)] += 1
            per_function[(code.co_filename, code.co_qualname)] += 1
        return trace

    sys.settrace(trace)
    try:
        for _ in range(args.runs):
            session.run()
    finally:
        sys.settrace(None)
    runs = args.runs * len(session.calls) if hasattr(session, "calls") else args.runs
    print(f"bytecodes per run: {sum(per_function.values()) / args.runs:.0f}")
    for (filename, name), count in per_function.most_common(25):
        print(f"{count / args.runs:8.1f}  {name}  ({filename.rsplit('/', 1)[-1]})")
    print()
    for (filename, line, name), count in per_line.most_common(args.lines):
        print(f"{count / args.runs:8.1f}  {filename.rsplit('/', 1)[-1]}:{line}  {name}")


if __name__ == "__main__":
    main()
