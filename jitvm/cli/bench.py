"""`jitvm bench`: verify, then time, the engines and the peers on the bundled or the user's workloads;
optionally write JSON and a chart, and gate on a baseline (`--compare`)."""

from __future__ import annotations

import argparse

EPILOG = """\
what runs:
  Without --workload: the bundled workloads (shipped inside the package; --fixtures DIR reads a
  folder laid out as the shared fixtures instead): one input per EVM benchmark contract and every BPF benchmark program at full
  size; --quick takes the main EVM contracts on their smallest inputs and the BPF programs at a
  small size; --all-inputs takes every input. Every engine registered in jitvm runs, plus pyrevm
  and py-evm for the EVM when installed. Interpreters written in Python skip calls expected to take
  more than --max-call-seconds (a note in the table says so).

  Answers (output and gas, or r0 and instruction count) are checked before anything is timed; a
  wrong engine is reported as FAILED and never timed. Exit status: 0, or 1 if an answer was wrong
  or --compare found a regression, 2 for bad input, 130 after Ctrl-C (the partial report is printed).

workload files (--workload FILE, repeatable; see bench/README.md):
  {"workloads": [
    {"kind": "evm", "name": "NAME", "code": "0x..." or "FILE.hex", "calldata": "0x...",
     "expected_output": "0x...", "expected_gas": N, "gas": N,
     "pre_state": {"0xADDRESS": {"balance": N, "nonce": N, "code": "0x...", "storage": {"0x1": "0x2"}}}},
    {"kind": "bpf", "name": "NAME", "program": "ASSEMBLY" or "0xBYTES" or "FILE.asm|.bin|.hex|.o",
     "profile": "ebpf-v4", "memory": "0x..." or {"zero": N} or {"seq": N},
     "expected_r0": N, "expected_instructions": N}]}
  Required: kind, name, code and expected_output (EVM); kind, name, program and expected_r0 (BPF).

regression gating (CI):
  jitvm bench --quick --json baseline.json                         # on the base commit
  jitvm bench --quick --compare baseline.json --max-regression 10%  # on the change: exit 1 if slower
  Each change gets a 95% confidence interval from the interleaved rounds; a workload whose interval
  is not wholly below the threshold is timed again with more rounds; then it is "regressed" (exit 1)
  only if the whole interval is above the threshold, "inconclusive" if it straddles it (exit 0).
  On a noisy shared runner, gate on instruction counts instead (both runs with the same --timer):
  jitvm bench --quick --timer instructions --filter ... --json baseline.json
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    choose = parser.add_argument_group("what to run")
    choose.add_argument("--filter", metavar="PATTERNS",
                        help="comma-separated substrings or globs matched against evm/CONTRACT/INPUT and bpf/PROGRAM/SIZE")
    choose.add_argument("--engines", metavar="LIST",
                        help="comma-separated engines and peers, e.g. reference,baseline,pyrevm (default: all available)")
    choose.add_argument("--quick", action="store_true", help="small inputs and few runs (within 2 minutes)")
    choose.add_argument("--all-inputs", action="store_true", help="every input of every bundled workload")
    choose.add_argument("--workload", metavar="FILE", action="append", default=[],
                        help="run the workloads of a JSON workload file instead of the bundled ones")
    choose.add_argument("--fixtures", metavar="DIR", help="read the bundled workloads from this folder (evm/benchmarks, bpf/bench) instead of the package's copy")
    choose.add_argument("--list", action="store_true", help="list the workloads and engines, run nothing")
    timing = parser.add_argument_group("timing")
    timing.add_argument("--repeat", type=int, metavar="N",
                        help="timed runs per workload and engine, at most (default 10; 3 with --timer instructions)")
    timing.add_argument("--budget", type=float, metavar="SECONDS",
                        help="time spent timing each workload on each engine, at most (default 2; 0.5 with --quick)")
    timing.add_argument("--max-call-seconds", type=float, metavar="SECONDS",
                        help="leave out Python-interpreter calls expected to take longer (default 10; 3 with --quick)")
    timing.add_argument("--timer", choices=("cpu", "wall", "instructions"), default="cpu",
                        help="cpu: process CPU time, unaffected by other processes on a busy machine (default); "
                             "wall: elapsed time; instructions: count the instructions of the timed calls under "
                             "valgrind (deterministic, for gating on noisy CI; needs valgrind, x86-64, ~1 min more)")
    output = parser.add_argument_group("output and gating")
    output.add_argument("--json", metavar="FILE", help="write the results, machine and versions as JSON")
    output.add_argument("--plot", metavar="FILE", help="draw the results (.png or .svg)")
    output.add_argument("--compare", metavar="BASELINE", help="a --json file to compare with: exit 1 on regression")
    output.add_argument("--max-regression", default="10%", metavar="PCT",
                        help="how much slower than the baseline is a regression (default 10%%)")
    output.add_argument("--dask", metavar="ADDRESS|local[:N]",
                        help="time the workloads as tasks on a Dask cluster (one workload, every engine, per task): "
                             "a scheduler address or a local cluster of N worker processes (docs/distributed.md)")
    output.add_argument("--normalize-to", default="auto", metavar="ENGINE",
                        help="judge times as ratios to this engine's, measured in the same run "
                             "(default: pyrevm for EVM, reference for BPF; 'none': absolute times)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from jitvm.bench import compare as gate
    from jitvm.bench.harness import Settings, run_cases, slowdown_from_environment
    from jitvm.bench.plot import check_path, write_plot
    from jitvm.bench.report import RichProgress, render
    from jitvm.bench.results import BenchRun, to_json, write_json
    from jitvm.bench.counting import reexec_under_valgrind, running_under_counter
    from jitvm.bench.runners import discover
    from jitvm.cli.common import console
    from jitvm.errors import InputError

    # Check everything the user gave before the (long) run, so that a typo costs nothing.
    for name, value in (("--repeat", args.repeat), ("--budget", args.budget), ("--max-call-seconds", args.max_call_seconds)):
        if value is not None and value <= 0:
            raise InputError(name, f"expected a positive number, got {value}")
    counting = args.timer == "instructions"
    settings = Settings(
        # --quick: the budget, not the repeat count, bounds slow engines; fast ones get enough rounds
        # for the gate's confidence intervals.
        repeat=args.repeat or (3 if counting else 10),
        # Under valgrind everything is ~50x slower: the repeat count, not the budget, ends the timing.
        budget=args.budget if args.budget is not None else (600.0 if counting else 0.5 if args.quick else 2.0),
        max_call_seconds=args.max_call_seconds if args.max_call_seconds is not None else (3.0 if args.quick else 10.0),
        timer=args.timer,
        slowdown=slowdown_from_environment(),
        min_sample_seconds=0.0 if counting else Settings.min_sample_seconds,  # counts: one call per sample
        # Counts fall over the first calls (CPython's specializing interpreter, caches) and then hold.
        warmup_calls=5 if counting else Settings.warmup_calls,
    )
    threshold = gate.parse_threshold(args.max_regression)
    baseline = gate.load_baseline(args.compare) if args.compare else None
    if baseline is not None and (baseline["settings"].get("timer", "cpu") == "instructions") != counting:
        raise InputError(f"--compare {args.compare}", "instruction counts and times cannot be compared: "
                         "run both with --timer instructions, or neither")
    if args.plot:
        check_path(args.plot)
    if args.json and not Path(args.json).resolve().parent.is_dir():
        raise InputError("--json", f"no such folder: {Path(args.json).parent}")
    cases = _select_cases(args)
    dask_target = _dask_target(args, counting)
    if counting and not running_under_counter():
        return reexec_under_valgrind(args.argv)  # everything above was checked before valgrind starts
    wanted = [name.strip() for name in args.engines.split(",") if name.strip()] if args.engines else None
    compiling = _compile_the_evm_interpreter_meanwhile(cases, wanted)
    runners, unavailable = discover(sorted({case.kind for case in cases}, reverse=True), wanted)
    if compiling is not None:
        compiling.wait()
    if not runners:
        reasons = "; ".join(f"{name}: {why}" for name, why in unavailable.items())
        raise InputError("--engines", f"none of the engines can run here ({reasons})")
    kinds = {runner.kind for runner in runners}
    left_out = sorted({case.kind for case in cases} - kinds)
    cases = [case for case in cases if case.kind in kinds]

    out, err = console(), console(stderr=True)
    if args.list:
        _list(cases, runners, unavailable, out)
        return 0

    run = BenchRun(unavailable=unavailable, settings={
        "repeat": settings.repeat, "budget": settings.budget, "max_call_seconds": settings.max_call_seconds,
        "timer": settings.timer,
        "quick": args.quick, "every_input": args.all_inputs, "filter": args.filter, "engines": wanted,
        "workload_files": list(args.workload), "slowdown": settings.slowdown,
    })
    for kind in left_out:
        run.notes.append(f"{kind.upper()} workloads left out: none of the chosen engines runs {kind.upper()}")
    if settings.slowdown:
        slowed = ", ".join(f"{name} x{factor:g}" for name, factor in settings.slowdown.items())
        run.notes.append(f"JITVM_BENCH_SLOWDOWN is set: timed calls made slower on purpose ({slowed})")
    engine_names = ", ".join(dict.fromkeys(runner.name for runner in runners))
    err.print(f"jitvm bench: {len(cases)} workload{'s' if len(cases) != 1 else ''} on {engine_names}; "
              f"at most {settings.repeat} timed runs "
              f"or {settings.budget:g} s per workload and engine", highlight=False)
    with RichProgress(len(cases), err) as progress:
        if dask_target is None:
            run_cases(cases, runners, settings, progress, run)
        else:
            _run_on_dask(dask_target, cases, runners, settings, progress, run)

    render(run, out)
    status = 1 if run.failures else 0
    if baseline is not None:
        comparison = gate.compare(baseline, to_json(run), threshold, args.normalize_to)
        rechecked = 0
        if not counting and comparison.suspects():
            rechecked = _time_suspects_again(comparison, cases, runners, settings, args.normalize_to, run, err)
            comparison = gate.compare(baseline, to_json(run), threshold, args.normalize_to)
        gate.render(comparison, args.compare, out, rechecked)
        if baseline["settings"].get("timer", "cpu") != settings.timer:
            out.print(f"note: the baseline was timed with --timer {baseline['settings'].get('timer')}, "
                      f"this run with --timer {settings.timer}", style="yellow")
        if not gate.passed(comparison):
            status = 1
    if args.json:  # after the gate: with the samples of suspect workloads timed again
        write_json(run, args.json)
        out.print(f"results written to {args.json}", markup=False)
    if args.plot:
        if write_plot(run, args.plot):
            out.print(f"chart written to {args.plot}", markup=False)
        else:
            out.print("no chart: nothing was timed")
    return 130 if run.interrupted else status


def _compile_the_evm_interpreter_meanwhile(cases, wanted):
    """On a fresh install Numba compiles the BPF and the EVM interpreters for 10-20 s each, one after
    the other (the BPF one while the engines are discovered, the EVM one at the first EVM workload).
    Compiling the EVM one at the same time in a second process, which leaves it in Numba's cache,
    saves the shorter of the two waits where a second core is free. Returns that process, or None
    when the EVM interpreter is cached already or not wanted."""
    import os
    import subprocess
    import sys

    from jitvm.evm.baseline.native_entry import kernels_built

    if not any(case.kind == "evm" for case in cases):
        return None
    if wanted is not None and not {"baseline", "jit", "auto"} & set(wanted):
        return None
    if kernels_built():
        return None
    print("jitvm bench: compiling the EVM interpreter in a second process meanwhile", file=sys.stderr, flush=True)
    return subprocess.Popen([sys.executable, "-m", "jitvm", "run", "00", "--engine", "baseline"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, JITVM_PROGRESS="0"))


def _dask_target(args, counting: bool):
    if not args.dask:
        return None
    from jitvm.distributed import parse_dask_target
    from jitvm.distributed.cluster import require_distributed
    from jitvm.errors import InputError

    if counting:
        raise InputError("--dask", "cannot be combined with --timer instructions (valgrind counts one local process)")
    target = parse_dask_target(args.dask)
    require_distributed()
    return target


def _time_one_workload(job):
    """A Dask task: verify and time one workload on the runners of its kind, as `run_cases` does."""
    from jitvm.bench.harness import run_cases

    case, runners, settings = job
    return run_cases([case], runners, settings).measurements


def _run_on_dask(target, cases, runners, settings, progress, run) -> None:
    """One task per workload; the measurements are put in workload order, as a local run has them.
    Workers time at the same moment, so on one machine they share its cores and memory bandwidth."""
    import time

    from jitvm.distributed import map_tasks, open_client
    from jitvm.distributed.tasks import TaskFailed

    jobs = [(case, [runner for runner in runners if runner.kind == case.kind], settings) for case in cases]
    started = time.perf_counter()

    def arrived(index, result):
        progress.case_finished(cases[index])

    try:
        with open_client(target) as client:
            outcome = map_tasks(client, _time_one_workload, jobs, name="bench", on_result=arrived, keep_errors=True)
    except KeyboardInterrupt:
        run.interrupted = True
        run.notes.append("interrupted by Ctrl-C: the workloads still running on the cluster were dropped")
        return
    finally:
        run.seconds += time.perf_counter() - started
    for case, result in zip(cases, outcome.results):
        if isinstance(result, TaskFailed):
            run.notes.append(f"{case.key}: its task failed on every worker it was given ({result.error})")
        else:
            run.measurements.extend(result)
    run.notes.append(f"timed on a Dask cluster ({target.describe()}), {outcome.workers} workloads at a time; "
                     f"{outcome.reruns} task(s) run again after a worker was lost")


EXTRA_ROUNDS_FACTOR = 3  # a suspect workload is timed again with this many times the rounds


def _time_suspects_again(comparison, cases, runners, settings, normalize_to, run, err) -> int:
    """Time the workloads of suspect rows again (the engine and its normalizer, interleaved, with
    more rounds) and add the samples to this run's; returns how many workloads were timed again."""
    from dataclasses import replace

    from jitvm.bench.compare import DEFAULT_NORMALIZER
    from jitvm.bench.harness import run_cases
    from jitvm.bench.results import OK, BenchRun

    wanted: dict[str, set[str]] = {}
    for row in comparison.suspects():
        normalizer = DEFAULT_NORMALIZER[row.kind] if normalize_to in (None, "auto") else normalize_to
        wanted.setdefault(f"{row.kind}/{row.workload}", set()).update({row.engine, normalizer})
    again = [case for case in cases if case.key in wanted]
    more = replace(settings, repeat=settings.repeat * EXTRA_ROUNDS_FACTOR, budget=settings.budget * EXTRA_ROUNDS_FACTOR)
    err.print(f"timing {len(again)} suspect workload(s) again with up to {more.repeat} rounds", highlight=False)
    measured = {(m.key, m.engine): m for m in run.measurements}
    for case in again:
        chosen = [runner for runner in runners if runner.kind == case.kind and runner.name in wanted[case.key]]
        extra = [m for m in run_cases([case], chosen, more, None, BenchRun()).measurements if m.status == OK]
        pairs = [(measured[(m.key, m.engine)], m) for m in extra
                 if (m.key, m.engine) in measured and measured[(m.key, m.engine)].status == OK]
        if not pairs:
            continue
        # The gate pairs the i-th samples of an engine and its normalizer (same round): keep the
        # rounds aligned by trimming each batch to the rounds every engine finished.
        kept_before = min(len(original.samples) for original, _ in pairs)
        kept_now = min(len(new.samples) for _, new in pairs)
        for original, new in pairs:
            original.samples[:] = original.samples[:kept_before] + new.samples[:kept_now]
    return len(again)


