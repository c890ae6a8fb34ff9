"""`jitvm statetest PATH...`: run Ethereum state tests and report every case."""

from __future__ import annotations

import argparse
import json
import os
import sys

from jitvm.cli.common import add_engine_option, console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="state-test JSON files or folders of them")
    add_engine_option(parser)
    parser.add_argument("--fork", help="only cases of this fork (e.g. Cancun)")
    parser.add_argument("--name", help="only tests whose name contains this text")
    parser.add_argument("--index", type=int, help="only the post entry with this index")
    parser.add_argument("--json", action="store_true", help="print results as JSON (geth's `evm statetest` shape)")
    parser.add_argument("--trace", action="store_true", help="write EIP-3155 traces to stderr (implies --jobs 1)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (0: one per core)")
    parser.add_argument("--show", type=int, default=20, help="failures to list in the summary (default 20)")
    parser.add_argument("--dask", metavar="ADDRESS|local[:N]",
                        help="run the files as tasks on a Dask cluster: a scheduler address, or a local cluster "
                             "of N worker processes (needs the dask extra; see docs/distributed.md)")


def _select(case, args) -> bool:
    if args.fork and case.fork != args.fork:
        return False
    if args.name and args.name not in case.name:
        return False
    if args.index is not None and case.index != args.index:
        return False
    return True


def _run_file(job):
    """Run the selected cases of one file; returns plain tuples so results pickle cheaply."""
    path, args = job
    from jitvm.cli.common import resolve_evm_engine
    from jitvm.evm.statetest import load_cases, run_case
    from jitvm.evm.trace import Eip3155Tracer

    from jitvm.errors import InputError

    engine = resolve_evm_engine(args.engine)
    tracer = Eip3155Tracer(sys.stderr) if args.trace else None
    rows = []
    try:
        for case in load_cases(path):
            if not _select(case, args):
                continue
            result = run_case(case, engine=engine, tracer=tracer)
            rows.append((case.label, case.fork, str(path), result.passed, "0x" + result.state_root.hex(),
                         result.error, result.skipped))
    except InputError as error:
        return [], str(error)  # the file's other cases are not trusted either; the rest of the run goes on
    return rows, None


def run(args: argparse.Namespace) -> int:
    from jitvm.cli.common import resolve_evm_engine
    from jitvm.evm.forks import canonical_fork_name
    from jitvm.evm.statetest import find_test_files
    from jitvm.errors import InputError

    if args.fork:
        try:
            args.fork = canonical_fork_name(args.fork)
        except KeyError:
            raise InputError("--fork", f"unknown fork {args.fork!r}") from None
    resolve_evm_engine(args.engine)  # fail early on an engine that is not available
    dask_target = _dask_target(args)
    files = find_test_files(args.paths)
    jobs = 1 if args.trace else (args.jobs or os.cpu_count() or 1)
    out = console(stderr=args.json)
    rows: list[tuple] = []
    input_errors: list[str] = []
    interrupted = False
    dask_run = None

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]statetest[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
        TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
        console=console(stderr=True), transient=True, disable=args.trace or not sys.stderr.isatty(),
    )
    jobs_list = [(path, args) for path in files]
    try:
        with progress:
            task = progress.add_task("run", total=len(files), status="")
            if dask_target is not None:
                dask_run = _run_on_dask(dask_target, files, args, rows, input_errors,
                                      lambda: progress.update(task, advance=1, status=_status(rows)))
            elif jobs > 1 and len(files) > 1:
                import multiprocessing

                with multiprocessing.get_context("spawn").Pool(jobs) as pool:
                    for file_rows, error in pool.imap_unordered(_run_file, jobs_list):
                        rows.extend(file_rows)
                        input_errors += [error] if error else []
                        progress.update(task, advance=1, status=_status(rows))
            else:
                for job in jobs_list:
                    file_rows, error = _run_file(job)
                    rows.extend(file_rows)
                    input_errors += [error] if error else []
                    progress.update(task, advance=1, status=_status(rows))
    except KeyboardInterrupt:
        interrupted = True

    if args.json:
        report = [
            {"name": label, "pass": passed, "stateRoot": root, "fork": fork,
             **({"error": error} if error and not passed else {}),
             **({"skipped": skipped} if skipped else {})}
            for label, fork, _, passed, root, error, skipped in rows
        ]
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
    if rows or not input_errors:
        _summary(out, rows, args, interrupted)
    if dask_run is not None:
        out.print(f"dask: {dask_run.workers} workers, {len(files)} tasks, "
                  f"{dask_run.reruns} run again after a worker was lost")
        for failure in dask_run.failed:
            print(f"jitvm statetest: task failed: {failure}", file=sys.stderr)
    for error in input_errors:
        print(f"jitvm statetest: error: {error}", file=sys.stderr)
    failed = sum(1 for row in rows if not row[3] and not row[6])
    if interrupted:
        return 130
    if input_errors:
        return 2
    return 1 if failed or (dask_run is not None and dask_run.failed) else 0


