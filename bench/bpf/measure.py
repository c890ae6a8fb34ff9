"""Measure the BPF engines side by side and print bench/bpf/README.md's tables (markdown).

    python bench/bpf/measure.py [--repeat 5] [--reference-size small|full]

Per benchmark program (full size, the fixtures README's figures): nanoseconds per executed
instruction on 'baseline' and 'jit' (best of --repeat runs after one warm-up, CPU time of this
process, so other load on a shared machine counts less), and on 'reference' for the small size
(its full runs take minutes). Then the JIT's compile latency per program (cold: IR generation +
LLVM + link; cached: object cache read + link) and the Numba kernel's one-time compile, measured in
fresh subprocesses with an empty and then a warm Numba cache.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time

from jitvm.bench.workloads import bundled_bpf_cases, find_fixtures
from jitvm.bpf.engines import run
from jitvm.bpf.jit import compile as jit
from jitvm.jit import ObjectCache
from jitvm.jit.target import describe

KERNEL_PROBE = """
import time
started = time.perf_counter()
from jitvm.bpf import Program
from jitvm.bpf.driver import run_baseline
imported = time.perf_counter()
assert run_baseline(Program.from_assembly("mov %r0, 7\\nexit")).r0 == 7
print(imported - started, time.perf_counter() - imported)
"""


def best_time(function, repeat: int) -> tuple[float, float]:
    """Best CPU time and best wall time of `repeat` calls (after one warm-up call)."""
    function()
    cpu, wall = math.inf, math.inf
    for _ in range(repeat):
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        function()
        cpu = min(cpu, time.process_time() - cpu_start)
        wall = min(wall, time.perf_counter() - wall_start)
    return cpu, wall


def speeds(cases, repeat: int) -> list[dict]:
    rows = []
    for case in cases:
        data = case.memory.build()
        row = {"name": case.name.split("/")[0], "instructions": case.expected_instructions}
        for engine in ("baseline", "jit"):
            result = run(case.program, data, engine=engine)
            assert (result.r0, result.instructions) == (case.expected_r0, case.expected_instructions), engine
            cpu, wall = best_time(lambda: run(case.program, data, engine=engine), repeat)
            row[engine] = 1e9 * cpu / result.instructions
            row[engine + " wall"] = 1e9 * wall / result.instructions
        rows.append(row)
    return rows


def reference_speeds(cases) -> dict[str, float]:
    out = {}
    for case in cases:
        data = case.memory.build()
        started = time.process_time()
        result = run(case.program, data, engine="reference")
        elapsed = time.process_time() - started
        assert result.r0 == case.expected_r0
        out[case.name.split("/")[0]] = 1e9 * elapsed / result.instructions
    return out


def compile_latencies(cases) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for case in cases:
            cold = jit.build(case.program, ObjectCache(enabled=False))
            cache = ObjectCache(directory)
            jit.build(case.program, cache)
            warm = jit.build(case.program, cache)
            assert warm.stats.cache_hit
            rows.append({"name": case.name.split("/")[0], "words": len(case.program.decoded),
                         "compile": cold.stats.compile_seconds,
                         "link": cold.stats.load_seconds, "cached": warm.stats.load_seconds})
    return rows


def kernel_compile() -> tuple[float, float]:
    """(cold compile + first call, cached load + first call) of the Numba kernel, in subprocesses."""
    with tempfile.TemporaryDirectory() as directory:
        environment = dict(os.environ, NUMBA_CACHE_DIR=directory)
        times = []
        for _ in range(2):
            output = subprocess.run([sys.executable, "-c", KERNEL_PROBE], env=environment, check=True,
                                    capture_output=True, text=True).stdout.split()
            times.append(float(output[1]))
    return times[0], times[1]


def geometric_mean(values) -> float:
    values = list(values)
    return math.exp(sum(math.log(value) for value in values) / len(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference-size", choices=("small", "full"), default="small")
    options = parser.parse_args()

    cases = bundled_bpf_cases(find_fixtures())
    full = [case for case in cases if case.name.endswith("/full")]
    reference_cases = [case for case in cases if case.name.endswith("/" + options.reference_size)]

    print(f"Machine: {describe()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}\n")
    rows = speeds(full, options.repeat)
    reference = reference_speeds(reference_cases)
    print("| program | instructions | reference | baseline | jit | baseline (wall) | jit (wall) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['name']} | {row['instructions']:,} | {reference[row['name']]:.0f} | {row['baseline']:.2f} | "
              f"{row['jit']:.3f} | {row['baseline wall']:.2f} | {row['jit wall']:.3f} |")
    means = {key: geometric_mean(row[key] for row in rows) for key in ("baseline", "jit", "baseline wall", "jit wall")}
    print(f"| geometric mean | | {geometric_mean(reference.values()):.0f} | {means['baseline']:.2f} | "
          f"{means['jit']:.3f} | {means['baseline wall']:.2f} | {means['jit wall']:.3f} |\n")

    print("| program | words | IR and LLVM compile, quick tier (ms) | link (ms) | cold total (ms) "
          "| cached load (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in compile_latencies(full):
        total = row["compile"] + row["link"]
        print(f"| {row['name']} | {row['words']} | {1e3 * row['compile']:.1f} | "
              f"{1e3 * row['link']:.1f} | {1e3 * total:.1f} | {1e3 * row['cached']:.1f} |")
    cold, warm = kernel_compile()
    print(f"\nNumba kernel (baseline), first call in a fresh process: {cold:.1f} s with an empty cache "
          f"(compile), {warm:.2f} s with the on-disk cache.")


if __name__ == "__main__":
    main()
