"""A callgrind profile of calls of one bundled benchmark workload on one engine, in its steady
state, for callgrind_annotate (generated code shows as addresses in '???'; the script prints where
the limb helpers and the compiled code's entry live so those can be told apart).

    python bench/workload_profile.py snailtracer --engine jit --out /tmp/snail.cg [--calls 1]
    callgrind_annotate /tmp/snail.cg | head -40

The code is compiled (both tiers) natively first, into `--cache` (default: a folder in /tmp that
is kept, so a second run only loads), and the run under valgrind loads it from there: compiling
under valgrind would take minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1]), str(Path(__file__).parent / "realworld")]

FIXTURES = Path(__file__).resolve().parents[1] / "jitvm" / "bench" / "data" / "evm" / "benchmarks"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", help="a file name in jitvm/bench/data/evm/benchmarks, e.g. snailtracer")
    parser.add_argument("--input", default=None, help="the input's name (default: the first)")
    parser.add_argument("--engine", default="jit")
    parser.add_argument("--calls", type=int, default=1)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--cache", default="/tmp/jitvm-workload-profile-cache")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    fixture = json.loads((FIXTURES / f"{args.workload}.json").read_text())
    item = next(item for item in fixture["inputs"] if args.input in (None, item["name"]))
    code = bytes.fromhex(fixture["code_hex"].removeprefix("0x"))
    calldata = bytes.fromhex(item["calldata_hex"].removeprefix("0x"))
    from jitvm.bench.counting import OUTPUT_DIR_ENV

    if not os.environ.get(OUTPUT_DIR_ENV):
        _run(args, code, calldata, counted=False)  # fill the cache natively
        from callgrind_run import rerun_under_callgrind

        rerun_under_callgrind(args.out)
    _run(args, code, calldata, counted=True)


def _run(args, code: bytes, calldata: bytes, counted: bool) -> None:
    from jitvm.bench.counting import (
        START_INSTRUMENTATION,
        STOP_INSTRUMENTATION,
        InstructionCounter,
    )
    from jitvm.evm.calls import call_code
    from jitvm.evm.engines import get_engine
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.jit import ObjectCache

    evm_compile.CACHE = ObjectCache(args.cache)
    engine = get_engine(args.engine)
    gas = 2**40
    for _ in range(args.warm):
        call_code(code, calldata, gas=gas, engine=engine)
    if hasattr(engine, "settle"):
        engine.settle()
    call_code(code, calldata, gas=gas, engine=engine)
    if not counted:
        return
    heat = getattr(engine, "_latest", {}).get(code)
    running = heat.code() if heat is not None and heat.state == "compiled" else None
    print(f"the code's state: {getattr(heat, 'state', None)}, tier {getattr(running, 'tier', None)}")
    from jitvm.evm.limbs.cfunc_signatures import HELPER_OPERANDS
    from jitvm.evm.limbs.uint256_cfuncs import runtime_helper

    for name in HELPER_OPERANDS:
        print(f"{name:14} at 0x{runtime_helper(name).address:x}")
    counter = InstructionCounter()
    counter.request(START_INSTRUMENTATION)
    for _ in range(args.calls):
        call_code(code, calldata, gas=gas, engine=engine)
    counter.request(STOP_INSTRUMENTATION)


if __name__ == "__main__":
    main()
