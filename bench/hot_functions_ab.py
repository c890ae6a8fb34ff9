"""Steady state of the OPTIMIZED tier that optimizes only hot functions against the one that optimizes
all of them, side by side in one process (a script for a loaded machine: the versions alternate,
CPU time of the process per call, and the compile CPU of each).

    python bench/hot_functions_ab.py [--workloads snailtracer,weierstrudel,blake2b_huff] [--rounds 4]

Each workload's code is compiled at the QUICK tier through the compile layer and called once (its
functions count their instructions), then built at the OPTIMIZED tier twice: with
jitvm.evm.jit.compile.HOT_SHARE as it is (only hot functions optimized) and with every function
optimized; the baseline engine runs the same call in the same rounds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="snailtracer,weierstrudel,blake2b_huff")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--calls", type=int, default=5)
    options = parser.parse_args()
    os.environ["JITVM_DISABLE_CACHE"] = "1"
    os.environ["JITVM_JIT_UPGRADE_GAS"] = os.environ["JITVM_JIT_UPGRADE_CALLS"] = str(1 << 60)  # upgrades: here only
    from jitvm.bench.runners import make_runner
    from jitvm.bench.workloads import bundled_cases, find_fixtures
    from jitvm.evm import DEFAULT_FORK
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.jit.compiler import MixedTierIr
    from jitvm.jit.layer import OPTIMIZED, QUICK, generated

    evm_compile.register_helpers()
    jit, baseline = make_runner("evm", "jit"), make_runner("evm", "baseline")
    layer = evm_compile.LAYER
    cases = {case.name.split("/")[0]: case for case in bundled_cases(find_fixtures()) if case.kind == "evm"}
    for name in options.workloads.split(","):
        case = cases[name]
        subject = (case.code, DEFAULT_FORK)
        layer.install(subject, layer.build(subject, layer._cache(None), QUICK))
        run_jit, run_baseline = jit.prepare(case), baseline.prepare(case)
        run_jit()
        quick = layer.entry(subject)
        ir = generated(layer.generator, subject, OPTIMIZED)
        cold = len(ir.quick_functions) if isinstance(ir, MixedTierIr) else 0
        builds, compile_cpu = {}, {}
        for label, share in (("hot only", evm_compile.HOT_SHARE), ("all", 2.0)):
            saved, evm_compile.HOT_SHARE = evm_compile.HOT_SHARE, share
            layer.install(subject, quick)  # the profile the OPTIMIZED tier reads
            started = time.process_time()
            builds[label] = layer.build(subject, layer._cache(None), OPTIMIZED)
            compile_cpu[label] = time.process_time() - started
            evm_compile.HOT_SHARE = saved
        best = {label: float("inf") for label in (*builds, "baseline")}
        for _ in range(options.rounds):
            for label in best:
                if label != "baseline":
                    layer.install(subject, builds[label])
                call = run_baseline if label == "baseline" else run_jit
                call()
                started = time.process_time()
                for _ in range(options.calls):
                    call()
                best[label] = min(best[label], (time.process_time() - started) / options.calls)
        layer.forget()
        print(f"{name}: {cold} functions left QUICK; OPTIMIZED compile CPU hot only {compile_cpu['hot only']:.2f} s, "
              f"all {compile_cpu['all']:.2f} s; best ms per call: hot only {best['hot only'] * 1e3:.3f}, "
              f"all {best['all'] * 1e3:.3f} ({best['hot only'] / best['all']:.3f}x), "
              f"baseline {best['baseline'] * 1e3:.3f}", flush=True)


if __name__ == "__main__":
    main()
