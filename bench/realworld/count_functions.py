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

    total, per_call = instructions_by_function(counter, session.run, args.calls)
    print(f"{args.workload} on {args.engine}: about {total:,.0f} instructions per call")
    print_rows(per_call, args.top)


def print_rows(per_call: list[tuple[float, float, str]], top: int) -> None:
    print(f"{'own':>10}  {'calls':>6}  function")
    for count, times, name in per_call[:top]:
        print(f"{count:10,.0f}  {times:6.1f}  {name}")


def instructions_by_function(counter, function, calls_made: int) -> tuple[float, list[tuple[float, float, str]]]:
    """Instructions per call of `function` (called `calls_made` times) and, per Python or C
    function it ran, (own instructions per call, calls per call, name), most first; the profiling
    hook's own cost per event is measured on an empty function and taken off."""
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
        profile(function, calls_made)
    total = sum(own.values()) - per_event * sum(charged.values())
    rows = sorted((((count - per_event * charged[name]) / calls_made, calls.get(name, 0) / calls_made, name)
                   for name, count in own.items()), reverse=True)
    return total / calls_made, rows


if __name__ == "__main__":
    main()
