"""What each IR pass and backend level of the EVM JIT's OPTIMIZED tier costs in compile time and
buys in speed, side by side in one process (a script: timing never fails CI).

    python bench/pass_benefit.py                                  # every pass left out in turn
    python bench/pass_benefit.py --variants "all@1,none@1,sroa+instcombine@1" --filter snailtracer
    python bench/pass_benefit.py --compile-only --filter memory_grow

A variant is `PASSES@LEVEL` or `PASSES@LEVEL/compact` (the IR written as the QUICK tier writes it:
memory expansion by a call, codegen's `compact`): `all` (jitvm.jit.compiler.PASS_PIPELINE), `none`, `-NAME` (all but
NAME; `-a-b` leaves out two), or names joined by `+` (in the pipeline's order), and the backend level.
For each workload (a default `jitvm bench` run's input of each bundled EVM contract) every variant
compiles the whole module on this thread (CPU seconds; the split across threads divides the wall
time, not this) and then runs on its own JitEngine; the variants' calls alternate in rounds, and the
best call of each is kept, so a loaded machine disturbs the comparison less than the figures.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from unittest import mock

sys.path[:0] = [str(Path(__file__).parents[1])]
os.environ.setdefault("JITVM_JIT_COMPILE_THREADS", "1")  # whole modules: CPU time of one thread

MAIN = "evm/snailtracer,evm/blake2b,evm/sha1,evm/weierstrudel,evm/structarray,evm/swap_math"


def pipeline(spec: str) -> tuple:
    from jitvm.jit.compiler import PASS_PIPELINE

    names = [name for name, _ in PASS_PIPELINE]
    if spec == "all":
        chosen = names
    elif spec == "none":
        chosen = []
    elif spec.startswith("-"):
        dropped = spec[1:].split("-") if "--" not in spec else [spec[1:]]
        dropped = _rejoin(dropped, names)
        unknown = set(dropped) - set(names)
        if unknown:
            raise SystemExit(f"pass_benefit: unknown pass {sorted(unknown)}")
        chosen = [name for name in names if name not in dropped]
    else:
        chosen = spec.split("+")
        unknown = set(chosen) - set(names)
        if unknown:
            raise SystemExit(f"pass_benefit: unknown pass {sorted(unknown)}")
    by_name = dict(PASS_PIPELINE)
    return tuple((name, by_name[name]) for name in chosen)


def _rejoin(parts: list[str], names: list[str]) -> list[str]:
    """`-jump-threading-dse` split on '-' back into pass names (some names contain '-')."""
    result, pending = [], ""
    for part in parts:
        pending = f"{pending}-{part}" if pending else part
        if pending in names:
            result.append(pending)
            pending = ""
    if pending:
        result.append(pending)
    return result


class Variant:
    def __init__(self, spec: str):
        self.spec = spec
        spec, _, form = spec.partition("/")
        passes, _, level = spec.partition("@")
        self.passes = pipeline(passes)
        self.level = int(level or 1)
        self.compact = form == "compact"

    def layer(self):
        from jitvm.evm.jit import compile as evm_compile
        from jitvm.jit import ObjectCache
        from jitvm.jit.layer import OPTIMIZED, QUICK, CompileLayer

        generator = evm_compile.EvmGenerator()
        if self.compact:
            generator.generate = lambda subject, tier=OPTIMIZED: _compact_ir(subject)
        generator.levels = {QUICK: self.level, OPTIMIZED: self.level}
        layer = CompileLayer(generator)
        layer.cache = ObjectCache(enabled=False)
        return layer


def _compact_ir(subject) -> str | None:
    from jitvm.evm.jit import block_analysis, codegen

    return codegen.generate(block_analysis.analyse(*subject), compact=True)


def measure(cases, variants: list[Variant], rounds: int, laps: int, compile_only: bool) -> None:
    from jitvm.bench.runners import EvmEngineRunner
    from jitvm.evm import DEFAULT_FORK
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.evm.jit import engine as engine_module
    from jitvm.evm.jit.engine import JitEngine
    from jitvm.jit import compiler, symbols
    from jitvm.jit.layer import OPTIMIZED

    engine_module.UPGRADE_GAS = engine_module.UPGRADE_CALLS = 1 << 62  # stay on the measured code
    evm_compile.register_helpers()
    symbols.addresses()  # every runtime helper built now, off the clock
    print(f"{'workload':32s} " + " ".join(f"{variant.spec:>22s}" for variant in variants))
    ratios = {variant.spec: [] for variant in variants}
    for case in cases:
        seconds, best, calls, layers = {}, {}, {}, {}
        for variant in variants:
            layer = layers[variant.spec] = variant.layer()
            with mock.patch.object(compiler, "PASS_PIPELINE", variant.passes):
                started = time.process_time()
                compiled = layer.build((case.code, DEFAULT_FORK), layer.cache, OPTIMIZED)
                seconds[variant.spec] = time.process_time() - started
            layer.install((case.code, DEFAULT_FORK), compiled)
            if not compile_only:
                evm_compile.LAYER = layer
                calls[variant.spec] = EvmEngineRunner("jit", JitEngine()).prepare(case)
                observation = calls[variant.spec]()
                assert observation.error is None and observation.answer == case.expected_output, (variant.spec, observation)
        for _ in range(0 if compile_only else rounds):
            for variant in variants:
                evm_compile.LAYER = layers[variant.spec]
                for _ in range(laps):
                    started = time.thread_time()
                    calls[variant.spec]()
                    lap = time.thread_time() - started
                    best[variant.spec] = min(best.get(variant.spec, math.inf), lap)
        base = variants[0].spec
        cells = []
        for variant in variants:
            cell = f"{seconds[variant.spec]:6.2f} s"
            if not compile_only:
                ratio = best[variant.spec] / best[base]
                ratios[variant.spec].append(ratio)
                cell += f" {1e3 * best[variant.spec]:8.3f} ms {ratio:4.2f}" if variant.spec == base else f" {ratio:5.3f}x"
            cells.append(f"{cell:>22s}")
        print(f"{case.name:32s} " + " ".join(cells), flush=True)
    if not compile_only:
        print(f"{'geometric mean of time / ' + variants[0].spec:32s} "
              + " ".join(f"{math.exp(sum(map(math.log, r)) / len(r)):>22.3f}" for r in ratios.values()))


def main() -> None:
    from jitvm.jit.compiler import PASS_PIPELINE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_variants = ",".join(["all@1", "none@1", *(f"-{name}@1" for name, _ in PASS_PIPELINE)])
    parser.add_argument("--variants", default=default_variants, help="the first is the base of the ratios")
    parser.add_argument("--filter", default=MAIN, help="workload patterns, as jitvm bench --filter")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--laps", type=int, default=3, help="calls per variant per round")
    parser.add_argument("--compile-only", action="store_true")
    options = parser.parse_args()
    from jitvm.bench.workloads import bundled_cases, filter_cases, find_fixtures

    cases = [case for case in filter_cases(bundled_cases(find_fixtures()), options.filter) if hasattr(case, "code")]
    measure(cases, [Variant(spec) for spec in options.variants.split(",")], options.rounds, options.laps,
            options.compile_only)


if __name__ == "__main__":
    main()