def _select_cases(args):
    from jitvm.bench.userfile import load_workload_file
    from jitvm.bench.workloads import bundled_cases, filter_cases, find_fixtures
    from jitvm.errors import InputError

    if args.workload:
        cases = [case for path in args.workload for case in load_workload_file(path)]
        keys = [case.key for case in cases]
        duplicate = next((key for key in keys if keys.count(key) > 1), None)
        if duplicate:
            raise InputError("--workload", f"two workloads are called {duplicate}")
    else:
        cases = bundled_cases(find_fixtures(args.fixtures), quick=args.quick, every_input=args.all_inputs)
        if not cases:
            raise InputError("fixtures", "no benchmark workloads found in the fixtures folder")
    selected = filter_cases(cases, args.filter)
    if not selected:
        hint = "" if args.all_inputs or args.workload else " (--all-inputs searches every input)"
        raise InputError("--filter", f"no workload matches {args.filter!r}{hint}")
    return selected


def _list(cases, runners, unavailable, out) -> None:
    from rich.table import Table

    table = Table(title="Workloads", title_justify="left", header_style="bold")
    for column in ("workload", "group", "expected answer", "work per call"):
        table.add_column(column)
    for case in cases:
        work = "-" if case.expected_units is None else f"{case.expected_units:,} {case.unit}"
        table.add_row(case.key, case.group, case.describe_answer(), work)
    out.print(table)
    by_kind = {}
    for runner in runners:
        by_kind.setdefault(runner.kind, []).append(runner.name + (" (peer)" if runner.peer else ""))
    for kind, names in by_kind.items():
        out.print(f"{kind} engines: {', '.join(names)}")
    for name, reason in unavailable.items():
        out.print(f"not available: {name}: {reason}", style="yellow")
