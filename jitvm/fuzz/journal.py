"""A campaign's journal (`jitvm fuzz --journal FILE`): what has been done, kept across restarts.

A million programs take hours and a days-long campaign will be stopped (a reboot, a killed job, a
Ctrl-C). The journal is a JSON-lines file: a first line with the campaign's options, then one line
per finished batch (its seeds, its tally by outcome, its mismatches and their reproducer files, and
the time into its session), appended and synced to disk as the batch arrives. A run given the same
journal skips the batches it lists and adds its own, so the campaign's summary covers every
session: programs, outcomes, mismatches and the time of all sessions together.

A batch that was running when the process stopped is not in the journal and runs again; a line cut
short by the stop is dropped when the journal is next opened.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from jitvm.errors import InputError

FORMAT = "jitvm fuzz journal 1"
# The options that decide which programs a seed range is and how they are checked: a journal written
# with other values describes another campaign.
CAMPAIGN_OPTIONS = ("target", "seed", "batch", "engines", "peers")


@dataclass
class Campaign:
    """What the journal says was done before this session."""

    programs: int = 0
    statuses: Counter = field(default_factory=Counter)
    peers_skipped: int = 0
    seconds: float = 0.0  # wall time of the earlier sessions together
    sessions: int = 0
    done: dict[int, int] = field(default_factory=dict)  # first seed of a finished batch -> its programs
    mismatches: list[dict] = field(default_factory=list)


class Journal:
    def __init__(self, path: Path, handle, earlier: Campaign, session: int):
        self.path = path
        self._handle = handle
        self.earlier = earlier
        self.session = session
        self._started = time.monotonic()

    @classmethod
    def open(cls, path, options: dict) -> "Journal":
        """Open (or start) the journal at `path` for a campaign with `options` (CAMPAIGN_OPTIONS);
        an InputError if it belongs to another campaign or is not a journal."""
        path = Path(path)
        header = {"format": FORMAT, **{name: _plain(options[name]) for name in CAMPAIGN_OPTIONS}}
        earlier = Campaign()
        new = not (path.exists() and path.stat().st_size)
        if new:
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            earlier = _read(path, header)
        handle = open(path, "a", encoding="utf-8")
        journal = cls(path, handle, earlier, earlier.sessions + 1)
        if new:
            journal._append(header)
        journal._append({"session": journal.session, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        return journal

    def record(self, first_seed: int, programs: int, statuses: Counter, peers_skipped: int,
               mismatches: list[dict]) -> None:
        """A finished batch, on disk before this returns."""
        self._append({"first_seed": first_seed, "programs": programs, "statuses": dict(statuses),
                      "peers_skipped": peers_skipped, "mismatches": mismatches,
                      "session": self.session, "elapsed": round(self.elapsed(), 3)})

    def close(self) -> None:
        """Note the session's end (its time after the last batch counts too)."""
        self._append({"session": self.session, "elapsed": round(self.elapsed(), 3)})
        self._handle.close()

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def _append(self, entry: dict) -> None:
        self._handle.write(json.dumps(entry, sort_keys=True) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())


def _read(path: Path, header: dict) -> Campaign:
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):  # a line cut short by a stop mid-write: drop it so the next line starts clean
        with open(path, "r+b") as handle:
            handle.truncate(end)
        data = data[:end]
    lines = data.decode("utf-8", "replace").splitlines()
    try:
        entries = [json.loads(line) for line in lines if line.strip()]
    except json.JSONDecodeError as error:
        raise InputError(str(path), f"not a jitvm fuzz journal (line {error.lineno}: {error.msg})") from None
    if not entries or entries[0].get("format") != FORMAT:
        raise InputError(str(path), "not a jitvm fuzz journal (its first line is not a journal header)")
    written = entries[0]
    differing = [name for name in CAMPAIGN_OPTIONS if written.get(name) != header[name]]
    if differing:
        detail = ", ".join(f"{name} {_show(written.get(name))} (now {_show(header[name])})" for name in differing)
        raise InputError(str(path), f"belongs to another campaign: {detail}; use another journal file")
    campaign = Campaign()
    session_time: dict[int, float] = {}
    for entry in entries[1:]:
        session = entry.get("session", 0)
        session_time[session] = max(session_time.get(session, 0.0), entry.get("elapsed", 0.0))
        if "first_seed" not in entry or entry["first_seed"] in campaign.done:
            continue
        campaign.done[entry["first_seed"]] = entry["programs"]
        campaign.programs += entry["programs"]
        campaign.statuses.update(entry["statuses"])
        campaign.peers_skipped += entry["peers_skipped"]
        campaign.mismatches.extend(entry["mismatches"])
    campaign.sessions = max(session_time, default=0)
    campaign.seconds = sum(session_time.values())
    return campaign


def _plain(value):
    """An option as JSON gives it back (tuples are lists)."""
    return list(value) if isinstance(value, tuple) else value


def _show(value) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)
