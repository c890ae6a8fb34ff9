"""Ethereum state tests on the reference interpreter.

The default run takes every fourth file of each folder of GeneralStateTests (every folder is
represented); `--conformance` runs every file. Only Cancun cases are checked here: that is the fork
the fixtures were filled for (a handful of files also carry older forks' posts, which jitvm does not
execute and the CLI reports as "not run").
"""

from collections import defaultdict
from pathlib import Path

import pytest

from jitvm.evm.statetest import load_cases, run_case
from tests.conftest import FIXTURES

STATE_TESTS = FIXTURES / "evm" / "GeneralStateTests"


def _all_files() -> list[str]:
    if not STATE_TESTS.is_dir():
        return []
    return sorted(str(p.relative_to(STATE_TESTS)) for p in STATE_TESTS.rglob("*.json"))


def _representative_files() -> list[str]:
    by_folder = defaultdict(list)
    for name in _all_files():
        by_folder[str(Path(name).parent)].append(name)
    return [name for folder in sorted(by_folder) for name in by_folder[folder][::4]]


def _params(names, *marks):
    return [pytest.param(name, id=name, marks=list(marks)) for name in names]


def run_cancun_cases(name: str, engine=None) -> int:
    if not STATE_TESTS.is_dir():
        pytest.skip(f"fixtures not found: {STATE_TESTS}")
    cases = [case for case in load_cases(STATE_TESTS / name) if case.fork == "Cancun"]
    if not cases:
        pytest.skip("no Cancun cases in this file")
    failures = []
    for case in cases:
        result = run_case(case, engine=engine)
        if not result.passed:
            failures.append(f"{case.label}: {result.error}")
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures[:20])
    return len(cases)


def test_the_slice_represents_every_folder():
    folders = {str(Path(name).parent) for name in _all_files()}
    if not folders:
        pytest.skip(f"fixtures not found: {STATE_TESTS}")
    assert folders == {str(Path(name).parent) for name in _representative_files()}


@pytest.mark.parametrize("name", _params(_representative_files()))
def test_state_tests_representative(name):
    run_cancun_cases(name)


@pytest.mark.parametrize("name", _params(sorted(set(_all_files()) - set(_representative_files())),
                                         pytest.mark.conformance))
def test_state_tests_conformance(name):
    run_cancun_cases(name)
