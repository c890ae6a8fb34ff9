"""Random ledgers (tests/svm/random_ledger.py) give results identical to LiteSVM, transaction by
transaction: a small sample by default, many more and longer ones under --slow."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.svm.random_ledger import run_random_ledger

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEEDS)
def test_random_ledger_sample(seed):
    world = run_random_ledger(seed, transactions=40)
    assert world.sent >= 20  # most steps build a transaction (the rest had nothing to act on)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["reference", "baseline", "jit"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEEDS)
def test_random_ledgers_long(engine, seed):
    world = run_random_ledger(seed, transactions=300, engine=engine)
    assert world.sent >= 150