def _dask_target(args):
    if not args.dask:
        return None
    from jitvm.distributed import parse_dask_target
    from jitvm.distributed.cluster import require_distributed
    from jitvm.errors import InputError

    if args.trace:
        raise InputError("--dask", "cannot be combined with --trace (traces are written by one local process)")
    target = parse_dask_target(args.dask)
    require_distributed()
    return target


def _run_on_dask(target, files, args, rows, input_errors, advance):
    """One task per file, its bytes shipped along (workers need not share the file system); the
    results are put back in file order, so the report equals a local run's."""
    from jitvm.distributed import ShippedFile, map_tasks, open_client
    from jitvm.distributed.tasks import TaskFailed

    jobs_list = [(ShippedFile.read(path), args) for path in files]

    def arrived(index, result):
        if not isinstance(result, TaskFailed):
            rows.extend(result[0])  # for the progress line; replaced below by the ordered rows
        advance()

    with open_client(target) as client:
        run = map_tasks(client, _run_file, jobs_list, name="statetest", on_result=arrived, keep_errors=True)
    rows.clear()
    for path, result in zip(files, run.results):
        if isinstance(result, TaskFailed):  # its workers kept dying: a finding, not bad input
            run.failed.append(f"{path}: {result.error}")
            continue
        file_rows, error = result
        rows.extend(file_rows)
        input_errors += [error] if error else []
    return run


def _status(rows) -> str:
    failed = sum(1 for row in rows if not row[3] and not row[6])
    return f"{len(rows)} cases, [red]{failed} failed[/]" if failed else f"{len(rows)} cases"


def _summary(out, rows, args, interrupted: bool) -> None:
    from collections import defaultdict

    from rich.table import Table

    per_fork = defaultdict(lambda: [0, 0, 0])
    for _, fork, _, passed, _, _, skipped in rows:
        per_fork[fork][2 if skipped else (0 if passed else 1)] += 1
    table = Table(title="jitvm statetest" + (" (interrupted)" if interrupted else ""), title_justify="left")
    table.add_column("fork")
    table.add_column("passed", justify="right", style="green")
    table.add_column("failed", justify="right", style="red")
    table.add_column("not run", justify="right", style="yellow")
    for fork in sorted(per_fork):
        passed, failed, skipped = per_fork[fork]
        table.add_row(fork, str(passed), str(failed), str(skipped))
    out.print(table)
    failures = [row for row in rows if not row[3] and not row[6]]
    for label, _, path, _, _, error, _ in failures[: args.show]:
        out.print(f"[red]FAIL[/] {label}  ({path})\n     {error}")
    if len(failures) > args.show:
        out.print(f"... and {len(failures) - args.show} more failures")
    skipped_reasons = sorted({row[6] for row in rows if row[6]})
    for reason in skipped_reasons:
        count = sum(1 for row in rows if row[6] == reason)
        out.print(f"[yellow]not run[/] {count} cases: {reason}")
    total = len(rows)
    failed = len(failures)
    skipped = sum(1 for row in rows if row[6])
    out.print(f"{total - failed - skipped} passed, {failed} failed, {skipped} not run (engine: {args.engine})")
