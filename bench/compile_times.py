"""The JIT's compile times per bundled workload against issue 14's bars (a script: timing never fails CI).

    python bench/compile_times.py                 # a default `jitvm bench --engines jit` with no code cache
    python bench/compile_times.py --json out.json # the same, keeping the bench's JSON
    python bench/compile_times.py --from out.json # read an earlier run's JSON instead of running
    python bench/compile_times.py --direct        # compile each workload's code here, both tiers
    python bench/compile_times.py --profiled      # --direct as the engine does it: QUICK, a call, OPTIMIZED

Bars: the first (QUICK) tier at most 1 s and the optimized tier at most 3 s per EVM workload, at most
0.1 s per BPF program (either tier).

The default mode runs `jitvm bench --engines jit --json FILE` in a subprocess with the object cache
off (JITVM_DISABLE_CACHE=1: nothing is read or written, so every code compiles as with an empty
cache; Numba's caches stay warm) and reads each row's `compile` (the first tier, on the caller's
thread) and `optimize` (the background tier, waited for before timing): wall seconds, so run it on a
quiet machine. `--direct` generates and compiles each distinct code of each workload at both tiers
in this process and reports wall seconds and CPU seconds of the process (all compile threads; less
disturbed by a loaded machine, but not divided by the threads); it does not link or run anything, and leaves out the realworld transactions (their contracts are small).
`--profiled` (EVM only) compiles each workload's main code through the compile layer as the `jit`
engine does: the QUICK tier, one call of the workload on it (its functions count their
instructions), then the OPTIMIZED tier, which optimizes only the hot functions; CPU and wall
seconds of each compile (with its link), the object cache off.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1])]

BARS = {"evm": {"quick": 1.0, "optimized": 3.0}, "bpf": {"quick": 0.1, "optimized": 0.1}}


def _verdict(kind: str, tier: str, seconds: float | None) -> str:
    if seconds is None:
        return "   -  "
    return "  ok  " if seconds <= BARS[kind][tier] else " OVER "


def print_table(rows: list[tuple], what: str) -> int:
    """rows: (kind, workload, quick seconds, optimized seconds[, quick CPU, optimized CPU]). Returns
    how many are over a bar (the bars apply to the first two: wall seconds)."""
    print(f"{what}; bars: EVM quick <= {BARS['evm']['quick']} s, optimized <= {BARS['evm']['optimized']} s; "
          f"BPF <= {BARS['bpf']['quick'] * 1e3:.0f} ms per tier")
    with_cpu = any(len(row) > 4 for row in rows)
    print(f"{'workload':48s} {'quick s':>9s}       {'optimized s':>11s}" + ("        CPU s: quick optimized" * with_cpu))
    over = 0
    for kind, workload, quick, optimized, *cpu in rows:
        shown = [f"{value:9.3f}" if value is not None else f"{'-':>9s}" for value in (quick, optimized)]
        marks = _verdict(kind, "quick", quick), _verdict(kind, "optimized", optimized)
        over += sum(mark.strip() == "OVER" for mark in marks)
        extra = "".join(f" {value:9.3f}" for value in cpu)
        print(f"{kind}/{workload:44s} {shown[0]} {marks[0]} {shown[1]:>11s} {marks[1]}       {extra}")
    print(f"{over} over a bar")
    return over


def rows_from_bench(document: dict) -> list[tuple[str, str, float | None, float | None]]:
    rows = []
    for row in document["results"]:
        if row["engine"] != "jit" or row["kind"] not in BARS:
            continue
        rows.append((row["kind"], row["workload"], row.get("compile"), row.get("optimize")))
    return rows


def run_bench(extra: list[str], keep: str | None) -> dict:
    path = keep or tempfile.mkstemp(suffix=".json")[1]
    environment = dict(os.environ, JITVM_DISABLE_CACHE="1")
    command = [sys.executable, "-m", "jitvm", "bench", "--engines", "jit", "--json", path, *extra]
    print("running:", "JITVM_DISABLE_CACHE=1", " ".join(command[1:]), flush=True)
    subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL)
    return json.loads(Path(path).read_text())


def direct_rows(patterns: str | None) -> list[tuple[str, str, float | None, float | None]]:
    """Generate and compile every code of every workload at both tiers here, as the compile layer
    does (split across jitvm.jit.compiler.compile_threads() threads when large): wall and CPU seconds."""
    from jitvm.bench.workloads import bundled_cases, filter_cases, find_fixtures
    from jitvm.bpf.jit import compile as bpf_compile
    from jitvm.evm import DEFAULT_FORK
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.jit.compiler import compile_module, compile_objects
    from jitvm.jit.layer import OPTIMIZED, QUICK, RUNS_IR_PASSES, generated

    evm_compile.register_helpers()
    compile_module("define i64 @warm() {\n  ret i64 0\n}\n")  # LLVM's first-use set-up, off the clock
    rows = []
    for case in filter_cases(bundled_cases(find_fixtures()), patterns):
        if case.kind == "evm" and hasattr(case, "code"):  # (realworld sessions: in the bench mode only)
            generator, subjects = evm_compile.LAYER.generator, [(case.code, DEFAULT_FORK)] + [
                (account.code, DEFAULT_FORK) for account in case.pre_state if account.code]
        elif case.kind == "bpf":
            generator, subjects = bpf_compile.LAYER.generator, [bpf_compile.whole_region(case.program)]
        else:
            continue
        seconds, cpu = {}, {}
        for tier in (QUICK, OPTIMIZED):
            started, started_cpu = time.perf_counter(), time.process_time()
            for subject in subjects:
                ir = generated(generator, subject, tier)
                if ir is not None:
                    compile_objects(ir, opt_level=generator.levels[tier], optimize_ir=RUNS_IR_PASSES[tier],
                                    large_module_bytes=getattr(generator, "large_module_bytes", None))
            seconds[tier], cpu[tier] = time.perf_counter() - started, time.process_time() - started_cpu
        rows.append((case.kind, case.name, seconds[QUICK], seconds[OPTIMIZED], cpu[QUICK], cpu[OPTIMIZED]))
        print(f"  measured {case.key}", file=sys.stderr, flush=True)
    return rows


def profiled_rows(patterns: str | None) -> list[tuple]:
    """Per EVM workload: the QUICK tier through the compile layer, one call on it, the OPTIMIZED tier
    (from the QUICK code's counts): wall and CPU seconds of each compile."""
    os.environ["JITVM_DISABLE_CACHE"] = "1"
    os.environ["JITVM_JIT_UPGRADE_GAS"] = os.environ["JITVM_JIT_UPGRADE_CALLS"] = str(1 << 60)  # upgrades: here only
    from jitvm.bench.runners import make_runner
    from jitvm.bench.workloads import bundled_cases, filter_cases, find_fixtures
    from jitvm.evm import DEFAULT_FORK
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.jit.compiler import compile_module
    from jitvm.jit.layer import OPTIMIZED, QUICK

    evm_compile.register_helpers()
    compile_module("define i64 @warm() {\n  ret i64 0\n}\n")  # LLVM's first-use set-up, off the clock
    runner = make_runner("evm", "jit")
    layer = evm_compile.LAYER
    rows = []
    cases = [case for case in filter_cases(bundled_cases(find_fixtures()), patterns)
             if case.kind == "evm" and hasattr(case, "code")]
    for case in cases[:1]:  # the runtime helpers (Numba) and the kernel built or loaded, off the clock
        layer.get((case.code, DEFAULT_FORK))
        runner.prepare(case)()
        layer.forget()
    for case in cases:
        subject = (case.code, DEFAULT_FORK)
        seconds, cpu = {}, {}
        for tier in (QUICK, OPTIMIZED):
            started, started_cpu = time.perf_counter(), time.process_time()
            compiled = layer.build(subject, layer._cache(None), tier)
            seconds[tier], cpu[tier] = time.perf_counter() - started, time.process_time() - started_cpu
            layer.install(subject, compiled)
            if tier == QUICK:
                runner.prepare(case)()  # the QUICK code counts what each function runs
        layer.forget()
        rows.append((case.kind, case.name, seconds[QUICK], seconds[OPTIMIZED], cpu[QUICK], cpu[OPTIMIZED]))
        print(f"  measured {case.key}", file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="keep the bench run's JSON here")
    parser.add_argument("--from", dest="source", help="report an earlier `jitvm bench --json` file")
    parser.add_argument("--direct", action="store_true", help="compile here, CPU seconds (no bench run)")
    parser.add_argument("--profiled", action="store_true",
                        help="EVM: QUICK, one call, OPTIMIZED from its counts, through the compile layer")
    parser.add_argument("--filter", help="workload patterns, as jitvm bench --filter")
    options = parser.parse_args()
    if options.profiled:
        over = print_table(profiled_rows(options.filter), "through the compile layer, QUICK then a call then OPTIMIZED")
    elif options.direct:
        over = print_table(direct_rows(options.filter), "generate + compile here")
    else:
        if options.source:
            document = json.loads(Path(options.source).read_text())
        else:
            document = run_bench(["--filter", options.filter] if options.filter else [], options.json)
        over = print_table(rows_from_bench(document), "jitvm bench rows `compile` / `optimize`, wall seconds")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
