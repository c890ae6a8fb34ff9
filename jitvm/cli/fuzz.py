"""`jitvm fuzz evm|bpf`: differential fuzzing of every engine (and pyrevm, for the EVM).

    jitvm fuzz evm --count 10000 --seed 7 --dask local:2
    jitvm fuzz bpf --time 600

Random programs run on every engine; a disagreement is shrunk and written as a reproducer file
(a state test for the EVM, a bpf_conformance `.data` file for BPF). Exit 1 if any was found.
See docs/distributed.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from jitvm.errors import InputError

TARGETS = ("evm", "bpf", "replay")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", choices=TARGETS,
                        help="what to fuzz; replay: run an EVM reproducer FILE again on every engine and peer")
    parser.add_argument("file", nargs="?", metavar="FILE", help="replay: a reproducer written by `jitvm fuzz evm`")
    parser.add_argument("--seed", type=int, default=0, help="campaign seed (default 0): the same seed, the same programs")
    parser.add_argument("--count", type=int, help="programs to run (default 1000, or unlimited with --time)")
    parser.add_argument("--time", type=float, metavar="SECONDS", help="stop starting new programs after this long")
    parser.add_argument("--engine", action="append", dest="engines", metavar="NAME",
                        help="an engine to compare with the reference (repeatable; default: baseline, jit, auto)")
    parser.add_argument("--no-pyrevm", action="store_true", help="EVM: do not compare with pyrevm")
    parser.add_argument("--oracle", action="append", choices=("eels",), default=[],
                        help="EVM: also compare with this oracle (eels: the Python specification's t8n, "
                             "ethereum-spec-evm; tens of ms per program)")
    parser.add_argument("--no-shrink", action="store_true", help="write mismatches as found, without delta debugging")
    parser.add_argument("--out", default="fuzz-reproducers", metavar="DIR",
                        help="folder for reproducer files (default ./fuzz-reproducers)")
    parser.add_argument("--batch", type=int, default=50, metavar="N", help="programs per task (default 50)")
    parser.add_argument("--dask", metavar="ADDRESS|local[:N]",
                        help="run the batches on a Dask cluster (needs the dask extra; see docs/distributed.md)")
    parser.add_argument("--journal", metavar="FILE",
                        help="keep the campaign's finished batches in FILE; run again with the same FILE to "
                             "go on where it stopped (the summary then covers every session)")


def run(args: argparse.Namespace) -> int:
    from jitvm.fuzz import campaign

    engines, peers = _engines(args)
    if args.target == "replay":
        return _replay(args, engines, peers)
    if args.file is not None:
        raise InputError(args.file, f"`jitvm fuzz {args.target}` takes no file (did you mean `jitvm fuzz replay FILE`?)")
    if args.count is not None and args.count < 1:
        raise InputError("--count", "must be at least 1")
    if args.time is not None and args.time <= 0:
        raise InputError("--time", "must be positive")
    if args.batch < 1:
        raise InputError("--batch", "must be at least 1")
    count = args.count if args.count is not None else (None if args.time else 1000)
    target = None
    if args.dask:
        from jitvm.distributed import parse_dask_target
        from jitvm.distributed.cluster import require_distributed

        target = parse_dask_target(args.dask)
        require_distributed()
    journal = None
    if args.journal:
        from jitvm.fuzz.journal import Journal

        journal = Journal.open(args.journal, {"target": args.target, "seed": args.seed, "batch": args.batch,
                                              "engines": engines, "peers": peers})
    earlier = journal.earlier if journal else None
    issued: list = []  # the specs in the order they were handed out (a task's index is its place here)

    def handed_out(specs):
        for spec in specs:
            issued.append(spec)
            yield spec

    specs = campaign.batches(args.target, args.seed, count, args.batch, engines, peers, not args.no_shrink)
    specs = handed_out(campaign.remaining(specs, earlier.done) if earlier else specs)
    total = campaign.BatchResult()
    if earlier:
        total.programs, total.peers_skipped = earlier.programs, earlier.peers_skipped
        total.statuses.update(earlier.statuses)
    reports: list[dict] = list(earlier.mismatches) if earlier else []  # every mismatch of the campaign
    session_programs = 0
    started = time.monotonic()
    deadline = started + args.time if args.time else None
    failures: list[str] = []
    interrupted = False
    dask_run = None
    worker_memory: list[float] = []

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from jitvm.cli.common import console

    progress = Progress(
        TextColumn(f"[bold]fuzz {args.target}[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("programs"),
        TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
        console=console(stderr=True), transient=True, disable=not sys.stderr.isatty(),
    )

    def arrived(index, part) -> None:
        nonlocal session_programs
        from jitvm.distributed.tasks import TaskFailed

        if isinstance(part, TaskFailed):
            spec = issued[index]
            failures.append(f"batch of seeds {spec.first_seed}..{spec.first_seed + spec.count - 1}: {part.error}")
            return
        campaign.merge(total, part)
        session_programs += part.programs
        # A mismatch is written as soon as its batch arrives, and the batch journaled after it: a
        # campaign stopped later keeps both.
        found = [_report(item, path) for item, path in zip(part.found, _write_reproducers(args, part.found))]
        reports.extend(found)
        if journal is not None:
            journal.record(part.first_seed, part.programs, part.statuses, part.peers_skipped, found)
        rate = session_programs / max(time.monotonic() - started, 1e-9)
        progress.update(task, completed=total.programs, status=(f"[red]{len(reports)} mismatches[/]" if reports
                                                               else "0 mismatches") + f", {rate:.1f}/s")

    def time_is_up() -> bool:
        return deadline is not None and time.monotonic() >= deadline

    try:
        with progress:
            task = progress.add_task("fuzz", total=count, status="", completed=total.programs)
            if target is None:
                for spec in specs:
                    if time_is_up():
                        break
                    arrived(len(issued) - 1, campaign.run_batch(spec))
            else:
                from jitvm.distributed import map_tasks, open_client

                with open_client(target, worker_memory_mb=campaign.WORKER_MEMORY_MB) as client:
                    window = 2 * max(len(client.nthreads()), 1)
                    dask_run = map_tasks(client, campaign.run_batch, specs, name=f"fuzz-{args.target}",
                                       on_result=arrived, window=window, should_stop=time_is_up, keep_errors=True)
                    worker_memory = _worker_memory(client)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if journal is not None:
            journal.close()
    elapsed = time.monotonic() - started
    session = (session_programs, elapsed)
    campaign_time = None if earlier is None else (earlier.seconds + elapsed, earlier.sessions + 1)
    _summary(args, total, session, campaign_time, reports, failures, dask_run, interrupted, engines, peers,
             worker_memory)
    if interrupted:
        return 130
    return 1 if reports or failures else 0


def _replay(args, engines, peers) -> int:
    """`jitvm fuzz replay FILE`: every engine and peer on the reproducer, side by side; exit 1 if any
    disagrees with the reference."""
    from rich.table import Table

    from jitvm.cli.common import console
    from jitvm.fuzz.replay import replay_file

    if args.file is None:
        raise InputError("replay", "needs a FILE: jitvm fuzz replay fuzz-reproducers/evm-<seed>.json")
    out = console()
    disagreeing = 0
    for replay in replay_file(args.file, engines, peers):
        table = Table(title=f"{replay.name}", title_justify="left")
        for column in ("engine", "status", "gas used", "output", "post-state root", "agrees"):
            table.add_column(column)
        differing = {m.engine: m for m in replay.mismatches}
        for engine, outcome in replay.outcomes.items():
            status = outcome.get("status") or outcome.get("kind") or outcome.get("rejected") or outcome.get("crash")
            if "success" in outcome:
                status = "success" if outcome["success"] else "failed"
            root = outcome.get("state_root")
            output = outcome.get("output")
            agrees = "-" if engine == "reference" else (
                f"[red]no: {', '.join(differing[engine].fields)}[/]" if engine in differing else "[green]yes[/]")
            table.add_row(engine, str(status), str(outcome.get("gas_used", "-")),
                          "-" if output is None else "0x" + output.hex()[:16] + ("..." if len(output) > 8 else ""),
                          "-" if root is None else "0x" + root.hex()[:16] + "...", agrees)
        out.print(table)
        reference_root = replay.outcomes["reference"].get("state_root")
        if reference_root is not None and reference_root != replay.expected_root:
            out.print("[yellow]note[/] the reference's root differs from the one in the file (written by another "
                      "version of the reference?)")
        for mismatch in replay.mismatches:
            out.print(f"    {mismatch.engine}: {mismatch.describe()}", markup=False, soft_wrap=True)
        disagreeing += bool(replay.mismatches)
    return 1 if disagreeing else 0


def _worker_memory(client) -> list[float]:
    """Each worker's resident memory now, in MB (a long campaign must not grow its workers)."""
    try:
        from jitvm.distributed.tasks import resident_mb

        return sorted(client.run(resident_mb).values())
    except Exception:  # a worker that went away meanwhile: the figure is only informative
        return []


