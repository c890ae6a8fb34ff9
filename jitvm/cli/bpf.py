"""`jitvm bpf`: run or disassemble BPF / sBPF programs, or serve as a bpf_conformance plugin.

    jitvm bpf run FILE [--mem HEX | --mem-file F] [--engine NAME] [--sbpf VERSION]
    jitvm bpf disasm FILE [--sbpf VERSION] [--labels]
    jitvm bpf plugin [MEMORY_HEX]      (program as hex on stdin; r0 in hex on stdout)

FILE may be an ELF file, a bpf_conformance test (`.data`), assembly text, or raw 8-byte words.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jitvm.errors import InputError, parse_hex

ENGINE_CHOICES = ("reference", "baseline", "jit", "auto")  # see jitvm.bpf.engines
ELF_MAGIC = b"\x7fELF"
ASSEMBLY_SUFFIXES = (".asm", ".s", ".bpf")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="bpf_action", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="run a program and print r0, counts and logs")
    run.add_argument("file", help="ELF, .data test, assembly (.asm) or raw bytecode")
    memory = run.add_mutually_exclusive_group()
    memory.add_argument("--mem", metavar="HEX", help="input buffer as hex (r1 points to it)")
    memory.add_argument("--mem-file", metavar="FILE", help="input buffer from a file")
    _common(run)
    run.add_argument("--engine", choices=ENGINE_CHOICES, default="reference",
                     help="execution engine: reference, baseline (Numba interpreter), jit (block JIT), "
                          "or auto (baseline, then the JIT once hot)")
    run.add_argument("--budget", type=int, metavar="UNITS", help="compute budget (sBPF default 200000)")
    disasm = actions.add_parser("disasm", help="disassemble a program")
    disasm.add_argument("file", help="ELF, .data test, assembly (.asm) or raw bytecode")
    disasm.add_argument("--labels", action="store_true", help="name jump targets instead of offsets")
    _common(disasm)
    plugin = actions.add_parser("plugin", help="bpf_conformance plugin: program hex on stdin, r0 hex on stdout")
    plugin.add_argument("memory", nargs="?", default="", help="input memory as hex")
    plugin.add_argument("--engine", choices=ENGINE_CHOICES, default="reference")
    plugin.add_argument("--elf", action="store_true", help="stdin holds an ELF file (hex) instead of bytecode")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sbpf", type=int, choices=(0, 1, 2, 3), metavar="VERSION",
                        help="treat assembly or raw bytecode as sBPF version 0-3 (ELF files carry their version)")
    parser.add_argument("--profile", metavar="NAME", help="eBPF profile for assembly or raw bytecode (default ebpf-v4)")
    parser.add_argument("--section", metavar="NAME",
                        help="entry section of an eBPF object (default: its one code section besides .text)")


def run(args: argparse.Namespace) -> int:
    action = {"run": _run, "disasm": _disasm, "plugin": _plugin}[args.bpf_action]
    return action(args)


def _profile(args) -> str:
    if args.sbpf is not None:
        return f"sbpf-v{args.sbpf}"
    if args.profile:
        from jitvm.bpf.table import load_table

        if args.profile not in load_table().profiles:
            raise InputError("--profile", f"unknown profile {args.profile!r} "
                                          f"(known: {', '.join(load_table().profiles)})")
        return args.profile
    return "ebpf-v4"


def _load(path_text: str, profile: str, *, for_listing: bool = False, section: str | None = None):
    """The program in FILE and, for a .data test, its input memory."""
    from jitvm.bpf.conformance import load_test
    from jitvm.bpf.elf import load_elf
    from jitvm.bpf.program import Program

    path = Path(path_text)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path_text, exc.strerror or str(exc)) from None
    if data.startswith(ELF_MAGIC):
        # a listing also shows ELF files whose syscalls this build does not provide
        return load_elf(data, path_text, reject_broken_elfs=not for_listing, section=section), None
    if path.suffix == ".data":
        test = load_test(path)
        return Program(test.bytecode(profile), profile=profile, source=path_text), test.memory
    if path.suffix in ASSEMBLY_SUFFIXES or _looks_like_text(data):
        return Program.from_assembly(data.decode(), profile, source=path_text), None
    return Program(data, profile=profile, source=path_text), None


def _looks_like_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\n\r\t" for ch in text)


def _input_memory(args, default: bytes | None) -> bytes:
    if args.mem is not None:
        return parse_hex("".join(args.mem.split()), "--mem")
    if args.mem_file is not None:
        try:
            return Path(args.mem_file).read_bytes()
        except OSError as exc:
            raise InputError(args.mem_file, exc.strerror or str(exc)) from None
    return default or b""


def _run(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from jitvm.bpf.engines import run as run_program

    program, memory = _load(args.file, _profile(args), section=args.section)
    program.decoded  # reject a bad program before choosing an engine
    result = run_program(program, _input_memory(args, memory), engine=args.engine,
                         **({"compute_budget": args.budget} if args.budget is not None else {}))
    console = Console()
    summary = Table(show_header=False, box=None)
    summary.add_row("program", f"{program.source} ({program.profile}, {program.instruction_count} words)")
    summary.add_row("engine", args.engine)
    if result.ok:
        summary.add_row("r0", f"[bold green]{result.r0:#x}[/] ({result.r0})")
    else:
        summary.add_row("error", f"[bold red]{result.error}[/]")
    summary.add_row("instructions", f"{result.instructions:,}")
    summary.add_row("compute units", f"{result.compute_units:,}")
    console.print(summary)
    for line in result.logs:
        console.print(line, markup=False, highlight=False)
    return 0 if result.ok else 1


def _disasm(args) -> int:
    from rich.console import Console

    from jitvm.bpf.disassembler import disassemble

    program, _ = _load(args.file, _profile(args), for_listing=True, section=args.section)
    text = disassemble(program.code, program.profile, labels=args.labels, names=program.symbols)
    Console().print(text, markup=False, highlight=False, end="")
    return 0


def _plugin(args) -> int:
    """The bpf_conformance plugin protocol: errors go to stderr with a non-zero exit."""
    from jitvm.bpf.elf import load_elf
    from jitvm.bpf.engines import run as run_program
    from jitvm.bpf.program import Program

    memory = parse_hex("".join(args.memory.split()), "memory argument")
    code = parse_hex("".join(sys.stdin.read().split()), "stdin")
    program = load_elf(code, "stdin") if args.elf else Program(code, source="stdin")
    program.decoded
    result = run_program(program, memory, engine=args.engine)
    if not result.ok:
        print(f"jitvm bpf plugin: {result.error}", file=sys.stderr)
        return 1
    print(f"{result.r0:x}")
    return 0
