"""The `svm` group of jitvm bench: Solana transactions on jitvm's SVM and on LiteSVM, each jitvm
session checked transaction by transaction against LiteSVM before it is timed."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

from jitvm.bench import svm_cases
from tests.conftest import FIXTURES

SHORT = 40


@pytest.fixture
def short_cycles(monkeypatch):
    """Workloads of SHORT transactions (past the 32 signatures a bank remembers), built afresh for the test (and dropped after it)."""
    monkeypatch.setattr(svm_cases, "CYCLE", SHORT)
    cached = (svm_cases.ledger, svm_cases.expected)  # the originals, whatever a test patches
    for function in cached:
        function.cache_clear()
    svm_cases._SESSIONS.clear()
    yield
    for function in cached:
        function.cache_clear()
    svm_cases._SESSIONS.clear()


def test_bundled_programs_equal_the_shared_fixtures():
    shared = FIXTURES / "svm" / "programs"
    if not shared.is_dir():
        pytest.skip(f"shared fixtures not found: {shared}")
    names = ["LICENSE", "memo.so", "token.so"]
    assert sorted(path.name for path in svm_cases.PROGRAMS.iterdir()) == names
    assert filecmp.cmpfiles(shared, svm_cases.PROGRAMS, names, shallow=False)[1:] == ([], [])


@pytest.mark.parametrize("engine", ["baseline", "jit", "litesvm"])
@pytest.mark.parametrize("workload", svm_cases.WORKLOADS)
def test_sessions_agree_with_litesvm_and_keep_succeeding(short_cycles, workload, engine):
    case = next(case for case in svm_cases.svm_cases() if case.name == workload)
    call = svm_cases.SvmRunner(engine).prepare(case)
    observations = [call() for _ in range(2 * SHORT // case.per_call + 1)]  # past the end of the cycle, twice
    assert all(o.answer == "ok" and o.error is None for o in observations), observations[:3]


def test_a_session_that_differs_from_litesvm_fails_instead_of_being_timed(short_cycles, monkeypatch):
    wanted = list(svm_cases.expected("spl-token/transfer"))
    error, units, fee, logs = wanted[-1]
    wanted[-1] = (error, units + 1, fee, logs)
    monkeypatch.setattr(svm_cases, "expected", lambda name: tuple(wanted))
    observation = svm_cases.SvmRunner("baseline").prepare(svm_cases.SvmCase("spl-token/transfer"))()
    assert observation.error and "differs from LiteSVM" in observation.error


def test_bench_command_runs_the_svm_group(tmp_path):
    out = tmp_path / "svm.json"
    done = subprocess.run([sys.executable, "-m", "jitvm", "bench", "--quick", "--filter", "svm/",
                           "--engines", "jit,litesvm", "--budget", "0.2", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(out.read_text())["results"]
    assert {(row["workload"], row["engine"]) for row in rows} == {("spl-token/transfer", "jit"),
                                                                 ("spl-token/transfer", "litesvm")}
    assert all(row["status"] == "ok" and row["median"] > 0 for row in rows)
    assert "Solana transactions" in done.stdout