def _engines(args) -> tuple[tuple[str, ...], tuple[str, ...]]:
    known = ("baseline", "jit", "auto")
    engines = tuple(args.engines or known)
    for name in engines:
        if name not in known:
            raise InputError("--engine", f"unknown engine {name!r} (compared with the reference: {', '.join(known)})")
    peers: tuple[str, ...] = ()
    if args.target != "bpf" and not args.no_pyrevm:
        from jitvm.fuzz.evm_check import pyrevm_available

        if pyrevm_available():
            peers = ("pyrevm",)
    if args.oracle and args.target == "bpf":
        raise InputError("--oracle", "is for `jitvm fuzz evm` (BPF engines are compared with the reference)")
    if "eels" in args.oracle:
        from jitvm.fuzz import eels_oracle

        if not eels_oracle.available():
            raise InputError("--oracle", "eels needs ethereum-execution (ethereum-spec-evm): pip install 'jitvm[peers]'")
        peers += ("eels",)
    return engines, peers


def _write_reproducers(args, found) -> list[Path]:
    from jitvm.fuzz import reproducers

    folder = Path(args.out)
    paths = []
    for item in found:
        name = f"{args.target}-{item.seed:x}"
        if args.target == "evm":
            paths.append(reproducers.write_evm(item.minimized, item.mismatches, folder, name))
        else:
            paths.append(reproducers.write_bpf(item.minimized, item.mismatches, folder, name))
    return paths


