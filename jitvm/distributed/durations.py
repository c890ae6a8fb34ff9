"""How long each task took last time, so the next run can start the longest first.

Spreading tasks over workers in file order lets one long task that comes late decide the wall time:
in GeneralStateTests one case (stTimeConsuming/CALLBlake2f_MaxRounds: 4.3 billion BLAKE2 rounds) is
about 40% of all the work and sits near the end of the file order, so one worker ran it alone while
the other had long finished. Nothing in a test file tells its cost beforehand (that file is 4 KB with
an ordinary gas limit), so runs remember it: every statetest run, local or distributed, records each
file's seconds under the SHA-256 of its bytes (a moved or renamed file keeps its history, an edited
one starts over), and the next run hands out the files with the longest known times first, files
without history before them (they may be long too).

The history is a small JSON file in jitvm's cache folder ($JITVM_DURATIONS_FILE chooses another);
it holds hints only, so a missing or damaged file just means file order.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

DURATIONS_ENV = "JITVM_DURATIONS_FILE"
FILE_NAME = "task-durations.json"
MAX_ENTRIES = 50_000  # the oldest entries go beyond this (a file of about 4 MB)


def history_path() -> Path:
    if os.environ.get(DURATIONS_ENV):
        return Path(os.environ[DURATIONS_ENV])
    from jitvm.jit.locations import default_directory

    return default_directory() / FILE_NAME


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def load(path: Path | None = None) -> dict[str, float]:
    try:
        found = json.loads((path or history_path()).read_text())
    except (OSError, ValueError):
        return {}
    return {key: float(value) for key, value in found.items() if isinstance(value, (int, float))} \
        if isinstance(found, dict) else {}


def longest_first(keys: list[str], history: dict[str, float]) -> list[int]:
    """Positions of `keys` in the order to start them: unknown ones first (in their order), then
    known ones from the longest to the shortest."""
    unknown = [index for index, key in enumerate(keys) if key not in history]
    known = sorted((index for index, key in enumerate(keys) if key in history), key=lambda i: -history[keys[i]])
    return unknown + known


def record(seconds_by_key: dict[str, float], path: Path | None = None) -> None:
    """Merge these durations into the history (written atomically; failures are ignored: hints only)."""
    if not seconds_by_key:
        return
    path = path or history_path()
    history = load(path)
    for key in seconds_by_key:
        history.pop(key, None)  # re-inserted at the end: the dict's order is the age order
    history.update({key: round(value, 4) for key, value in seconds_by_key.items()})
    while len(history) > MAX_ENTRIES:
        del history[next(iter(history))]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(history, separators=(",", ":")))
        os.replace(temporary, path)
    except OSError:
        pass
