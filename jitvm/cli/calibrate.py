"""`jitvm calibrate`: time every instruction and host operation of each VM against its gas."""

from __future__ import annotations

import json
import time
from pathlib import Path

from jitvm.errors import InputError

VMS = ("evm", "bpf", "wasm")


def add_arguments(parser) -> None:
    parser.add_argument("--vm", action="append", choices=VMS, help="which VMs (default: all)")
    parser.add_argument("--evm-engines", default="reference,baseline,jit",
                        help="EVM engines to time (default: reference,baseline,jit)")
    parser.add_argument("--bpf-engines", default="baseline,jit", help="BPF engines (default: baseline,jit)")
    parser.add_argument("--quick", action="store_true", help="shorter timing runs (noisier, about 3x faster)")
    parser.add_argument("--only", metavar="NAMES", default=None,
                        help="time only these instructions (comma-separated names, any VM: ADD,add64,I32Add)")
    parser.add_argument("--json", metavar="FILE", type=Path, help="write every measurement and the summary")
    parser.add_argument("--plot", metavar="DIR", type=Path, help="write the plots (PNG) into DIR")
    parser.add_argument("--fixtures", metavar="DIR", type=Path, default=None,
                        help="the shared fixtures (for the BPF workloads and the Wasm gas schedule)")


def _engines(text: str, allowed: tuple[str, ...], option: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    for name in names:
        if name not in allowed:
            raise InputError(option, f"unknown engine {name!r} (choose from {', '.join(allowed)})")
    return names


def _fixtures(explicit: Path | None) -> Path | None:
    if explicit is not None:
        if not explicit.is_dir():
            raise InputError("--fixtures", f"no such folder: {explicit}")
        return explicit
    for candidate in (Path.cwd().parent / "shared" / "fixtures", Path.cwd() / "shared" / "fixtures",
                      Path(__file__).resolve().parents[3] / "shared" / "fixtures"):
        if candidate.is_dir():
            return candidate
    return None


def run(args) -> int:
    from rich.console import Console

    from jitvm.calibrate import bpf, evm, report, wasm

    console = Console(stderr=True)
    vms = args.vm or list(VMS)
    evm_engines = _engines(args.evm_engines, ("reference", "baseline", "jit", "auto"), "--evm-engines")
    bpf_engines = _engines(args.bpf_engines, ("reference", "baseline", "jit", "auto"), "--bpf-engines")
    fixtures = _fixtures(args.fixtures)
    if args.quick:
        from jitvm.calibrate import measure as timing
        timing.TARGET_SECONDS /= 4
    only = {name.strip() for name in args.only.split(",") if name.strip()} if args.only else None
    measurements = []
    started = time.perf_counter()
    if "evm" in vms:
        console.print("[bold]EVM[/]: instructions on " + ", ".join(evm_engines))
        fast = tuple(e for e in evm_engines if e != "reference")
        measurements += evm.measure(evm_engines, only=only)
        if only is None:
            measurements += evm.workloads(fast or ("reference",))
    if "bpf" in vms:
        console.print("[bold]BPF[/]: instructions on " + ", ".join(bpf_engines))
        measurements += bpf.measure(bpf_engines, only=only)
        if only is None:
            measurements += bpf.workloads(bpf_engines)
    if "wasm" in vms:
        console.print("[bold]Wasm[/]: instructions and host functions")
        measurements += wasm.measure(fixtures, only=only)
        if only is None:
            measurements += wasm.workloads(fixtures)
    summary = report.summarize(measurements)
    report.table(summary, Console())
    console.print(f"measured {len(measurements)} items in {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "measurements": [m.as_json() for m in measurements]},
                                        indent=1))
    if args.plot:
        for path in report.plot(measurements, summary, args.plot):
            console.print(f"wrote {path}")
    return 0
