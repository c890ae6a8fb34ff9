"""The EVM benchmark workloads on every jitvm engine and every installed peer, as pytest-benchmark
tests: each checks output and gas first, then (when timing is on, see bench/conftest.py) times it.

    python -m pytest bench/evm --benchmark-enable                      # time them
    python -m pytest bench/evm --benchmark-enable --benchmark-autosave # keep the timings
    python -m pytest bench/evm --benchmark-enable --benchmark-compare --benchmark-compare-fail=median:10%

The workloads are the ones `jitvm bench` runs by default plus its --quick inputs; benchmarks are
grouped by workload so that engines are compared side by side. The Python interpreters (the
reference and py-evm) are marked `slow` except on the quick inputs.
"""

from __future__ import annotations

import pytest

from jitvm.bench.runners import PEER_NAMES, PYTHON_SPEEDS, Unavailable, make_runner, registered_engines
from jitvm.bench.workloads import EvmCase, bundled_cases, find_fixtures
from jitvm.errors import InputError


def _cases():
    try:
        fixtures = find_fixtures()
    except InputError:
        return [], []
    # The benchmark contracts; the realworld sessions are tested in tests/bench/test_realworld.py.
    quick = [case for case in bundled_cases(fixtures, quick=True) if isinstance(case, EvmCase)]
    default = [case for case in bundled_cases(fixtures) if isinstance(case, EvmCase)]
    quick_names = {case.name for case in quick}
    every = {case.name: case for case in [*quick, *default]}
    return list(every.values()), quick_names


CASES, QUICK = _cases()
ENGINES = [*registered_engines("evm"), *PEER_NAMES]
ROUNDS_FAST, ROUNDS_PYTHON = 20, 3


def _params():
    if not CASES:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason="benchmark fixtures not found (../shared/fixtures)"))]
    params = []
    for case in CASES:
        for engine in ENGINES:
            python = ("evm", engine) in PYTHON_SPEEDS
            # Snailtracer takes a minute or two per call on a Python interpreter.
            slow = python and (case.name not in QUICK or case.name.startswith("snailtracer/"))
            marks = [pytest.mark.slow] if slow else []
            if engine in PEER_NAMES:
                marks.append(pytest.mark.peers)
            params.append(pytest.param(case, engine, id=f"{case.name}-{engine}", marks=marks))
    return params


def _runner(engine):
    try:
        return make_runner("evm", engine)
    except Unavailable as exc:
        pytest.skip(f"{engine}: {exc}")


def _oracle_gas(case) -> int | None:
    """The case's gas: from the fixture, else from pyrevm (None if pyrevm is not installed)."""
    if case.expected_gas is not None:
        return case.expected_gas
    try:
        pyrevm = make_runner("evm", "pyrevm")
    except Unavailable:
        return None
    observation = pyrevm.prepare(case)()
    assert observation.answer == case.expected_output, "pyrevm disagrees with the fixture's output"
    return observation.units


@pytest.mark.parametrize("case,engine", _params())
def test_evm_workload(benchmark, case, engine):
    runner = _runner(engine)
    observation = runner.prepare(case)()
    assert observation.error is None, observation.error
    assert observation.answer == case.expected_output
    expected_gas = _oracle_gas(case)
    if expected_gas is not None:
        assert observation.units == expected_gas

    benchmark.group = case.name
    benchmark.extra_info.update(engine=engine, gas=observation.units)
    rounds = ROUNDS_PYTHON if ("evm", engine) in PYTHON_SPEEDS else ROUNDS_FAST
    if benchmark.disabled:
        benchmark.pedantic(lambda: observation)  # timing off: the checks above are the test
        return
    # Every round gets a fresh state; setup is not timed.
    result = benchmark.pedantic(lambda call: call(), setup=lambda: ((runner.prepare(case),), {}),
                                rounds=rounds, warmup_rounds=1)
    assert result.answer == case.expected_output and result.units == observation.units
