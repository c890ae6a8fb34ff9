"""`jitvm statetest --dask local:2`: the same report as a local run, also when a worker dies mid-run."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import fixture_path

pytest.importorskip("distributed", reason="--dask needs dask[distributed] (the dask extra)")

# A slice with several files per folder, cases that pass and cases of forks that are not run.
SLICE = [("stExample",), ("stSLoadTest",), ("VMTests", "vmBitwiseLogicOperation")]


def statetest(*args, env=None):
    return subprocess.run([sys.executable, "-m", "jitvm", "statetest", *args], capture_output=True, text=True,
                          timeout=600, env={**os.environ, **(env or {})})


def _slice() -> list[str]:
    return [str(fixture_path("evm", "GeneralStateTests", *parts)) for parts in SLICE]


@pytest.fixture(scope="module")
def local_report():
    completed = statetest(*_slice(), "--json", "-j", "1")
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_dask_run_reports_what_a_local_run_does(local_report):
    completed = statetest(*_slice(), "--json", "--dask", "local:2")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == local_report
    assert len(local_report) > 50
    assert "dask: 2 workers" in completed.stderr and "0 run again after a worker was lost" in completed.stderr


def test_a_killed_worker_loses_no_result(local_report, tmp_path):
    marker = tmp_path / "killed"
    completed = statetest(*_slice(), "--json", "--dask", "local:2",
                          env={"JITVM_DASK_KILL_WORKER_ONCE": str(marker)})
    assert marker.exists(), "no task killed its worker"
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == local_report
    summary = completed.stderr.splitlines()[-1]
    assert "run again after a worker was lost" in summary and not summary.startswith("dask: 2 workers, 0"), summary


def test_failures_and_exit_status_match(tmp_path):
    broken = json.loads(fixture_path("evm", "GeneralStateTests", "stExample", "add11.json").read_text())
    test = next(iter(broken.values()))
    test["post"]["Cancun"][0]["hash"] = "0x" + "11" * 32
    path = tmp_path / "wrong_root.json"
    path.write_text(json.dumps(broken))
    local = statetest(str(path), "--json")
    distributed = statetest(str(path), "--json", "--dask", "local:1")
    assert local.returncode == distributed.returncode == 1
    assert json.loads(distributed.stdout) == json.loads(local.stdout)
    assert not json.loads(distributed.stdout)[0]["pass"]


def test_trace_and_dask_do_not_mix():
    completed = statetest(str(fixture_path("evm", "GeneralStateTests", "stExample", "add11.json")),
                          "--trace", "--dask", "local:1")
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0 and "--dask" in completed.stderr
