"""`jitvm fuzz --dask local:2`: the same programs and tally as a local run, also when a worker dies."""

import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("distributed", reason="--dask needs dask[distributed] (the dask extra)")


def fuzz(*args, env=None):
    return subprocess.run([sys.executable, "-m", "jitvm", "fuzz", *args], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "COLUMNS": "200", **(env or {})})


def tally(stdout: str) -> dict[str, int]:
    """The summary table's rows: how the reference ended, and how many programs did."""
    rows = re.findall(r"│ (\S[^│]*?)\s+│\s+([\d,]+) │", stdout)
    return {status: int(count.replace(",", "")) for status, count in rows}


@pytest.mark.parametrize("target", ["evm", "bpf"])
def test_dask_fuzzing_tallies_like_a_local_run(target, tmp_path):
    options = [target, "--count", "24", "--batch", "4", "--seed", "11", "--out", str(tmp_path)]
    local = fuzz(*options)
    distributed = fuzz(*options, "--dask", "local:2")
    assert local.returncode == distributed.returncode == 0, distributed.stdout + distributed.stderr
    assert tally(local.stdout) == tally(distributed.stdout) and sum(tally(local.stdout).values()) == 24
    assert "24 programs" in distributed.stdout and "dask: 2 workers, 6 tasks" in distributed.stdout


def test_a_killed_worker_loses_no_batch(tmp_path):
    options = ["evm", "--count", "24", "--batch", "4", "--seed", "12", "--out", str(tmp_path)]
    local = fuzz(*options)
    marker = tmp_path / "killed"
    distributed = fuzz(*options, "--dask", "local:2", env={"JITVM_DASK_KILL_WORKER_ONCE": str(marker)})
    assert marker.exists()
    assert distributed.returncode == 0, distributed.stdout + distributed.stderr
    assert tally(distributed.stdout) == tally(local.stdout)
    assert not re.search(r"dask: \d+ workers, 6 tasks, 0 run again", distributed.stdout), distributed.stdout
