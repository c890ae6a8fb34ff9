"""CPU instructions (callgrind) per Python function of one realworld transaction: a deterministic
profiler whose clock is the instruction counter. Every call and return (Python and C functions)
reads the counter, and the instructions since the last reading go to the function on top of the
stack (its own instructions, not its callees'). Starts itself under valgrind.

    python bench/realworld/count_functions.py erc20/transfer --engine baseline [--calls 5]

Reading the counter is not counted, but the profiling hook's own few hundred instructions per
event are: the script measures them on an empty function and takes them off every event, so the
figures are close to, not exactly, what each function costs without the profiler.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

from callgrind_run import rerun_under_callgrind  # this script's folder is on sys.path
from jitvm.bench.counting import InstructionCounter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("--engine", default="baseline")
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    rerun_under_callgrind()

    from jitvm.bench.realworld import _session

    counter = InstructionCounter()
    session = _session(args.workload, args.engine)
    for _ in range(5):
        session.run()
    if args.engine in ("jit", "auto"):
        from jitvm.evm.engines import get_engine

        get_engine(args.engine).settle()
        session.run()

    own: dict[str, float] = defaultdict(float)  # instructions each function ran itself
    charged: dict[str, int] = defaultdict(int)  # events whose hook cost went to each function
    calls: dict[str, int] = defaultdict(int)
    stack: list[str] = ["(outside)"]
    last = [0]

    def hook(frame, event, arg):
        now = counter()
        top = stack[-1]
        own[top] += now - last[0]
        charged[top] += 1
        if event == "call" or event == "c_call":
            if event == "c_call":
                name = f"{getattr(arg, '__qualname__', arg)} (C)"
            else:
                code = frame.f_code
                name = f"{code.co_qualname} ({code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno})"
            calls[name] += 1
            stack.append(name)
        elif len(stack) > 1:
            stack.pop()
        last[0] = counter()

    def empty():
        pass

    def profile(function, times: int) -> None:
        own.clear(), charged.clear(), calls.clear()
        del stack[1:]
        last[0] = counter()
        sys.setprofile(hook)
        for _ in range(times):
            function()
        sys.setprofile(None)

    with counter.measuring():
        profile(empty, 200)  # the hook's own cost per event: all an empty function's calls cost
        per_event = sum(own.values()) / sum(charged.values())
        profile(session.run, args.calls)
    total = sum(own.values()) - per_event * sum(charged.values())
    print(f"{args.workload} on {args.engine}: about {total / args.calls:,.0f} instructions per call "
          f"({per_event:.0f} per profiler event taken off)")
    print(f"{'own':>10}  {'calls':>6}  function")
    rows = sorted(((count - per_event * charged[name]) / args.calls, name) for name, count in own.items())
    for count, name in reversed(rows[-args.top:]):
        print(f"{count:10,.0f}  {calls.get(name, 0) / args.calls:6.1f}  {name}")

if __name__ == "__main__":
    main()
