"""execution-spec-tests state tests (v5.4.0: Paris to Osaka, EIP-7702, CLZ, BLS12-381, P256VERIFY, ...)
on every engine.

Every Paris..Osaka case of a file must pass: state root, logs hash, and the transaction's rejection
exactly when the test expects one. The default run samples files from every EIP folder (every second
file on the reference, every fourth on the baseline, every sixteenth on the JIT, whose per-contract
compile dominates); `--conformance` runs every file on every engine.
"""

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from jitvm.evm.engines import get_engine
from jitvm.evm.forks import EXECUTABLE_FORKS
from jitvm.evm.statetest import load_cases, run_case
from tests.conftest import FIXTURES

EEST = FIXTURES / "evm" / "eest"
SAMPLE_STRIDE = {"reference": 2, "baseline": 4, "jit": 16}


def _files_by_folder() -> dict[str, list[str]]:
    by_folder = defaultdict(list)
    if EEST.is_dir():
        for path in sorted(EEST.rglob("*.json")):
            name = str(path.relative_to(EEST))
            by_folder[str(Path(name).parent)].append(name)
    return by_folder


def _sample(stride: int) -> list[str]:
    """Every `stride`-th file of each folder, starting with its first, so every EIP is represented."""
    return [name for files in _files_by_folder().values() for name in files[::stride]]


def _params():
    every_file = [name for files in _files_by_folder().values() for name in files]
    params = []
    for engine, stride in SAMPLE_STRIDE.items():
        sampled = set(_sample(stride))
        for name in every_file:
            marks = [] if name in sampled else [pytest.mark.conformance]
            params.append(pytest.param(engine, name, id=f"{engine}:{name}", marks=marks))
    return params


def run_eest_file(name: str, engine_name: str) -> Counter:
    """Run every executable-fork case of one file; returns the count per fork. Fails listing the
    failures."""
    if not EEST.is_dir():
        pytest.skip(f"fixtures not found: {EEST}")
    engine = get_engine(engine_name)
    counts = Counter()
    failures = []
    for case in load_cases(EEST / name):
        if case.fork not in EXECUTABLE_FORKS:
            continue
        result = run_case(case, engine=engine)
        counts[case.fork] += 1
        if not result.passed:
            failures.append(f"{case.label}: {result.error}")
    if not counts:
        pytest.skip("no Paris..Osaka cases in this file")
    total = sum(counts.values())
    assert not failures, f"{len(failures)} of {total} cases failed on {engine_name}:\n" + "\n".join(failures[:20])
    return counts


def test_the_samples_represent_every_folder():
    folders = set(_files_by_folder())
    if not folders:
        pytest.skip(f"fixtures not found: {EEST}")
    for stride in SAMPLE_STRIDE.values():
        assert {str(Path(name).parent) for name in _sample(stride)} == folders


@pytest.mark.conformance
def test_the_fixtures_hold_prague_and_osaka_cases():
    """The README's counts: the release holds 2,627 Prague and 3,711 Osaka cases."""
    if not EEST.is_dir():
        pytest.skip(f"fixtures not found: {EEST}")
    counts = Counter(case.fork for path in sorted(EEST.rglob("*.json")) for case in load_cases(path))
    assert (counts["Prague"], counts["Osaka"]) == (2627, 3711)


@pytest.mark.parametrize("engine, name", _params())
def test_eest_file(engine, name):
    run_eest_file(name, engine)
