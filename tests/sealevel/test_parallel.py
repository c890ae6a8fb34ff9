"""Replaying on two threads gives exactly the sequential run: every result, every account."""

from __future__ import annotations

import pytest

pytest.importorskip("solders", reason="jitvm.svm is built on solders (the peers extra)")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jitvm.sealevel.parallel import plan, run_in_order
from tests.sealevel.ledgers import bank, loop_calls, summary, transfers

ENGINES = ["reference", "baseline", "jit"]


def _run(engine, wallets, count, seed, threads, loops=0):
    svm, keys = bank(engine, wallets, loop_iterations=200 if loops else 0)
    batch = transfers(svm, keys, count, seed)
    if loops:
        batch += loop_calls(svm, keys, loops, seed)
    results = run_in_order(svm, batch, threads)
    return summary(svm, results, keys)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), wallets=st.sampled_from([2, 4, 16, 200]), count=st.integers(1, 60))
def test_two_threads_equal_one(seed, wallets, count):
    assert _run("reference", wallets, count, seed, 2) == _run("reference", wallets, count, seed, 1)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("wallets", [2, 50])
def test_two_threads_equal_one_with_programs(engine, wallets):
    sequential = _run(engine, wallets, 30, 7, 1, loops=10)
    assert _run(engine, wallets, 30, 7, 2, loops=10) == sequential
    assert any("Error" in row[0] or "Insufficient" in row[0] for row in sequential[0])  # failures are in it


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), wallets=st.sampled_from([1, 2, 3, 8, 64, 500]), count=st.integers(1, 150))
def test_many_ledgers(engine, seed, wallets, count):
    """Transfers and calls of the loop program (so the engine runs in the workers)."""
    assert _run(engine, wallets, count, seed, 2, loops=8) == _run(engine, wallets, count, seed, 1, loops=8)


def test_a_transaction_waits_for_the_last_writer_and_the_readers_since():
    svm, keys = bank("reference", 3)
    a, b, c = keys
    batch = transfers(svm, [a, b], 1, 1) + transfers(svm, [c], 1, 2) + transfers(svm, [a, b], 1, 3)
    planned = plan(batch, svm)
    assert planned[0].waits_for == []
    assert planned[1].waits_for == []  # c alone: no shared account
    assert planned[2].waits_for == [0]


def test_command_line_replay_on_two_threads_prints_the_sequential_report(tmp_path, capsys):
    pytest.importorskip("solders.litesvm", reason="the ledger is built with LiteSVM")
    from jitvm.cli.main import main
    from tests.svm.test_cli_svm import _ledger

    path = _ledger(tmp_path)[0]
    reports = []
    for threads in ("1", "2"):
        assert main(["svm", "run", str(path), "--json", "--threads", threads]) == 0
        reports.append(capsys.readouterr().out)
    assert reports[0] == reports[1] and '"transactions"' in reports[0]
    assert main(["svm", "run", str(path), "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err
