"""Compile time of two versions of the EVM code generator side by side (a script for judging a
codegen change on a loaded machine: CPU seconds of this thread, the versions alternated).

    python bench/codegen_ab.py OLD_CODEGEN.py [--workloads snailtracer,memory_grow_mstore] [--rounds 3]

OLD_CODEGEN.py is a copy of jitvm/evm/jit/codegen.py (e.g. `git show main:jitvm/evm/jit/codegen.py`);
the other version is this tree's. Each module is compiled whole at both tiers (QUICK: no IR passes,
backend level 0; OPTIMIZED: the pass list, the EVM's level).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1]), str(Path(__file__).parent)]


def _generate(module, analysis, tier: str) -> str:
    """A codegen module's IR for a tier (a version without tiers ignores it)."""
    import inspect

    if "compact" in inspect.signature(module.generate).parameters:
        return module.generate(analysis, compact=tier == "quick")
    return module.generate(analysis)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the other codegen.py")
    parser.add_argument("--workloads", default="snailtracer,memory_grow_mstore")
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    from compile_profile import _code
    from jitvm.evm import DEFAULT_FORK
    from jitvm.evm.jit import block_analysis, codegen
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.jit import compiler
    from jitvm.jit.layer import OPTIMIZED, QUICK, RUNS_IR_PASSES

    spec = importlib.util.spec_from_file_location("codegen_old", options.old)
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    evm_compile.register_helpers()
    levels = evm_compile.LAYER.generator.levels
    for name in options.workloads.split(","):
        analysis = block_analysis.analyse(_code(name), DEFAULT_FORK)
        texts = {"old": {tier: _generate(old, analysis, tier) for tier in (QUICK, OPTIMIZED)},
                 "new": {tier: _generate(codegen, analysis, tier) for tier in (QUICK, OPTIMIZED)}}
        best = {}
        for _ in range(options.rounds):
            for version, irs in texts.items():
                for tier, ir in irs.items():
                    started = time.thread_time()
                    compiler.compile_module(ir, optimize_ir=RUNS_IR_PASSES[tier], opt_level=levels[tier])
                    seconds = time.thread_time() - started
                    best[version, tier] = min(best.get((version, tier), seconds), seconds)
        for version, irs in texts.items():
            ir = irs[QUICK]
            print(f"{name:24s} {version}: QUICK IR {len(ir) / 1e6:5.2f} MB {ir.count(chr(10) + '  '):7d} instructions; "
                  f"quick {best[version, QUICK]:6.2f} s, optimized {best[version, OPTIMIZED]:6.2f} s CPU", flush=True)


if __name__ == "__main__":
    main()
