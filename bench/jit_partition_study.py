"""The JIT's steady-state CPU time next to the baseline's, in one process, for chosen bundled EVM
workloads, tiers and function sizes (how many blocks jitvm.evm.jit.codegen puts in a function): a
study tool for compiled-code quality, not a gate. Times are the minimum of interleaved runs
(baseline, then each variant's compiled code, round after round), so that a loaded machine
disturbs all of them alike; instruction counts (`jitvm bench --timer instructions`) miss what can
matter most for compiled code, cache misses and mispredicted branches.

    python bench/jit_partition_study.py jump_around signextend --rounds 30 [--budgets 50,500] [--tiers quick,optimized]

Each budget (blocks per function) is given to codegen.BLOCKS_PER_FUNCTION for that compile (the
default alone when none are given). Measured on jump_around (2026-12-07): 50, 500 and 4,097
blocks per function (one function: no jump leaves it) ran equally fast, all about 1.4 times the
baseline's time: the cost is the machine code itself, run once per call, not the jumps between
functions.
"""

from __future__ import annotations

import argparse
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workloads", nargs="+", help="substrings of bundled EVM workload names")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--tiers", default="optimized", help="quick, optimized or both (quick,optimized)")
    parser.add_argument("--budgets", default="", help="comma-separated blocks per function to compare")
    arguments = parser.parse_args()

    from jitvm.bench.workloads import bundled_evm_cases, find_fixtures
    from jitvm.evm import DEFAULT_FORK
    from jitvm.evm.calls import call_code
    from jitvm.evm.engines import get_engine
    from jitvm.evm.jit import codegen, compile
    from jitvm.evm.jit.engine import JitEngine
    from jitvm.jit.cache import ObjectCache
    from jitvm.jit.layer import OPTIMIZED

    cases = [case for case in bundled_evm_cases(find_fixtures()) if any(w in case.name for w in arguments.workloads)]
    tiers = arguments.tiers.split(",")
    budgets = [int(b) for b in arguments.budgets.split(",") if b] or [None]
    baseline = get_engine("baseline")
    codegen.DECLINE_FROM_JUMPS = 10**9  # compile every code, whatever the decline rule says
    keep = []
    with tempfile.TemporaryDirectory() as directory:
        for case in cases:
            runners = {"baseline": baseline}
            for budget in budgets:
                for tier in tiers:
                    default = codegen.BLOCKS_PER_FUNCTION
                    codegen.BLOCKS_PER_FUNCTION = budget or default
                    compile.CACHE = ObjectCache(f"{directory}/{case.name.replace('/', '_')}_{budget}_{tier}")
                    compile.LAYER.forget()  # compile again, with this budget
                    engine = JitEngine()  # compiles the QUICK tier before the first frame
                    call_code(case.code, case.calldata, gas=case.gas, engine=engine)
                    if tier == OPTIMIZED:
                        engine.settle()
                        call_code(case.code, case.calldata, gas=case.gas, engine=engine)  # it takes the upgrade
                    keep.append(compile.loaded(case.code, DEFAULT_FORK))  # the engine holds it weakly
                    assert keep[-1].tier == tier
                    codegen.BLOCKS_PER_FUNCTION = default
                    runners[f"jit {tier} budget={budget or default}"] = engine
            best = {name: float("inf") for name in runners}
            for _ in range(arguments.rounds):
                for name, engine in runners.items():
                    start = time.process_time()
                    outcome = call_code(case.code, case.calldata, gas=case.gas, engine=engine)
                    best[name] = min(best[name], time.process_time() - start)
                    assert outcome.output == case.expected_output, (case.name, name)
            for name, seconds in best.items():
                print(f"{case.name:40} {name:34} {seconds * 1e6:10.1f} us  {seconds / best['baseline']:6.3f}x")


if __name__ == "__main__":
    main()