def _report(item, path: Path) -> dict:
    """A mismatch as the summary shows it and the journal keeps it (plain data)."""
    return {"seed": item.seed, "engines": sorted({m.engine for m in item.mismatches}),
            "original_pieces": item.original_pieces, "minimized_pieces": item.minimized_pieces,
            "reproducer": str(path), "details": [f"{m.engine}: {m.describe()}" for m in item.mismatches[:3]]}


def _sessions(number: int) -> str:
    return f"{number} session" + ("s" if number != 1 else "")


def _summary(args, total, session, campaign_time, reports, failures, dask_run, interrupted, engines, peers,
             worker_memory) -> None:
    """The tally (of the whole campaign, with a journal), the rates, and every mismatch."""
    from rich.table import Table

    from jitvm.cli.common import console

    out = console()
    title = f"jitvm fuzz {args.target} (seed {args.seed})" + (" (interrupted)" if interrupted else "")
    if campaign_time is not None:
        title += f", campaign of {_sessions(campaign_time[1])} in {args.journal}"
    table = Table(title=title, title_justify="left")
    table.add_column("reference ended with")
    table.add_column("programs", justify="right")
    for status, number in sorted(total.statuses.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(status, f"{number:,}")
    out.print(table, soft_wrap=True)
    programs, elapsed = session
    compared = ", ".join((*engines, *peers))
    if campaign_time is not None:
        seconds = campaign_time[0]
        rate = total.programs / seconds if seconds else 0.0
        out.print(f"campaign: {total.programs:,} programs in {seconds:.1f} s over {_sessions(campaign_time[1])} "
                  f"({rate:.1f} programs/s), each on reference vs {compared}")
        out.print(f"this session: {programs:,} programs in {elapsed:.1f} s "
                  f"({programs / elapsed if elapsed else 0.0:.1f} programs/s)")
    else:
        rate = programs / elapsed if elapsed else 0.0
        out.print(f"{programs:,} programs in {elapsed:.1f} s ({rate:.1f} programs/s), "
                  f"each on reference vs {compared}")
    if peers and total.peers_skipped:
        out.print(f"pyrevm not compared on {total.peers_skipped:,} programs with starting storage or a BASEFEE "
                  f"instruction (pyrevm makes inserted storage warm and reads BASEFEE as 0; docs/pyrevm-compat.md)")
    if dask_run is not None:
        out.print(f"dask: {dask_run.workers} workers, {len(dask_run.results)} tasks, "
                  f"{dask_run.reruns} run again after a worker was lost")
        if worker_memory:
            out.print("worker memory at the end: " + ", ".join(f"{mb:.0f} MB" for mb in worker_memory))
    for error in failures:
        out.print(f"[red]task failed[/] {error}")
    colour = "red" if reports else "green"
    out.print(f"[{colour}]{len(reports)} mismatches[/]")
    for report in reports:
        # soft_wrap: a path or a hex string broken over lines could not be copied
        out.print(f"[red]MISMATCH[/] seed {report['seed']} ({', '.join(report['engines'])}), shrunk from "
                  f"{report['original_pieces']} to {report['minimized_pieces']} pieces: {report['reproducer']}",
                  soft_wrap=True)
        for detail in report["details"]:
            out.print(f"    {detail}", markup=False, soft_wrap=True)
