"""The bpf_conformance suite: every test file must pass; every negative file must be rejected or
flagged (never reported as a pass after running)."""

import pytest

from jitvm.bpf.conformance import check_test, load_test
from jitvm.errors import InputError

from .fixtures import CONFORMANCE, files, require

TESTS = files(CONFORMANCE / "tests", "*.data")
NEGATIVE = files(CONFORMANCE / "negative", "*.data")


def test_suite_is_present():
    require(CONFORMANCE / "tests")
    assert len(TESTS) == 313


@pytest.mark.parametrize("path", TESTS, ids=[path.name for path in TESTS])
def test_conformance(path):
    outcome = check_test(load_test(path), engine="reference")
    assert outcome.passed, outcome.message


@pytest.mark.parametrize("path", NEGATIVE, ids=[path.name for path in NEGATIVE])
def test_negative_is_rejected(path):
    try:
        test = load_test(path)
    except InputError as rejected:  # no expectation or an unknown section: the file itself is refused
        assert str(rejected)
        return
    outcome = check_test(test, engine="reference")
    # Either the input is refused before it runs (an expected error that is a rejection), or the
    # runner reports a failure (a wrong expectation, an error that did not happen).
    if outcome.passed:
        assert outcome.message.startswith("rejected as expected"), outcome.message
    else:
        assert outcome.message
