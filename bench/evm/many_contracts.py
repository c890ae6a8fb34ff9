"""Many distinct contracts, each called a few times: what a node replaying blocks sees (a script, not a
test: timing never fails CI).

    python bench/evm/many_contracts.py [--contracts 1500] [--calls 3] [--min-size 200]

The contracts are the distinct account codes of the shared GeneralStateTests fixtures (real test
contracts, largest first), each called `--calls` times with 64 bytes of calldata on a fresh state.
Printed per engine: CPU seconds for all calls (process time, so a loaded machine distorts it less),
and the JIT's compile-layer counters. `jit, empty cache` compiles every contract; `jit, warm cache`
is a second layer (as a new process would be) that finds every contract in the disk cache.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[2])]

from jitvm.bench.workloads import find_fixtures  # noqa: E402
from jitvm.evm.calls import call_code  # noqa: E402
from jitvm.evm.engines import get_engine  # noqa: E402
from jitvm.evm.jit import compile as evm_compile  # noqa: E402
from jitvm.evm.jit.engine import HOT_CALLS, HOT_GAS, JitEngine  # noqa: E402
from jitvm.jit import ObjectCache  # noqa: E402
from jitvm.jit.layer import CompileLayer, settle  # noqa: E402



def distinct_codes(count: int, min_size: int) -> list[bytes]:
    codes = set()
    for path in sorted((find_fixtures() / "evm" / "GeneralStateTests").rglob("*.json")):
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for test in document.values():
            for account in (test.get("pre") or {}).values():
                code = bytes.fromhex(account.get("code", "0x")[2:] or "")
                if len(code) >= min_size:
                    codes.add(code)
        if len(codes) >= 4 * count:
            break
    return sorted(codes, key=lambda code: (-len(code), code))[:count]


def run_all(engine, codes: list[bytes], calls: int) -> float:
    calldata = bytes(range(64))
    started = time.process_time()
    for code in codes:
        for _ in range(calls):
            call_code(code, calldata, gas=1_000_000, engine=engine)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=1500)
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--min-size", type=int, default=200, help="smallest code size taken, in bytes")
    options = parser.parse_args()
    codes = distinct_codes(options.contracts, options.min_size)
    sizes = sorted(len(code) for code in codes)
    print(f"{len(codes)} distinct contracts, {sizes[0]}-{sizes[-1]} bytes (median {sizes[len(sizes) // 2]}), "
          f"{options.calls} calls each")
    call_code(codes[0], b"", engine=get_engine("baseline"))  # load the kernel off the clock
    print(f"baseline:          {run_all(get_engine('baseline'), codes, options.calls):7.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        evm_compile.CACHE = ObjectCache(folder)
        for label in ("jit, empty cache", "jit, warm cache"):
            evm_compile.LAYER = CompileLayer(evm_compile.EvmGenerator())
            seconds = run_all(JitEngine(), codes, options.calls)
            stats = evm_compile.LAYER.stats
            print(f"{label + ':':18s} {seconds:7.2f} s  (compiles {stats.compiles}, disk hits {stats.disk_hits}, "
                  f"declined {stats.declined}, compile {stats.compile_seconds:.1f} s, "
                  f"cache load {stats.cache_load_seconds:.2f} s, resident {stats.resident_bytes >> 20} MiB)")
        evm_compile.LAYER = CompileLayer(evm_compile.EvmGenerator())
        seconds = run_all(JitEngine(hot_gas=HOT_GAS, hot_calls=HOT_CALLS, background=True), codes, options.calls)
        settle()
        print(f"auto:              {seconds:7.2f} s  (compiles {evm_compile.LAYER.stats.compiles})")


if __name__ == "__main__":
    main()
