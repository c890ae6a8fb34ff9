"""`jitvm bench --dask`: the same workloads, engines, answers and JSON shape as a local run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("distributed", reason="--dask needs dask[distributed] (the dask extra)")

WORKLOADS = {"workloads": [
    {"kind": "evm", "name": "return7", "code": "0x600760005260206000f3",
     "expected_output": "0x" + "00" * 31 + "07"},
    {"kind": "evm", "name": "wrong", "code": "0x600860005260206000f3",
     "expected_output": "0x" + "00" * 31 + "07"},  # every engine answers 8: FAILED, never timed
    {"kind": "bpf", "name": "seven", "program": "mov %r0, 7\nexit", "expected_r0": 7},
]}


def bench(tmp_path, name, *extra):
    workloads = tmp_path / "workloads.json"
    workloads.write_text(json.dumps(WORKLOADS))
    report = tmp_path / f"{name}.json"
    completed = subprocess.run(
        [sys.executable, "-m", "jitvm", "bench", "--workload", str(workloads), "--engines", "reference,baseline",
         "--repeat", "2", "--budget", "0.05", "--json", str(report), *extra],
        capture_output=True, text=True, timeout=600, env=os.environ)
    return completed, json.loads(report.read_text())


def _shape(report):
    return [(m["kind"], m["workload"], m["engine"], m["status"], len(m["samples"]) > 0)
            for m in report["results"]]


def test_dask_bench_measures_what_a_local_run_does(tmp_path):
    local, local_report = bench(tmp_path, "local")
    distributed, dask_report = bench(tmp_path, "dask", "--dask", "local:2")
    assert local.returncode == distributed.returncode == 1, distributed.stderr  # the wrong workload
    assert _shape(dask_report) == _shape(local_report)
    assert set(dask_report) == set(local_report)
    assert any("Dask cluster" in note for note in dask_report["notes"])


def test_dask_and_instruction_counts_do_not_mix(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "jitvm", "bench", "--quick", "--timer", "instructions",
                                "--dask", "local:1"], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 2 and "--dask" in completed.stderr
    assert completed.stderr.strip().count("\n") == 0
