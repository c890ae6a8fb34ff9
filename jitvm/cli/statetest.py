"""`jitvm statetest PATH...`: run Ethereum state tests and report every case."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

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
    """Run the selected cases of one file; returns plain tuples so results pickle cheaply, with the
    seconds it took (jitvm.distributed.durations)."""
    started = time.perf_counter()
    rows, error = _run_cases(*job)
    return rows, error, time.perf_counter() - started


def _run_indexed(job):
    index, path, args = job
    return index, _run_file((path, args))


def _run_cases(path, args):
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
    from jitvm.distributed import durations
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
    contents = [_read(path) for path in files]
    keys = [durations.content_key(data) if data is not None else None for data in contents]
    history = durations.load()
    # Longest known first: one long file handed out last would leave the other workers idle.
    order = durations.longest_first(keys, history) if (dask_target is not None or jobs > 1) else range(len(files))
    results: list = [None] * len(files)

    def arrived(index, result) -> None:
        results[index] = result
        rows.extend(result[0])  # for the progress line; put in file order below
        progress.update(task, advance=1, status=_status(rows))

    try:
        with progress:
            task = progress.add_task("run", total=len(files), status="")
            if dask_target is not None:
                dask_run = _run_on_dask(dask_target, files, contents, order, args, arrived)
            elif jobs > 1 and len(files) > 1:
                import multiprocessing

                with multiprocessing.get_context("spawn").Pool(jobs) as pool:
                    for index, result in pool.imap_unordered(_run_indexed, [(i, files[i], args) for i in order]):
                        arrived(index, result)
            else:
                for index in order:
                    arrived(index, _run_file((files[index], args)))
    except KeyboardInterrupt:
        interrupted = True
    rows.clear()
    for result in results:
        if result is not None:
            rows.extend(result[0])
            input_errors += [result[1]] if result[1] else []
    if args.name is None and args.index is None:  # a few cases of a file would teach a wrong duration
        durations.record({key: result[2] for key, result in zip(keys, results) if key and result is not None})

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


def _read(path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # the task reports it (load_cases names the file and the problem)


def _run_on_dask(target, files, contents, order, args, arrived):
    """One task per file, its bytes shipped along (workers need not share the file system), handed
    out in `order`; `arrived(file index, result)` as results come. A task whose workers kept dying
    is noted in the run's `failed`."""
    from jitvm.distributed import ShippedFile, map_tasks, open_client
    from jitvm.distributed.tasks import TaskFailed

    jobs_list = [(files[i] if contents[i] is None else ShippedFile(str(files[i]), contents[i]), args) for i in order]
    failed = []

    def collect(position, result):
        index = order[position]
        if isinstance(result, TaskFailed):  # its workers kept dying: a finding, not bad input
            failed.append(f"{files[index]}: {result.error}")
        else:
            arrived(index, result)

    with open_client(target) as client:
        run = map_tasks(client, _run_file, jobs_list, name="statetest", on_result=collect, keep_errors=True)
    run.failed = failed
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
