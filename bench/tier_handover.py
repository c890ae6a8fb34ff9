"""Which tier each call of a bundled workload runs on `jit`, and its time, with the code compiled in
this process (the object cache off, as on a fresh machine): for checking that a code of few, long
frames moves to its OPTIMIZED tier as soon as that is compiled (docs/jit-snailtracer.md).

    python bench/tier_handover.py [snailtracer] [--calls 12] [--settle-after 3]

Each line: the call, its process CPU time, the code's state and the tier the call ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1])]
os.environ.setdefault("JITVM_DISABLE_CACHE", "1")

FIXTURES = Path(__file__).resolve().parents[1] / "jitvm" / "bench" / "data" / "evm" / "benchmarks"


def main() -> None:
    from jitvm.evm.calls import call_code
    from jitvm.evm.engines import get_engine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", nargs="?", default="snailtracer")
    parser.add_argument("--calls", type=int, default=12)
    parser.add_argument("--settle-after", type=int, default=3, help="call engine.settle() after this many calls")
    args = parser.parse_args()
    fixture = json.loads((FIXTURES / f"{args.workload}.json").read_text())
    code = bytes.fromhex(fixture["code_hex"].removeprefix("0x"))
    calldata = bytes.fromhex(fixture["inputs"][0]["calldata_hex"].removeprefix("0x"))
    engine = get_engine("jit")
    for call in range(args.calls):
        started = time.process_time()
        call_code(code, calldata, gas=2**40, engine=engine)
        spent = time.process_time() - started
        heat = engine._latest.get(code)
        running = heat.code() if heat is not None else None
        print(f"call {call:3d} {spent * 1e3:9.1f} ms  {getattr(heat, 'state', None)}  {getattr(running, 'tier', None)}")
        if call + 1 == args.settle_after:
            engine.settle()
            print("settled (the OPTIMIZED tier is compiled and installed)")


if __name__ == "__main__":
    main()
