"""`jitvm fuzz --journal FILE`: a campaign killed mid-run goes on where it stopped, and its summary is
that of an uninterrupted run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from jitvm.errors import InputError
from jitvm.fuzz import campaign
from jitvm.fuzz.journal import Journal

OPTIONS = {"target": "bpf", "seed": 3, "batch": 10, "engines": ("baseline",), "peers": ()}


def fuzz_command(*args):
    return [sys.executable, "-m", "jitvm", "fuzz", *args]


def run_fuzz(*args):
    return subprocess.run(fuzz_command(*args), capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COLUMNS": "200"})


def tally(stdout: str) -> dict[str, int]:
    rows = re.findall(r"│ (\S[^│]*?)\s+│\s+([\d,]+) │", stdout)
    return {status: int(count.replace(",", "")) for status, count in rows}


def batch_lines(path) -> list[dict]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}") and '"first_seed"' in line]


def test_remaining_skips_finished_batches_and_goes_on_in_a_partial_one():
    specs = list(campaign.batches("bpf", 0, 25, 10, ("baseline",), (), True))
    assert [(s.first_seed, s.count) for s in specs] == [(0, 10), (10, 10), (20, 5)]
    # batch 0 done; batch 10 done up to 13 by an earlier, smaller --count, and 13..14 by the one after
    left = list(campaign.remaining(specs, {0: 10, 10: 3, 13: 2, 20: 5}))
    assert [(s.first_seed, s.count) for s in left] == [(15, 5)]


def test_a_journal_adds_up_sessions_and_drops_a_line_cut_short(tmp_path):
    path = tmp_path / "campaign.jsonl"
    first = Journal.open(path, OPTIONS)
    first.record(3 << 32, 10, {"ok": 7, "rejected": 3}, 0, [])
    first.close()
    with open(path, "a") as handle:
        handle.write('{"first_seed": 1288')  # a stop in the middle of a write
    second = Journal.open(path, OPTIONS)
    assert second.session == 2
    assert second.earlier.programs == 10 and second.earlier.statuses == {"ok": 7, "rejected": 3}
    assert second.earlier.done == {3 << 32: 10}
    second.record((3 << 32) + 10, 10, {"ok": 10}, 0, [{"seed": 5, "reproducer": "x"}])
    second.close()
    third = Journal.open(path, OPTIONS)
    assert third.earlier.programs == 20 and third.earlier.sessions == 2
    assert third.earlier.mismatches == [{"seed": 5, "reproducer": "x"}]
    third.close()
    assert all(line.startswith("{") and line.endswith("}") for line in path.read_text().splitlines())


def test_a_journal_of_another_campaign_is_refused(tmp_path):
    path = tmp_path / "campaign.jsonl"
    Journal.open(path, OPTIONS).close()
    with pytest.raises(InputError, match="belongs to another campaign: seed 3 \\(now 4\\)"):
        Journal.open(path, {**OPTIONS, "seed": 4})
    (tmp_path / "other.txt").write_text("hello\n")
    with pytest.raises(InputError, match="not a jitvm fuzz journal"):
        Journal.open(tmp_path / "other.txt", OPTIONS)


def test_a_killed_campaign_resumes_to_the_same_totals(tmp_path):
    options = ["evm", "--count", "48", "--batch", "4", "--seed", "21", "--no-pyrevm", "--out", str(tmp_path)]
    whole = run_fuzz(*options)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    journal = tmp_path / "campaign.jsonl"
    process = subprocess.Popen(fuzz_command(*options, "--journal", str(journal)), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(batch_lines(journal)) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = len(batch_lines(journal))
    assert 2 <= done_before < 12, "the run was not stopped in the middle"

    resumed = run_fuzz(*options, "--journal", str(journal))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert tally(resumed.stdout) == tally(whole.stdout) and sum(tally(whole.stdout).values()) == 48
    assert "campaign: 48 programs" in resumed.stdout and "over 2 sessions" in resumed.stdout
    assert f"this session: {48 - 4 * done_before} programs" in resumed.stdout
    firsts = [line["first_seed"] for line in batch_lines(journal)]
    assert sorted(firsts) == [(21 << 32) + 4 * index for index in range(12)], "a batch ran twice or not at all"

    again = run_fuzz(*options, "--journal", str(journal))  # nothing left: the summary alone
    assert "campaign: 48 programs" in again.stdout and "this session: 0 programs" in again.stdout
    assert tally(again.stdout) == tally(whole.stdout)

    other_seed = [("22" if option == "21" else option) for option in options]
    refused = run_fuzz(*other_seed, "--journal", str(journal))
    assert refused.returncode == 2 and "belongs to another campaign" in refused.stderr
