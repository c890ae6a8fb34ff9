"""Entry point of the `jitvm` command: builds the parser from the subcommand modules and turns
user mistakes (`InputError`) into one-line errors with exit status 2."""

from __future__ import annotations

import argparse
import importlib
import sys

from jitvm import __version__
from jitvm.errors import InputError

# Subcommand name -> module under jitvm.cli. Each module defines `add_arguments(parser)` and
# `run(args) -> int`; modules are imported only when their command runs, so `jitvm --help` is quick.
SUBCOMMANDS = {
    "statetest": ("jitvm.cli.statetest", "run Ethereum state tests (files or folders)"),
    "run": ("jitvm.cli.run", "run EVM runtime code on a fresh state"),
    "disasm": ("jitvm.cli.disasm", "disassemble EVM bytecode"),
    "bench": ("jitvm.cli.bench", "benchmark the engines on bundled or user workloads"),
    "bpf": ("jitvm.cli.bpf", "run, disassemble or serve BPF / sBPF programs"),
    "t8n": ("jitvm.cli.t8n", "geth-compatible state transition tool"),
    "wasm": ("jitvm.cli.wasm", "run MultiversX-style Wasm contract scenarios"),
    "calibrate": ("jitvm.cli.calibrate", "time each VM's instructions against their gas"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jitvm", description="Fast, exact EVM and BPF execution.")
    parser.add_argument("--version", action="version", version=f"jitvm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module_name=module_name)
        module = _load(module_name)
        if module is not None:
            module.add_arguments(sub)
    return parser


def _load(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None  # command not built yet in this checkout
        raise


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # a command may start itself again (bench under valgrind)
    module = _load(args.module_name)
    if module is None:
        parser.error(f"command {args.command!r} is not available in this build")
    try:
        return int(module.run(args) or 0)
    except InputError as exc:
        print(f"jitvm {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"jitvm {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
