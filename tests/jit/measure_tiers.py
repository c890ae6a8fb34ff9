"""Compile time and speed of the EVM JIT's code with and without the IR pass list, at a backend level
(a script, not a test: timing never fails CI). CPU seconds of this thread, so a loaded machine
distorts it less than wall time.

    python tests/jit/measure_tiers.py [--level 0] [--contracts snailtracer,weierstrudel]

For each contract (its first bundled input): the first call (generate, compile, link; the code stays
on the measured tier) and the best of five later calls, with the passes and without.
"""

import argparse
import sys
import time
from pathlib import Path
from unittest import mock

sys.path[:0] = [str(Path(__file__).parents[2])]

from jitvm.bench.runners import EvmEngineRunner  # noqa: E402
from jitvm.bench.workloads import bundled_cases, find_fixtures  # noqa: E402
from jitvm.evm.jit import compile as evm_compile  # noqa: E402
from jitvm.evm.jit import engine as engine_module  # noqa: E402
from jitvm.evm.jit.engine import JitEngine  # noqa: E402
from jitvm.jit import ObjectCache, compiler, symbols  # noqa: E402
from jitvm.jit.layer import OPTIMIZED, QUICK, CompileLayer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", type=int, default=0, help="backend optimisation level (0-3)")
    parser.add_argument("--contracts", default="snailtracer,weierstrudel,blake2b_huff,blake2b_shifts")
    options = parser.parse_args()
    engine_module.UPGRADE_GAS = engine_module.UPGRADE_CALLS = 1 << 62  # stay on the measured tier
    evm_compile.register_helpers()
    symbols.addresses()  # build every runtime helper now, off the clock
    real_compile = compiler.compile_module
    wanted = options.contracts.split(",")
    first_cases = {}
    for case in bundled_cases(find_fixtures()):
        contract = case.name.split("/")[0]
        if case.kind == "evm" and contract in wanted:
            first_cases.setdefault(contract, case)
    for contract in wanted:
        case = first_cases[contract]
        for passes in (True, False):
            generator = evm_compile.EvmGenerator()
            generator.levels = {QUICK: options.level, OPTIMIZED: options.level + 10}
            evm_compile.LAYER = CompileLayer(generator)
            evm_compile.CACHE = ObjectCache(enabled=False)
            call = EvmEngineRunner("jit", JitEngine()).prepare(case)
            with mock.patch.object(compiler, "compile_module",
                                   lambda ir, passes=passes, **kw: real_compile(ir, **{**kw, "optimize_ir": passes})):
                started = time.thread_time()
                first = call()
                first_seconds = time.thread_time() - started
            assert first.error is None and first.answer == case.expected_output, first
            laps = []
            for _ in range(5):
                started = time.thread_time()
                call()
                laps.append(time.thread_time() - started)
            print(f"{case.name:28s} level {options.level} {'with' if passes else 'without'} passes: "
                  f"first call {first_seconds:5.2f} s, later calls {1e3 * min(laps):8.2f} ms", flush=True)


if __name__ == "__main__":
    main()
