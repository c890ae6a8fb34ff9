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
    InstructionCounter,
    reexec_under_valgrind,
    running_under_counter,
)

WORKLOADS = ("zeros_0xffff", "push1s_0xffff", "push32s_0xffff")


def codes() -> list[tuple[str, bytes]]:
    folder = Path(__file__).resolve().parent.parent / "jitvm/bench/data/evm/benchmarks"
    return [("stop contract", b"\0")] + [
        (name, bytes.fromhex(json.loads((folder / f"{name}.json").read_text())["code_hex"])) for name in WORKLOADS]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit,auto")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--filter", default="", help="only the rows whose name has one of these (comma-separated)")
    args = parser.parse_args()
    if not running_under_counter():
        return reexec_under_valgrind([], script=sys.argv)

    from jitvm.evm.calls import call_code
    from jitvm.evm.engines import AutoEngine, get_engine
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.evm.jit.engine import COLD_STEPS, HOT_CALLS, JitEngine
    from jitvm.jit import ObjectCache

    counter = InstructionCounter()
    make = {"baseline": lambda: get_engine("baseline"), "jit": lambda: JitEngine(cold_steps=COLD_STEPS),
            "auto": lambda: AutoEngine(tier0_gas=0)}
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        evm_compile.CACHE = ObjectCache(folder)
        for name in args.engines.split(","):
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
                with counter.measuring():
                    before = counter()
                    for _ in range(args.calls):
                        call_code(code, b"", engine=engine)
                    rows.setdefault(label, {})[name] = (counter() - before) / args.calls
    for label, row in rows.items():
        base = row.get("baseline")
        cells = [f"{name} {count / 1e3:7.2f}k" + ("" if base is None or name == "baseline"
                                                   else f" ({count - base:+6.0f}, {count / base:.3f}x)")
                 for name, count in row.items()]
        print(f"{label:16s} " + "   ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
