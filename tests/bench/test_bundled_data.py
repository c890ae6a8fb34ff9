"""The workloads bundled in jitvm/bench/data are byte-for-byte the shared fixtures they were copied from."""

import filecmp

import pytest

from jitvm.bench.evm_contracts import BUNDLED_DATA
from tests.conftest import FIXTURES

FOLDERS = ("evm/benchmarks", "bpf/bench")


@pytest.mark.parametrize("folder", FOLDERS)
def test_bundled_copy_equals_the_shared_fixtures(folder):
    shared = FIXTURES / folder
    if not shared.is_dir():
        pytest.skip(f"shared fixtures not found: {shared}")
    bundled = BUNDLED_DATA / folder
    names = sorted(path.name for path in shared.iterdir() if path.is_file())
    assert sorted(path.name for path in bundled.iterdir() if path.is_file()) == names
    match, mismatch, errors = filecmp.cmpfiles(shared, bundled, names, shallow=False)
    assert (mismatch, errors) == ([], [])
