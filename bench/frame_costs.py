"""CPU instructions per call that each engine's Python around a frame costs, counted by callgrind (so
the figures do not depend on the machine's load). Starts itself again under valgrind.

    python bench/frame_costs.py [--engines baseline,jit,auto] [--contracts 40]
    python bench/frame_costs.py --realworld weth          # the realworld transactions matching "weth"
    python bench/frame_costs.py --contracts 100 --collector-off   # without the collector's share

Rows, per engine, in instructions per call and as the difference to the baseline's:
- `new code, call 1/2/3`: the calls of the many_contracts stream (jitvm.bench.many_contracts), each
  contract new to the engine at its first call: what a node replaying blocks pays per contract
  (but for the JUMPDEST analysis, which every engine shares and which is done before counting);
- `stop contract`: a STOP contract called again and again (the frame's bookkeeping alone);
- `same contract`: one of the stream's contracts called again and again (cold on `jit` until its
  instructions reach load_steps: nothing is compiled here, the object cache is private and empty);
- with `--realworld FILTER`, instead: each jitvm.bench.realworld transaction whose name has FILTER,
  after `settle()` (compiled on `jit`; on `auto` a code is compiled after HOT_CALLS frames, so
  `--calls` past that shows its compiled steady state).

Unlike bench/realworld/count_instructions.py, the collector is emptied and frozen before each
count, so that a full collection does not land in one engine's count by chance.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile

from jitvm.bench.counting import InstructionCounter, reexec_under_valgrind, running_under_counter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit,auto")
    parser.add_argument("--contracts", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=50,
                        help="calls of the same contract (stay below auto's HOT_CALLS, 64: no compile counted)")
    parser.add_argument("--collector-off", action="store_true",
                        help="no cyclic garbage collection while counting (the frames' own work alone)")
    parser.add_argument("--realworld", help="count the realworld transactions whose name has this instead")
    parser.add_argument("--calls", type=int, default=100, help="(--realworld) transactions counted")
    args = parser.parse_args()
    if not running_under_counter():
        sys.exit(reexec_under_valgrind([], script=sys.argv))
    if args.realworld is not None:
        return count_realworld(args.realworld, args.engines.split(","), args.calls)

    from jitvm.bench.many_contracts import GAS, workload
    from jitvm.evm.baseline import layout
    from jitvm.evm.calls import call_code
    from jitvm.evm.engines import AutoEngine, get_engine
    from jitvm.evm.jumpdests import jump_destinations
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.evm.jit.engine import COLD_STEPS, JitEngine
    from jitvm.jit import ObjectCache

    counter = InstructionCounter()
    contracts = workload(args.contracts, 3, seed=7)
    spare = workload(2, 1, seed=8)
    make = {"baseline": lambda: get_engine("baseline"), "jit": lambda: JitEngine(cold_steps=COLD_STEPS),
            "auto": lambda: AutoEngine(tier0_gas=0)}
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        evm_compile.CACHE = ObjectCache(folder)
        evm_compile.LAYER.generator_digest()  # computed once per process: off the count
        engines = {name: make[name]() for name in args.engines.split(",")}
        for engine in engines.values():  # every engine's first frames (imports, buffers, a cache miss): off the count
            for code, calldata in ((spare[0][0], spare[0][1][0]), (b"\0\0", b""), (spare[1][0], spare[1][1][0])):
                for _ in range(20):
                    call_code(code, calldata, gas=GAS, engine=engine)
        for code, _ in contracts:  # the JUMPDEST analysis, which every engine shares, is done once, off the count
            jump_destinations(code)
        if args.collector_off:
            gc.disable()
        for name, engine in engines.items():
            for memo in (layout.code_rows, layout.code_rows_at, layout.calldata_at):
                memo.cache_clear()
            counts = [0, 0, 0]
            _quiet_collector()
            with counter.measuring():
                for code, calldatas in contracts:
                    for index, calldata in enumerate(calldatas):
                        before = counter()
                        call_code(code, calldata, gas=GAS, engine=engine)
                        counts[index] += counter() - before
            row = {f"new code, call {index + 1}": count / len(contracts) for index, count in enumerate(counts)}
            for label, code, calldata in (("stop contract", b"\0", b""),
                                          ("same contract", contracts[0][0], contracts[0][1][0])):
                for _ in range(3):
                    call_code(code, calldata, gas=GAS, engine=engine)
                _quiet_collector()
                with counter.measuring():
                    before = counter()
                    for _ in range(args.repeat):
                        call_code(code, calldata, gas=GAS, engine=engine)
                    row[label] = (counter() - before) / args.repeat
            rows[name] = row
    base = rows.get("baseline")
    for label in next(iter(rows.values())):
        cells = []
        for name, row in rows.items():
            cell = f"{name} {row[label] / 1e3:8.2f}k"
            if base is not None and name != "baseline":
                cell += f" ({row[label] - base[label]:+7.0f})"
            cells.append(cell)
        print(f"{label:20s} " + "   ".join(cells), flush=True)


def count_realworld(pattern: str, engines: list[str], calls: int) -> None:
    from jitvm.bench.realworld import WORKLOAD_NAMES, _session
    from jitvm.evm.engines import get_engine

    counter = InstructionCounter()
    for name in WORKLOAD_NAMES:
        if pattern not in name or "5000" in name or "block" in name:
            continue
        counts = {}
        for engine in engines:
            session = _session(name, engine)
            for _ in range(3):
                session.run()
            if engine != "baseline":
                get_engine(engine).settle()
            for _ in range(3):
                session.run()
            _quiet_collector()
            with counter.measuring():
                before = counter()
                for _ in range(calls):
                    session.run()
                counts[engine] = (counter() - before) / calls
        base = counts.get("baseline")
        cells = [f"{engine} {count / 1e3:8.2f}k" + ("" if base is None or engine == "baseline"
                                                      else f" ({count - base:+6.0f})")
                 for engine, count in counts.items()]
        print(f"{name:22s} " + "   ".join(cells), flush=True)


def _quiet_collector() -> None:
    """Collect now and move what is alive out of the collector's sight, so that a full collection
    of the whole heap does not land in one engine's count by chance (the young generation's
    collections, which the frames' own allocations cause, still count)."""
    gc.collect()
    gc.freeze()


if __name__ == "__main__":
    main()
