"""The duration history: longest known files first, unknown ones before them; a damaged history is
no history; -j 2 reports in file order like -j 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from jitvm.distributed import durations
from tests.conftest import fixture_path


def test_longest_first_puts_unknown_files_first():
    history = {"a": 1.0, "b": 30.0, "c": 0.5}
    assert durations.longest_first(["a", "x", "b", "c", "y"], history) == [1, 4, 2, 0, 3]
    assert durations.longest_first(["a", "b"], {}) == [0, 1]


def test_record_merges_and_a_damaged_file_is_empty(tmp_path):
    path = tmp_path / "history.json"
    durations.record({"a": 1.25}, path)
    durations.record({"b": 2.0, "a": 3.0}, path)
    assert durations.load(path) == {"a": 3.0, "b": 2.0}
    path.write_text("{not json")
    assert durations.load(path) == {}
    path.write_text("[1, 2]")
    assert durations.load(path) == {}


def test_parallel_run_learns_durations_and_reports_in_file_order(tmp_path):
    folder = fixture_path("evm", "GeneralStateTests", "stExample")
    env = {**os.environ, durations.DURATIONS_ENV: str(tmp_path / "history.json")}

    def statetest(*args):
        completed = subprocess.run([sys.executable, "-m", "jitvm", "statetest", str(folder), "--json", *args],
                                   capture_output=True, text=True, timeout=600, env=env)
        assert completed.returncode == 0, completed.stderr
        return json.loads(completed.stdout)

    serial = statetest("-j", "1")
    learned = durations.load(tmp_path / "history.json")
    files = sorted(folder.rglob("*.json"))
    assert set(learned) == {durations.content_key(path.read_bytes()) for path in files}
    assert statetest("-j", "2") == serial  # handed out longest first, reported in file order
