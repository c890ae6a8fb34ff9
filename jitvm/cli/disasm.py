"""`jitvm disasm CODE|FILE`: a table-driven disassembly of EVM bytecode."""

from __future__ import annotations

import argparse

from jitvm.cli.common import console, read_code_argument
from jitvm.evm import DEFAULT_FORK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", metavar="CODE|FILE", help="bytecode as hex, or a file holding it")
    parser.add_argument("--fork", default=DEFAULT_FORK, help=f"fork whose opcode table to use (default {DEFAULT_FORK})")
    parser.add_argument("--plain", action="store_true", help="one instruction per line, no table")


def run(args: argparse.Namespace) -> int:
    from jitvm.errors import InputError
    from jitvm.evm.disasm import disassemble
    from jitvm.evm.forks import canonical_fork_name

    code = read_code_argument(args.code)
    try:
        fork = canonical_fork_name(args.fork)
    except KeyError:
        raise InputError("--fork", f"unknown fork {args.fork!r}") from None
    listing = disassemble(code, fork)
    if args.plain:
        for instruction in listing:
            print(f"{instruction.offset:06x}  {instruction.text}")
        return 0
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    table.add_column("offset", justify="right", style="dim")
    table.add_column("bytes", style="dim")
    table.add_column("instruction")
    for instruction in listing:
        raw = bytes([instruction.byte]) + instruction.immediate
        shown = raw.hex() if len(raw) <= 8 else raw[:8].hex() + "…"
        style = "red" if instruction.mnemonic == "UNDEFINED" else ("bold cyan" if instruction.mnemonic == "JUMPDEST" else None)
        table.add_row(f"{instruction.offset:#06x}", shown, instruction.text, style=style)
    console().print(table)
    return 0
