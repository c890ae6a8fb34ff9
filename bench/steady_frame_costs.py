"""CPU instructions per call of a code each engine runs in its steady state, counted by callgrind
(starts itself again under valgrind): issue 14's bar is that neither `jit` nor `auto` costs more
than the baseline on any of them.

    python bench/steady_frame_costs.py [--engines baseline,jit,auto] [--calls 20] [--filter stop,zeros]

Rows: a STOP contract; zeros_0xffff (64 KB of STOP; `codegen.worth_compiling` declines it, so the
JIT engines run it on the baseline kernel), push1s_0xffff and push32s_0xffff (64 KB that start
with STOP; compiled). Each code is called HOT_CALLS + 16 times (so that `auto` compiles what it
would compile), the engine settles (the OPTIMIZED tier is linked), and then `--calls` calls are
counted. The object cache is a private temporary folder.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
from pathlib import Path

from jitvm.bench.counting import (
    START_INSTRUMENTATION,
    STOP_INSTRUMENTATION,
    InstructionCounter,
    reexec_under_valgrind,
    running_under_counter,
)

WORKLOADS = ("zeros_0xffff", "push1s_0xffff", "push32s_0xffff")


def codes() -> list[tuple[str, bytes]]:
    folder = Path(__file__).resolve().parent.parent / "jitvm/bench/data/evm/benchmarks"
    return [("stop contract", b"\0")] + [
        (name, bytes.fromhex(json.loads((folder / f"{name}.json").read_text())["code_hex"])) for name in WORKLOADS]


def print_differences(base: list, other: list, engine: str, top: int) -> None:
    """The `top` functions whose own instructions per call differ most between `engine` and the baseline."""
    own = {name: (count, times) for count, times, name in base}
    mine = {name: (count, times) for count, times, name in other}
    rows = sorted(((mine.get(name, (0, 0))[0] - own.get(name, (0, 0))[0], name) for name in set(own) | set(mine)),
                  key=lambda row: -abs(row[0]))
    print(f"  {engine} - baseline, own instructions per call (calls per call: baseline / {engine}):")
    for difference, name in rows[:top]:
        print(f"  {difference:+9,.0f}  {own.get(name, (0, 0))[1]:5.1f} / {mine.get(name, (0, 0))[1]:5.1f}  {name}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit,auto")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--filter", default="", help="only the rows whose name has one of these (comma-separated)")
    parser.add_argument("--functions", type=int, default=0,
                        help="also print, per row, the N Python/C functions whose own instructions per call differ "
                             "most between each engine and the baseline (count_functions.py's profiler)")
    parser.add_argument("--profile", default="",
                        help="write a callgrind profile of the counted calls to this file instead of counting (one "
                             "engine and one row; compare two with bench/realworld/diff_profiles.py)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent / "realworld"))
    if args.profile:
        from callgrind_run import rerun_under_callgrind

        rerun_under_callgrind(args.profile)
    elif not running_under_counter():
        return reexec_under_valgrind([], script=sys.argv)
    from count_functions import instructions_by_function

    from jitvm.evm.calls import call_code
    from jitvm.evm.engines import AutoEngine, get_engine
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.evm.jit.engine import COLD_STEPS, HOT_CALLS, JitEngine
    from jitvm.jit import ObjectCache
    from jitvm.bench.steady import forget_code_memos

    counter = InstructionCounter()
    make = {"baseline": lambda: get_engine("baseline"), "jit": lambda: JitEngine(cold_steps=COLD_STEPS),
            "auto": lambda: AutoEngine(tier0_gas=0)}
    rows: dict[str, dict[str, float]] = {}
    profiles: dict[str, dict[str, list]] = {}
    with tempfile.TemporaryDirectory() as folder:
        evm_compile.CACHE = ObjectCache(folder)
        for name in args.engines.split(","):
            forget_code_memos()  # (jitvm.bench.steady: else later engines compare 64 KB of code per lookup)
            engine = make[name]()
            for label, code in codes():
                if args.filter and not any(part in label for part in args.filter.split(",")):
                    continue
                for _ in range(HOT_CALLS + 16):
                    call_code(code, b"", engine=engine)
                if name != "baseline":
                    engine.settle()
                for _ in range(5):
                    call_code(code, b"", engine=engine)
                gc.collect()
                gc.freeze()  # a full collection must not land in one engine's count by chance
                if args.profile:
                    counter.request(START_INSTRUMENTATION)
                    for _ in range(args.calls):
                        call_code(code, b"", engine=engine)
                    counter.request(STOP_INSTRUMENTATION)
                    continue
                with counter.measuring():
                    before = counter()
                    for _ in range(args.calls):
                        call_code(code, b"", engine=engine)
                    rows.setdefault(label, {})[name] = (counter() - before) / args.calls
                if args.functions:
                    profiles.setdefault(label, {})[name] = instructions_by_function(
                        counter, lambda: call_code(code, b"", engine=engine), min(args.calls, 3))[1]
    for label, row in rows.items():
        base = row.get("baseline")
        cells = [f"{name} {count / 1e3:7.2f}k" + ("" if base is None or name == "baseline"
                                                   else f" ({count - base:+6.0f}, {count / base:.3f}x)")
                 for name, count in row.items()]
        print(f"{label:16s} " + "   ".join(cells), flush=True)
        for name, per_call in profiles.get(label, {}).items():
            if name != "baseline" and "baseline" in profiles[label]:
                print_differences(profiles[label]["baseline"], per_call, name, args.functions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
