"""Where the CPU time of one BPF QUICK region goes: IR generation, parsing, the backend, per thread count.

    python bench/bpf_quick_region.py                  # Memo's and SPL Token's first QUICK region of svm/mixed
    python bench/bpf_quick_region.py --repeat 7
    python bench/bpf_quick_region.py --lock-wait      # a tiny LLVM call's wait while another thread compiles Memo

The regions are the ones `jitvm bench` compiles first (the blocks one svm/mixed cycle reaches, as
bench/bpf_compile_times.py runs it). Each is then generated and compiled `--repeat` times in this
process, the median of CPU seconds (time.process_time: every thread of the process) reported for:
generating the IR, and compiling it at the QUICK tier whole (1 thread) and split in 2 and 4 (as
jitvm.jit.compiler.compile_objects does for a module over its split size). Side by side in one
process, so the ratios hold on a loaded machine.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1])]
os.environ.setdefault("JITVM_DISABLE_CACHE", "1")


def first_quick_regions():
    """(program name, program, block starts) of each program's first QUICK region in svm/mixed."""
    from bpf_compile_times import PROGRAM_NAMES

    from jitvm.bench.runners import make_runner
    from jitvm.bench.svm_cases import svm_cases
    from jitvm.bpf.jit import compile as bpf_compile

    case = next(case for case in svm_cases() if case.name == "mixed")
    bpf_compile.forget()
    runner = make_runner(case.kind, "jit")
    runner.prepare(case)()
    regions = []
    for code in bpf_compile.programs():
        name = PROGRAM_NAMES.get(code.program.source)
        if name is None or not code.held:
            continue
        first = code.held[0]
        starts = tuple(sorted(start for _, starts in first.functions for start in starts))
        regions.append((name, code.program, starts))
    return regions


def cpu_seconds(action, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        action()
        samples.append(time.process_time() - started)
    return statistics.median(samples)


def lock_wait(ir: str, calls: int = 40) -> None:
    """llvmlite holds one lock across every call into LLVM: how long a one-line parse on this thread
    waits while another thread compiles `ir` over and over (wall seconds)."""
    import threading

    import llvmlite.binding as llvm

    from jitvm.jit.compiler import compile_module

    tiny = "define i64 @t() {\n  ret i64 0\n}\n"
    stop = threading.Event()

    def compiling() -> None:
        while not stop.is_set():
            compile_module(ir, optimize_ir=False, opt_level=0)

    other = threading.Thread(target=compiling)
    other.start()
    time.sleep(0.5)
    waits = []
    for _ in range(calls):
        started = time.perf_counter()
        llvm.parse_assembly(tiny).close()
        waits.append(time.perf_counter() - started)
    stop.set()
    other.join()
    print(f"a one-line parse while another thread compiles: median {statistics.median(waits) * 1e3:.2f} ms, "
          f"max {max(waits) * 1e3:.1f} ms ({calls} calls)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--lock-wait", action="store_true", help="measure llvmlite's lock instead (Memo's region)")
    options = parser.parse_args()

    from jitvm.bpf.jit import codegen
    from jitvm.jit.compiler import compile_module, compile_objects
    from jitvm.jit.layer import QUICK, RUNS_IR_PASSES

    compile_module("define i64 @warm() {\n  ret i64 0\n}\n")  # LLVM's first-use set-up, off the clock
    level = 0  # the QUICK tier's backend level (jitvm.bpf.jit.compile.BpfGenerator.levels)
    regions = first_quick_regions()
    if options.lock_wait:
        name, program, starts = next(region for region in regions if region[0].startswith("memo"))
        lock_wait(codegen.generate(program, starts, True)[0])
        return
    print(f"{'program':22s} {'blocks':>6s} {'IR KB':>6s} {'generate':>9s} {'1 thread':>9s} {'2 threads':>10s} "
          f"{'4 threads':>10s}   (CPU ms, median of {options.repeat})")
    for name, program, starts in regions:
        ir = codegen.generate(program, starts, True)[0]
        generate = cpu_seconds(functools.partial(codegen.generate, program, starts, True), options.repeat)
        compiled = [cpu_seconds(functools.partial(compile_objects, ir, opt_level=level,
                                                  optimize_ir=RUNS_IR_PASSES[QUICK], threads=threads), options.repeat)
                    for threads in (1, 2, 4)]
        print(f"{name:22s} {len(starts):6d} {len(ir) / 1024:6.0f} {generate * 1e3:9.1f} "
              + " ".join(f"{seconds * 1e3:9.1f} " for seconds in compiled), flush=True)


if __name__ == "__main__":
    main()
