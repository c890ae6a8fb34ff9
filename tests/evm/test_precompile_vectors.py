"""The published precompile vectors (../shared/fixtures/evm/precompiles, from go-ethereum): every vector
gives its output and its gas, and one gas less fails; every failure vector fails, in each fork its
rules hold. Also that the vectors are all read: a file no entry below claims makes a test fail."""

import json
from functools import cache

import pytest

from jitvm.evm.precompiles import PrecompileError, precompile_addresses, run_precompile
from tests.conftest import FIXTURES

VECTORS = FIXTURES / "evm" / "precompiles"
PLENTY = 10**9

# file stem -> (address, the forks in which the file's prices and rules hold: the first and the last)
VECTOR_FILES = {
    "ecRecover": (0x01, ("Frontier", "Osaka")),
    "modexp": (0x05, ("Byzantium", "Istanbul")),  # EIP-198
    "modexp_eip2565": (0x05, ("Berlin", "Prague")),
    "modexp_eip7883": (0x05, ("Osaka",)),
    "bn256Add": (0x06, ("Istanbul", "Osaka")),  # EIP-1108 prices
    "bn256ScalarMul": (0x07, ("Istanbul", "Osaka")),
    "bn256Pairing": (0x08, ("Istanbul", "Osaka")),
    "blake2F": (0x09, ("Istanbul", "Osaka")),
    "pointEvaluation": (0x0A, ("Cancun", "Osaka")),
    "blsG1Add": (0x0B, ("Prague", "Osaka")),
    "blsG1Mul": (0x0C, ("Prague", "Osaka")),
    "blsG1MultiExp": (0x0C, ("Prague", "Osaka")),
    "blsG2Add": (0x0D, ("Prague", "Osaka")),
    "blsG2Mul": (0x0E, ("Prague", "Osaka")),
    "blsG2MultiExp": (0x0E, ("Prague", "Osaka")),
    "blsPairing": (0x0F, ("Prague", "Osaka")),
    "blsMapG1": (0x10, ("Prague", "Osaka")),
    "blsMapG2": (0x11, ("Prague", "Osaka")),
    "p256Verify": (0x100, ("Osaka",)),
}
FAILURE_FILES = {
    "fail-blake2f": (0x09, ("Istanbul", "Osaka")),
    **{f"fail-{stem}": VECTOR_FILES[stem] for stem in VECTOR_FILES if stem.startswith("bls")},
}
# bn256Pairing's vectors take about half a second each in py_ecc; the last fork stands for the rest.
ONE_FORK_ONLY = {"bn256Pairing"}


@cache
def load(stem: str) -> tuple:
    path = VECTORS / f"{stem}.json"
    if not path.exists():
        pytest.skip(f"fixture {path} not found")
    return tuple(json.loads(path.read_text()))


def test_every_vector_file_is_checked():
    if not VECTORS.is_dir():
        pytest.skip(f"fixtures not found: {VECTORS}")
    assert {path.stem for path in VECTORS.glob("*.json")} == set(VECTOR_FILES) | set(FAILURE_FILES)


def _cases(files: dict) -> list:
    return [
        pytest.param(stem, address, fork, id=f"{stem}-{fork}")
        for stem, (address, forks) in files.items()
        for fork in (forks[-1:] if stem in ONE_FORK_ONLY else forks)
    ]


@pytest.mark.parametrize("stem, address, fork", _cases(VECTOR_FILES))
def test_vectors(stem, address, fork):
    vectors = load(stem)
    assert vectors
    for vector in vectors:
        data = bytes.fromhex(vector["Input"])
        expected = (bytes.fromhex(vector["Expected"]), vector["Gas"])
        assert run_precompile(address, data, PLENTY, fork) == expected, vector["Name"]
        assert run_precompile(address, data, vector["Gas"], fork) == expected, vector["Name"]
        with pytest.raises(PrecompileError):
            run_precompile(address, data, vector["Gas"] - 1, fork)


@pytest.mark.parametrize("stem, address, fork", _cases(FAILURE_FILES))
def test_failure_vectors(stem, address, fork):
    vectors = load(stem)
    assert vectors
    for vector in vectors:
        with pytest.raises(PrecompileError):
            run_precompile(address, bytes.fromhex(vector["Input"]), PLENTY, fork)


@pytest.mark.parametrize("stem, fork", [("blsG1Add", "Cancun"), ("p256Verify", "Prague")])
def test_vectors_of_a_later_fork_have_no_precompile_before_it(stem, fork):
    address = VECTOR_FILES[stem][0]
    assert address not in precompile_addresses(fork)
    with pytest.raises(KeyError):
        run_precompile(address, bytes.fromhex(load(stem)[0]["Input"]), PLENTY, fork)
