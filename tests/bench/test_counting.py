"""Instruction counting (`--timer instructions`): what is checked before valgrind starts, how counts
are compared, and (slow, needs valgrind) that two runs count the same and a slowdown is caught."""

import json
import os
import shutil

import pytest

from jitvm.bench.compare import INCONCLUSIVE, OK_VERDICT, REGRESSED, compare
from jitvm.bench.counting import OUTPUT_DIR_ENV
from jitvm.bench.results import OK, BenchRun, Measurement, to_json
from jitvm.cli.main import main

from .helpers import bpf_length, evm_fibonacci, write_workloads


def document(samples: dict[str, list[float]], timer: str) -> dict:
    run = BenchRun(settings={"timer": timer})
    for engine, values in samples.items():
        run.measurements.append(Measurement("evm", "w", "main", engine, engine == "pyrevm", "gas",
                                            status=OK, units=1000, samples=values))
    return to_json(run)


def test_counts_are_compared_as_they_are():
    before = document({"jit": [1000.0, 1000.0, 1001.0], "pyrevm": [5.0, 5.0, 5.0]}, "instructions")
    after = document({"jit": [1060.0, 1061.0, 1060.0], "pyrevm": [9.0, 9.0, 9.0]}, "instructions")
    (row,) = compare(before, after, 0.05).rows
    assert row.basis == "instructions" and row.low == row.high == pytest.approx(0.06)  # no normalizer, exact
    assert row.verdict == REGRESSED
    assert compare(before, after, 0.10).rows[0].verdict == OK_VERDICT


def test_timed_rows_get_intervals_and_can_be_inconclusive():
    before = document({"jit": [1.0, 1.1, 0.9, 1.0, 1.2, 0.8], "pyrevm": [1.0] * 6}, "cpu")
    slower = document({"jit": [1.5, 1.6, 1.4, 1.5, 1.55, 1.45], "pyrevm": [1.0] * 6}, "cpu")
    noisy = document({"jit": [0.8, 1.4, 0.9, 1.3, 1.0, 1.2], "pyrevm": [1.0] * 6}, "cpu")
    (row,) = compare(before, slower, 0.10).rows
    assert row.verdict == REGRESSED and row.low > 0.10 and row.low < row.change < row.high
    (row,) = compare(before, noisy, 0.10).rows
    assert row.verdict == INCONCLUSIVE and row.low < 0.10 < row.high
    (row,) = compare(before, before, 0.10).rows
    assert row.verdict in (OK_VERDICT, INCONCLUSIVE) and row.change == 0


def test_without_valgrind_the_instruction_timer_is_an_input_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(OUTPUT_DIR_ENV, raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    workloads = write_workloads(tmp_path, bpf_length())
    assert main(["bench", "--workload", str(workloads), "--timer", "instructions"]) == 2
    assert "--timer instructions: valgrind not found" in capsys.readouterr().err


def test_counts_and_times_cannot_be_compared(tmp_path, capsys):
    baseline = tmp_path / "timed.json"
    workloads = write_workloads(tmp_path, bpf_length())
    assert main(["bench", "--workload", str(workloads), "--engines", "reference", "--json", str(baseline)]) == 0
    capsys.readouterr()
    assert main(["bench", "--workload", str(workloads), "--timer", "instructions", "--compare", str(baseline)]) == 2
    assert "instruction counts and times cannot be compared" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_two_counted_runs_agree_and_a_slowdown_is_caught(tmp_path):
    import subprocess
    import sys

    workloads = write_workloads(tmp_path, evm_fibonacci(300), bpf_length())
    command = [sys.executable, "-m", "jitvm", "bench", "--workload", str(workloads), "--engines", "reference",
               "--timer", "instructions"]
    environment = {key: value for key, value in os.environ.items() if key != "JITVM_BENCH_SLOWDOWN"}

    def bench(*extra, slowdown=None):
        env = dict(environment, **({"JITVM_BENCH_SLOWDOWN": slowdown} if slowdown else {}))
        return subprocess.run(command + list(extra), env=env, cwd=tmp_path, capture_output=True, text=True)

    first = bench("--json", str(tmp_path / "first.json"))
    assert first.returncode == 0, first.stderr[-2000:]
    counts = {r["workload"]: r["median"] for r in json.loads((tmp_path / "first.json").read_text())["results"]}
    assert counts["fibonacci-300"] > 1e6  # instructions, not seconds
    again = bench("--json", str(tmp_path / "again.json"), "--compare", str(tmp_path / "first.json"),
                  "--max-regression", "2%")
    assert again.returncode == 0, again.stdout[-2000:]
    for r in json.loads((tmp_path / "again.json").read_text())["results"]:
        assert r["median"] == pytest.approx(counts[r["workload"]], rel=0.01)
    slowed = bench("--compare", str(tmp_path / "first.json"), "--max-regression", "10%", slowdown="reference=1.25")
    assert slowed.returncode == 1 and "REGRESSION: 2 of 2" in slowed.stdout, slowed.stdout[-2000:]
