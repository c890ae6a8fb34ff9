"""The report of a run as rich tables (one per kind: EVM and BPF), and the progress display."""

from __future__ import annotations

from jitvm.bench.harness import Progress
from jitvm.bench.results import FAILED, INTERRUPTED, OK, SKIPPED, BenchRun, Measurement

def legend(timer: str) -> str:
    if timer == "instructions":
        return ("insn/call: CPU instructions executed per call, counted under valgrind (callgrind), median of "
                "the counted runs; ×ref, ×pyrevm, ×py-evm: ratios of those counts; compile, cache load: CPU "
                "time during the first call, under valgrind (so much slower than usual).")
    clock = "wall time" if timer == "wall" else "process CPU time"
    return (
        f"time/call: median of the timed runs, in {clock} (each run the mean of a batch of calls when calls "
        "are fast); spread: median absolute deviation / median; ×ref, ×pyrevm, ×py-evm, ×native: the reference's "
        "(pyrevm's, py-evm's, the C source's compiled with clang -O2) time / this engine's time, above 1 when "
        "this engine is faster; compile, cache load: "
        "during the first call, for engines that report them ('-' otherwise), with a tiered JIT's optimizing "
        "compile in brackets (it runs in the background and is waited for before timing)."
    )


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if seconds >= scale or unit == "ns":
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return "-"


def format_count(count: float | None) -> str:
    if count is None:
        return "-"
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= scale:
            return f"{count / scale:.4g} {unit}"
    return f"{count:.0f}"


def format_speedup(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.3g}x" if ratio < 100 else f"{ratio:,.0f}x"


def render(run: BenchRun, console) -> None:
    """Print the tables, footnotes, unavailable engines and notes of `run` on a rich console."""
    for kind in ("evm", "bpf", "wasm", "svm"):
        measurements = [m for m in run.measurements if m.kind == kind]
        if measurements:
            table, footnotes = _table(kind, measurements, run.settings.get("timer") == "instructions")
            console.print(table)
            for number, text in footnotes:
                console.print(f"  [{number}] {text}", highlight=False, markup=False, soft_wrap=True)
    if any(m.status == OK for m in run.measurements):
        console.print(legend(run.settings.get("timer", "cpu")), style="dim")
    if run.unavailable:
        listed = "; ".join(f"{name}: {reason}" for name, reason in run.unavailable.items())
        console.print(f"not available: {listed}", style="yellow", markup=False, soft_wrap=True)
    for note in run.notes:
        console.print(note, style="yellow", markup=False, soft_wrap=True)
    failures = run.failures
    if failures:
        console.print(f"[red]{len(failures)} wrong answer(s)[/]: "
                      + ", ".join(f"{m.key} on {m.engine}" for m in failures), soft_wrap=True)


def _table(kind: str, measurements: list[Measurement], counted: bool = False):
    from rich.table import Table

    engines_with_times = list(dict.fromkeys(m.engine for m in measurements if m.status == OK and m.median))
    # Speedups against each peer, and against the reference where it was timed.
    against = [name for name in ("reference", "pyrevm", "py-evm", "native", "litesvm") if name in engines_with_times]
    if engines_with_times == against[:1]:
        against = []  # one engine only: nothing to compare with
    title = {"evm": "EVM workloads", "bpf": "BPF workloads", "wasm": "Wasm workloads (MultiversX V4 gas)",
             "svm": "Solana transactions (SVM; a call is one transaction, on mixed one of each of 4 kinds)"}[kind]
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("workload")
    table.add_column("engine")
    table.add_column("runs", justify="right")
    table.add_column("insn/call" if counted else "time/call", justify="right")
    table.add_column("spread", justify="right")
    if not counted:
        table.add_column({"bpf": "ns/insn", "svm": "rate"}.get(kind, "Mgas/s"), justify="right")
    for name in against:
        table.add_column(f"×{'ref' if name == 'reference' else name}", justify="right")
    table.add_column("compile", justify="right")
    table.add_column("cache load", justify="right")

    by_key: dict[str, list[Measurement]] = {}
    for m in measurements:
        by_key.setdefault(m.key, []).append(m)
    footnotes: list[tuple[int, str]] = []
    for key, rows in by_key.items():
        medians = {m.engine: m.median for m in rows if m.status == OK and m.median}
        for position, m in enumerate(rows):
            workload = m.workload if position == 0 else ""
            if m.status in (OK, INTERRUPTED) and m.samples:
                time_cell = format_count(m.median) if counted else format_seconds(m.median)
                if m.status == INTERRUPTED:
                    time_cell += " (partial)"
                if m.note and m.status == OK:
                    footnotes.append((len(footnotes) + 1, f"{m.key} on {m.engine}: {m.note}"))
                    time_cell = f"{time_cell} [{len(footnotes)}]"
                spread = "-" if m.spread is None else f"±{m.spread * 100:.0f}%"
                rate = "-" if m.rate is None else (f"{m.rate:,.1f}" if m.rate >= 10 else f"{m.rate:.3g}")
                speedups = [format_speedup(medians[name] / m.median) if name in medians and name != m.engine else "-"
                            for name in against]
                cells = [str(len(m.samples)), time_cell, spread, *([] if counted else [rate]), *speedups]
            else:
                footnotes.append((len(footnotes) + 1, f"{m.key} on {m.engine}: {m.note or m.status}"))
                style = {FAILED: "red", SKIPPED: "yellow"}.get(m.status, "yellow")
                label = {FAILED: "FAILED", SKIPPED: "skipped", INTERRUPTED: "interrupted"}.get(m.status, m.status)
                cells = ["0", f"[{style}]{label} [{len(footnotes)}][/]", "", *([] if counted else [""]),
                         *([""] * len(against))]
            compiled = format_seconds(m.compile_seconds)
            if m.optimize_seconds:
                compiled += f" (+{format_seconds(m.optimize_seconds)})"
            table.add_row(workload, m.engine, *cells, compiled,
                          format_seconds(m.cache_load_seconds), end_section=position == len(rows) - 1)
    return table, footnotes


class RichProgress(Progress):
    """An overall bar (workloads done) whose description says what is running now."""

    def __init__(self, total: int, console):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bars, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.bars = Bars(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal,
        )
        self.task = self.bars.add_task("starting", total=total)

    def __enter__(self):
        self.bars.__enter__()
        return self

    def __exit__(self, *exc):
        return self.bars.__exit__(*exc)

    def case_started(self, index, case):
        self.bars.update(self.task, description=case.key)

    def step(self, case, runner, what):
        self.bars.update(self.task, description=f"{case.key} [cyan]{runner.name}[/] {what}")

    def case_finished(self, case):
        self.bars.advance(self.task)
