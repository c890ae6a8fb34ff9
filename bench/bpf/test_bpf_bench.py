"""The seven BPF benchmark programs on every jitvm BPF engine, as pytest-benchmark tests: each checks
r0 and the executed instruction count first, then (when timing is on, see bench/conftest.py) times
the run.

    python -m pytest bench/bpf                                       # check only (fast engines: ~10 s)
    python -m pytest bench/bpf --benchmark-enable --benchmark-timer=time.process_time

Cases are the fixtures README's full sizes and the bundled small ones (jitvm.bench.workloads). The
reference interpreter takes tens of seconds per full-size program, so those runs are marked `slow`.
The JIT is compiled (or loaded from the object cache) before timing, and 'auto' is not listed: on a
hot program it is the JIT. bench/bpf/measure.py writes the README table (ns per instruction,
compile latencies).
"""

from __future__ import annotations

import pytest

from jitvm.bench.workloads import bundled_bpf_cases, find_fixtures
from jitvm.bpf.engines import ENGINES, run
from jitvm.errors import InputError

FAST_ROUNDS, REFERENCE_ROUNDS = 5, 1


def _cases():
    try:
        return bundled_bpf_cases(find_fixtures())
    except InputError:
        return []


CASES = _cases()
BENCH_ENGINES = [engine for engine in ENGINES if engine != "auto"]


def _params():
    if not CASES:
        reason = "benchmark fixtures not found (../shared/fixtures)"
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=reason))]
    params = []
    for case in CASES:
        for engine in BENCH_ENGINES:
            slow = engine == "reference" and case.name.endswith("/full")
            params.append(pytest.param(case, engine, id=f"{case.name}-{engine}",
                                       marks=[pytest.mark.slow] if slow else []))
    return params


@pytest.mark.parametrize("case,engine", _params())
def test_bpf_program(benchmark, case, engine):
    data = case.memory.build()
    result = run(case.program, data, engine=engine)  # also compiles the JIT's code
    assert result.error is None, result.error
    assert (result.r0, result.instructions) == (case.expected_r0, case.expected_instructions)

    benchmark.group = f"bpf/{case.name}"
    benchmark.extra_info.update(engine=engine, instructions=result.instructions)
    if benchmark.disabled:
        benchmark.pedantic(lambda: result)  # timing off: the checks above are the test
        return
    rounds = REFERENCE_ROUNDS if engine == "reference" else FAST_ROUNDS
    timed = benchmark.pedantic(run, args=(case.program, data), kwargs={"engine": engine}, rounds=rounds,
                               warmup_rounds=1 if engine != "reference" else 0)
    assert timed.r0 == case.expected_r0
