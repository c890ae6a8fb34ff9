"""Pieces the subcommands share: engine and fork options, reading code arguments, the console."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from jitvm.errors import InputError, parse_hex

EVM_ENGINE_CHOICES = ("reference", "baseline", "jit", "auto")


def add_engine_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine", default="auto", choices=EVM_ENGINE_CHOICES,
        help="execution engine (default: auto: the reference for a short run, then the baseline "
             "interpreter, and the JIT for hot code)",
    )


def resolve_evm_engine(name: str):
    from jitvm.evm.engines import get_engine

    try:
        return get_engine(name)
    except KeyError as exc:
        raise InputError("--engine", str(exc.args[0])) from None


def resolve_fork(name: str):
    from jitvm.evm.forks import UnsupportedFork, get_fork

    try:
        return get_fork(name)
    except KeyError:
        from jitvm.evm.opcodes import fork_names

        raise InputError("--fork", f"unknown fork {name!r} (known: {', '.join(fork_names())})") from None
    except UnsupportedFork as exc:
        raise InputError("--fork", str(exc)) from None


def is_file(path: Path) -> bool:
    """Whether `path` names a file; False for text no file system could name (a long hex argument:
    ENAMETOOLONG, or a NUL byte), which Path.is_file raises on."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    """Whether `path` names a folder, with `is_file`'s tolerance of text that cannot be a name."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def read_code_argument(text: str, what: str = "CODE") -> bytes:
    """A hex string, or the path of a file holding hex (or raw bytes if it is not hex text)."""
    path = Path(text)
    if is_file(path):
        raw = path.read_bytes()
        try:
            stripped = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            return raw
        return parse_hex(stripped, str(path))
    if len(text) > 2 and ("/" in text or text.endswith((".hex", ".bin", ".evm"))) and not is_dir(path):
        raise InputError(text, "no such file")
    return parse_hex(text, what)


_ANSI_COLOURS = {"red": 31, "green": 32, "yellow": 33}


def coloured(text: str, colour: str) -> str:
    """`text` in `colour` when stdout is a terminal (and NO_COLOR is unset), else as it is: for the
    few plain lines a quick command prints, where loading rich would cost more than the run."""
    if os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        return text
    return f"\x1b[{_ANSI_COLOURS[colour]}m{text}\x1b[0m"


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False, file=sys.stderr if stderr else None)
