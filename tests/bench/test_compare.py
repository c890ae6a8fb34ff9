"""The regression gate: ratios to a normalizer measured in the same run, and the command around it.

The end-to-end test slows the reference on purpose (JITVM_BENCH_SLOWDOWN) and checks that
--compare catches it, and that an unchanged run passes."""

import json

import pytest

from jitvm.bench.compare import compare, load_baseline, parse_threshold, passed
from jitvm.bench.results import OK, BenchRun, Measurement, to_json
from jitvm.cli.main import main
from jitvm.errors import InputError

from .helpers import evm_fibonacci, write_workloads


def document(times: dict[tuple[str, str], float], kind="evm") -> dict:
    """A results document with one timed sample per (workload, engine)."""
    run = BenchRun()
    for (workload, engine), seconds in times.items():
        run.measurements.append(Measurement(kind, workload, "main", engine, engine in ("pyrevm", "py-evm"), "gas",
                                            status=OK, units=1000, samples=[seconds]))
    return to_json(run)


def test_a_machine_twice_as_slow_is_not_a_regression():
    before = document({("w", "baseline"): 1.0, ("w", "pyrevm"): 0.5})
    after = document({("w", "baseline"): 2.0, ("w", "pyrevm"): 1.0})
    comparison = compare(before, after, 0.10)
    (row,) = comparison.rows
    assert (row.engine, row.basis, row.regressed) == ("baseline", "pyrevm", False)
    assert row.change == pytest.approx(0)
    assert passed(comparison)


def test_an_engine_slower_against_the_normalizer_is_a_regression():
    before = document({("w", "baseline"): 1.0, ("w", "pyrevm"): 0.5, ("v", "baseline"): 1.0, ("v", "pyrevm"): 1.0})
    after = document({("w", "baseline"): 1.3, ("w", "pyrevm"): 0.5, ("v", "baseline"): 1.05, ("v", "pyrevm"): 1.0})
    comparison = compare(before, after, 0.10)
    assert [(r.workload, round(r.change, 2)) for r in comparison.regressions] == [("w", 0.3)]
    assert not passed(comparison)


def test_normalizer_choice_and_absolute_fallback():
    before = document({("w", "baseline"): 1.0, ("w", "reference"): 10.0, ("w", "pyrevm"): 0.5})
    after = document({("w", "baseline"): 1.0, ("w", "reference"): 20.0})  # pyrevm missing now
    rows = {r.engine: r for r in compare(before, after, 0.10).rows}
    assert rows["baseline"].basis == "absolute" and not rows["baseline"].regressed
    assert rows["reference"].basis == "absolute" and rows["reference"].regressed
    rows = {r.engine: r for r in compare(before, after, 0.10, normalize_to="reference").rows}
    assert set(rows) == {"baseline"}  # the normalizer is not judged
    assert rows["baseline"].basis == "reference" and rows["baseline"].change == pytest.approx(-0.5)
    rows = {r.engine: r for r in compare(before, before, 0.10, normalize_to="none").rows}
    assert {r.basis for r in rows.values()} == {"absolute"} and "pyrevm" not in rows  # peers are not judged


def test_nothing_in_common_does_not_pass():
    comparison = compare(document({("w", "baseline"): 1.0}), document({("v", "baseline"): 1.0}), 0.10)
    assert comparison.rows == [] and not passed(comparison)


def test_thresholds():
    assert parse_threshold("10%") == pytest.approx(0.10)
    assert parse_threshold("2.5") == pytest.approx(0.025)
    with pytest.raises(InputError, match="--max-regression"):
        parse_threshold("ten")


def test_a_baseline_that_is_not_a_results_file_is_named(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"format": "jitvm-bench-results"}))
    with pytest.raises(InputError, match=r"baseline.json: version: missing"):
        load_baseline(path)
    path.write_text("{")
    with pytest.raises(InputError, match="malformed JSON"):
        load_baseline(path)


@pytest.mark.peers
def test_compare_catches_a_slowed_engine_and_passes_an_unchanged_one(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pyrevm", reason="the normalizer here is pyrevm (the `peers` extra)")
    monkeypatch.setenv("COLUMNS", "200")
    workloads = write_workloads(tmp_path, evm_fibonacci(300))
    baseline = tmp_path / "baseline.json"
    common = ["bench", "--workload", str(workloads), "--engines", "reference,pyrevm", "--repeat", "5", "--budget", "0.2"]
    assert main([*common, "--json", str(baseline)]) == 0

    gate = [*common, "--compare", str(baseline), "--max-regression", "100%"]
    capsys.readouterr()
    assert main(gate) == 0
    assert "no regression beyond 100% (1 timings compared)" in capsys.readouterr().out

    monkeypatch.setenv("JITVM_BENCH_SLOWDOWN", "reference=5")
    assert main(gate) == 1
    out = capsys.readouterr().out
    assert "REGRESSION: 1 of 1 timings slower" in out
    assert "evm/fibonacci-300 on reference +" in out
    assert "JITVM_BENCH_SLOWDOWN is set" in out
