"""The svm benchmark (jitvm.bench.svm_ledger) checks its results against LiteSVM before timing;
run it small so it stays correct."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

from jitvm.bench.svm_ledger import bench, main
from tests.conftest import fixture_path


def test_svm_bench_runs_and_agrees_with_litesvm():
    timings = bench(12, ["reference"], fixture_path("svm", "programs", "token.so").read_bytes())
    assert set(timings) == {"litesvm", "reference"} and all(value > 0 for value in timings.values())


def test_svm_bench_command(capsys):
    elf = fixture_path("svm", "programs", "token.so")
    assert main(["--transfers", "4", "--engine", "reference", "--elf", str(elf)]) == 0
    assert "us/transaction" in capsys.readouterr().out
