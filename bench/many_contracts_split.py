"""Where the many_contracts stream's extra CPU instructions over the baseline go: the same run as
`python -m jitvm.bench.many_contracts --contracts N --instructions` (fresh engines, collector on,
nothing prewarmed), but counted per call and summed by the call's place in the stream (its first
calls, the rest) and by its index within its contract (call 1, 2, 3). Starts itself under valgrind.

    python bench/many_contracts_split.py [--contracts 300] [--engines baseline,jit,auto]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile

from jitvm.bench.counting import InstructionCounter, reexec_under_valgrind, running_under_counter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=300)
    parser.add_argument("--engines", default="baseline,jit,auto",
                        help="of baseline, fresh baseline (a new BaselineEngine), jit, auto; baseline first")
    parser.add_argument("--quiet-collector", action="store_true",
                        help="collect and freeze the heap before each engine's run: no full collection of "
                             "what the process holds lands in one engine's count by chance")
    args = parser.parse_args()
    if not running_under_counter():
        sys.exit(reexec_under_valgrind([], script=sys.argv))

    from jitvm.bench.many_contracts import GAS, workload
    from jitvm.evm.baseline import layout
    from jitvm.evm.calls import call_code
    from jitvm.evm.engines import get_engine
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.evm.jit.engine import COLD_STEPS, HOT_CALLS, HOT_GAS, JitEngine
    from jitvm.jit import ObjectCache
    from jitvm.jit.layer import CompileLayer

    counter = InstructionCounter()
    contracts = workload(args.contracts, 3)
    baseline = get_engine("baseline")
    for _ in range(2):  # the process's first passes, off the count (as many_contracts does)
        for code, calldatas in contracts:
            for calldata in calldatas:
                call_code(code, calldata, gas=GAS, engine=baseline)
    from jitvm.evm.baseline.engine import BaselineEngine

    make = {"baseline": lambda: baseline, "fresh baseline": BaselineEngine, "jit": lambda: JitEngine(cold_steps=COLD_STEPS),
            "auto": lambda: JitEngine(hot_gas=HOT_GAS, hot_calls=HOT_CALLS, background=True)}
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        evm_compile.CACHE = ObjectCache(folder)
        for name in args.engines.split(","):
            evm_compile.LAYER = CompileLayer(evm_compile.EvmGenerator())
            engine = make[name]()
            for memo in (layout.code_rows, layout.code_rows_at, layout.calldata_at):
                memo.cache_clear()
            counts = []
            if args.quiet_collector:  # (bench/frame_costs.py's _quiet_collector)
                gc.collect()
                gc.freeze()
            with counter.measuring():
                for code, calldatas in contracts:
                    for calldata in calldatas:
                        before = counter()
                        call_code(code, calldata, gas=GAS, engine=engine)
                        counts.append(counter() - before)
            rows[name] = counts
    base = rows["baseline"]
    spans = {"calls 1-30": slice(0, 30), "calls 31-": slice(30, None), "all": slice(None)}
    for name, counts in rows.items():
        cells = []
        for label, span in spans.items():
            extra = sum(counts[span]) - sum(base[span])
            cells.append(f"{label} {extra / 1e3:+9.1f}k total")
        for index in range(3):
            extra = sum(counts[index::3]) - sum(base[index::3])
            cells.append(f"call {index + 1} {extra / len(counts[index::3]):+7.0f}/call")
        print(f"{name:14s} {sum(counts) / len(counts) / 1e3:7.1f}k/call  " + "  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
