"""Where one EVM workload's compile time goes: IR generation, parsing, each IR pass, the backend's
passes (instruction selection, register allocation, ...), per tier, with LLVM's own pass timers.

    python bench/compile_profile.py snailtracer                   # both tiers, the module whole
    python bench/compile_profile.py memory_grow_mstore --tier optimized --top 25

The module is compiled whole on this thread (no split), so the figures are CPU seconds of one
thread; LLVM's timers report user time per pass. A script: timing never fails CI.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1])]


def _code(name: str) -> bytes:
    from jitvm.bench.workloads import bundled_cases, find_fixtures

    for case in bundled_cases(find_fixtures()):
        if case.kind == "evm" and case.name.split("/")[0] == name and hasattr(case, "code"):
            return case.code
    raise SystemExit(f"compile_profile: no bundled EVM workload named {name!r}")


def _top(report: str, count: int) -> list[str]:
    """The `count` heaviest rows of an LLVM timing report (by the first column: user seconds)."""
    rows = []
    for line in report.splitlines():
        match = re.match(r"\s*([0-9.]+)\s+\(\s*[0-9.]+%\)", line)
        if match and not line.rstrip().endswith("Total"):
            rows.append((float(match.group(1)), line.strip()))
    rows.sort(reverse=True)
    return [line for _, line in rows[:count]]


def profile(code: bytes, tier: str, top: int) -> None:
    import llvmlite.binding as llvm

    from jitvm.evm import DEFAULT_FORK
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.jit import compiler
    from jitvm.jit.layer import RUNS_IR_PASSES

    evm_compile.register_helpers()
    started = time.process_time()
    generator = evm_compile.LAYER.generator
    ir = generator.generate((code, DEFAULT_FORK), tier)  # as the layer writes the tier (no counts: all hot)
    pipeline = compiler.LARGE_MODULE_PIPELINE if isinstance(ir, compiler.LargeModuleIr) else \
        compiler.pipeline_for(len(ir), generator.large_module_bytes)
    generated = time.process_time()
    context = llvm.create_context()
    module = compiler.parse(ir, context)
    parsed = time.process_time()
    print(f"{tier}: IR {len(ir) / 1e6:.2f} MB, {ir.count(chr(10) + '  ')} instructions; "
          f"generate {generated - started:.3f} s, parse {parsed - generated:.3f} s")
    machine = compiler.target_machine(evm_compile.LAYER.generator.levels[tier])
    if RUNS_IR_PASSES[tier]:
        compiler._set_pass_options()
        builder = llvm.create_pass_builder(machine, llvm.create_pipeline_tuning_options())
        builder.start_pass_timing()
        compiler._module_pass_manager(pipeline).run(module, builder)
        report = builder.finish_pass_timing()
        optimized = time.process_time()
        print(f"  IR passes {optimized - parsed:.3f} s")
        for line in _top(report, top):
            print("    " + line)
    else:
        optimized = parsed
    llvm.set_time_passes(True)
    machine.emit_object(module)
    report = llvm.report_and_reset_timings()
    llvm.set_time_passes(False)
    print(f"  backend {time.process_time() - optimized:.3f} s")
    for line in _top(report, top):
        print("    " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", help="a bundled EVM contract (snailtracer, memory_grow_mstore, ...)")
    parser.add_argument("--tier", choices=("quick", "optimized", "both"), default="both")
    parser.add_argument("--top", type=int, default=12, help="passes to list per stage")
    options = parser.parse_args()
    code = _code(options.workload)
    for tier in ("quick", "optimized") if options.tier == "both" else (options.tier,):
        profile(code, tier, options.top)


if __name__ == "__main__":
    main()
