"""Where the instruction-set tables live: `jitvm/opcodes/` inside an installed wheel, the repository's
top-level `opcodes/` in a source checkout (editable installs included)."""

from __future__ import annotations

import tomllib
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def table_path(filename: str) -> Path:
    for folder in (_PACKAGE_DIR / "opcodes", _PACKAGE_DIR.parent / "opcodes"):
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"opcode table {filename} is missing from this jitvm installation")


def load_table(filename: str) -> dict:
    with table_path(filename).open("rb") as handle:
        return tomllib.load(handle)
