"""`jitvm wasm scenario PATH...`: run MultiversX scenario files (`*.scen.json`) on the Wasm VM."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from jitvm.cli.common import is_dir, is_file
from jitvm.errors import InputError

# Scenarios that cannot run on today's MultiversX VM either: they import an old `createAsyncCall`
# signature that the VM no longer links (the fixtures' README lists them).
STALE = ("test/async/scenarios/promises/", "test/promises/")


def add_arguments(parser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    scenario = actions.add_parser("scenario", help="run scenario files or folders of them")
    scenario.add_argument("paths", nargs="+", metavar="PATH", help="*.scen.json files or folders")
    scenario.add_argument("--json", action="store_true", help="print the results as JSON")
    scenario.add_argument("--gas-schedules", type=Path, default=None, metavar="DIR",
                          help="folder with gasScheduleV3.toml / V4.toml (default: a gasSchedules/ folder "
                               "above each scenario)")
    scenario.add_argument("--fail-only", action="store_true", help="list only the scenarios that failed")


def collect(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for text in paths:
        path = Path(text)
        if is_dir(path):
            files.extend(sorted(path.rglob("*.scen.json")))
        elif is_file(path):
            files.append(path)
        else:
            raise InputError(text, "no such file or folder")
    return files


def stale_reason(path: Path) -> str:
    text = path.resolve().as_posix()
    if any(marker in text for marker in STALE):
        return "imports the old createAsyncCall signature that the MultiversX VM no longer links"
    return ""


def run(args) -> int:
    from jitvm.wasm.scenario import ScenarioResult, run_scenario

    files = collect(args.paths)
    results: list[ScenarioResult] = []
    cache: dict = {}
    started = time.perf_counter()
    for path in files:
        reason = stale_reason(path)
        if reason:
            results.append(ScenarioResult(path, False, skipped=reason))
            continue
        try:
            results.append(run_scenario(path, args.gas_schedules, cache))
        except InputError as exc:
            if len(files) == 1:
                raise
            results.append(ScenarioResult(path, False, failure=f"malformed: {exc}"))
    elapsed = time.perf_counter() - started
    passed = sum(r.passed for r in results)
    skipped = sum(bool(r.skipped) for r in results)
    failed = len(results) - passed - skipped
    if args.json:
        json.dump({"passed": passed, "failed": failed, "skipped": skipped, "seconds": round(elapsed, 3),
                   "scenarios": [{"path": str(r.path), "passed": r.passed, "skipped": r.skipped or None,
                                  "failure": r.failure or None, "steps": r.steps, "gas_checks": r.gas_checks}
                                 for r in results]}, sys.stdout, indent=1)
        print()
    else:
        _table(results, args.fail_only)
        print(f"{passed} passed, {failed} failed, {skipped} skipped in {elapsed:.2f} s")
    return 1 if failed else 0


def _table(results, fail_only: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    table.add_column("scenario")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for result in results:
        if fail_only and (result.passed or result.skipped):
            continue
        verdict = "[green]pass" if result.passed else ("[yellow]skip" if result.skipped else "[red]FAIL")
        table.add_row(str(result.path), verdict, result.failure or result.skipped)
    if table.row_count:
        Console(stderr=False).print(table)
