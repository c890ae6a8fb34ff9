"""The regression gate: compare this run with a baseline results file (`--compare FILE`).

Absolute times drift between machines and between runs on shared machines, so each engine's time
is judged as a ratio to a normalizing engine measured in the same run, on the same workload:
pyrevm for the EVM and the reference interpreter for BPF by default (`--normalize-to NAME` picks
another; `none` compares absolute times). Where the normalizer was not timed in both runs, the
absolute times are compared and the row says so.

Each row's change (median ratio now / median ratio in the baseline - 1) comes with a 95% confidence
interval, bootstrapped from the timed rounds of both runs. The harness times every engine once per
round, in turn, so an engine's sample and its normalizer's sample of the same round shared the
machine's conditions: the ratio is taken round by round (paired), which cancels most of the load
that other processes put on a shared machine. Where the normalizer took fewer than
MIN_PAIRED_ROUNDS samples (a Python interpreter on a long call), engine and normalizer samples are
resampled separately instead. The verdict:

    regressed     the whole interval is above --max-regression
    ok            the whole interval is at or below it
    inconclusive  the interval straddles it: the runs cannot tell

`jitvm bench` times the workloads of rows that are not `ok` again, with more rounds
(`suspects`), before it gives the final verdict; only `regressed` fails the gate.

Instruction counts (--timer instructions) are deterministic: their interval is the point itself, and
they are compared as absolute counts (a machine's load does not change them).

Only jitvm's engines are judged: the peers are not ours to gate, and the normalizer is 1 by definition.
"""

from __future__ import annotations

import json
import random
import statistics
import zlib
from dataclasses import dataclass
from pathlib import Path

from jitvm.errors import InputError

DEFAULT_NORMALIZER = {"evm": "pyrevm", "bpf": "reference", "svm": "litesvm"}
BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95
MIN_PAIRED_ROUNDS = 5  # fewer rounds of the normalizer: engine and normalizer are resampled apart

OK_VERDICT, REGRESSED, INCONCLUSIVE = "ok", "regressed", "inconclusive"


@dataclass(slots=True)
class Row:
    kind: str
    workload: str
    engine: str
    basis: str  # the normalizing engine, or "absolute"
    baseline: float  # median ratio (or seconds / instructions, when absolute)
    now: float
    low: float  # the change's confidence interval
    high: float
    verdict: str  # ok, regressed or inconclusive
    rounds: tuple[int, int] = (0, 0)  # samples judged, in the baseline and now

    @property
    def change(self) -> float:
        return self.now / self.baseline - 1

    @property
    def regressed(self) -> bool:
        return self.verdict == REGRESSED


@dataclass(slots=True)
class Comparison:
    rows: list[Row]
    threshold: float

    @property
    def regressions(self) -> list[Row]:
        return [row for row in self.rows if row.regressed]

    @property
    def inconclusive(self) -> list[Row]:
        return [row for row in self.rows if row.verdict == INCONCLUSIVE]

    def suspects(self) -> list[Row]:
        """Rows worth more rounds before the verdict is final."""
        return [row for row in self.rows if row.verdict != OK_VERDICT]


def parse_threshold(text: str) -> float:
    """'10%' or '10' (percent) -> 0.10."""
    value = text.strip().removesuffix("%").strip()
    try:
        percent = float(value)
    except ValueError:
        raise InputError("--max-regression", f"expected a percentage such as 10%, got {text!r}") from None
    if percent < 0:
        raise InputError("--max-regression", f"a percentage of at least 0, got {text!r}")
    return percent / 100


def load_baseline(path: str | Path) -> dict:
    from jitvm.bench.results import validate_results
    from jitvm.bench.schema import SchemaError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"--compare {path}", "no such file")
    try:
        document = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"--compare {path}", f"not a results file (malformed JSON: {exc})") from None
    try:
        validate_results(document)
    except SchemaError as exc:
        raise InputError(f"{path}: {exc.path or 'document'}", f"{exc.problem} (not a jitvm bench --json file?)") from None
    return document


def compare(baseline: dict, current: dict, threshold: float, normalize_to: str | None = None) -> Comparison:
    """Rows for every jitvm engine timed on the same workload in both documents (results JSON)."""
    before, now = _samples(baseline), _samples(current)
    counted = _timer(baseline) == "instructions" and _timer(current) == "instructions"
    rows = []
    for (kind, workload, engine), (samples_now, peer) in now.items():
        if peer or (kind, workload, engine) not in before:
            continue
        normalizer = DEFAULT_NORMALIZER[kind] if normalize_to in (None, "auto") else normalize_to
        if counted and normalize_to in (None, "auto"):
            normalizer = "none"  # counts do not drift with the machine's load
        if engine == normalizer:
            continue
        reference_now = now.get((kind, workload, normalizer))
        reference_before = before.get((kind, workload, normalizer))
        samples_before = before[(kind, workload, engine)][0]
        key = f"{kind}/{workload}/{engine}"
        if normalizer != "none" and reference_now and reference_before:
            basis = normalizer
            before_pair, now_pair = (samples_before, reference_before[0]), (samples_now, reference_now[0])
            if min(map(len, (*before_pair, *now_pair))) >= MIN_PAIRED_ROUNDS:
                series_before, series_now = _paired_ratios(*before_pair), _paired_ratios(*now_pair)
                low, high = _interval(series_before, series_now, key)
                middle_before, middle_now = statistics.median(series_before), statistics.median(series_now)
            else:  # a slow normalizer took few samples: resample engine and normalizer separately
                low, high = _unpaired_interval(before_pair, now_pair, key)
                middle_before, middle_now = _ratio_of_medians(*before_pair), _ratio_of_medians(*now_pair)
            rounds = (len(samples_before), len(samples_now))
        else:
            basis = "instructions" if counted else "absolute"
            low, high = ((_change(samples_before, samples_now),) * 2 if counted
                         else _interval(samples_before, samples_now, key))
            middle_before, middle_now = statistics.median(samples_before), statistics.median(samples_now)
            rounds = (len(samples_before), len(samples_now))
        verdict = REGRESSED if low > threshold else OK_VERDICT if high <= threshold else INCONCLUSIVE
        rows.append(Row(kind, workload, engine, basis, middle_before, middle_now, low, high, verdict, rounds))
    return Comparison(rows, threshold)


def _timer(document: dict) -> str:
    return document.get("settings", {}).get("timer", "cpu")


def _samples(document: dict) -> dict[tuple[str, str, str], tuple[list[float], bool]]:
    found = {}
    for r in document["results"]:
        samples = [s for s in r.get("samples") or [] if s and s > 0]
        if r["status"] == "ok" and samples:
            found[(r["kind"], r["workload"], r["engine"])] = (samples, r["peer"])
        elif r["status"] == "ok" and r.get("median"):
            found[(r["kind"], r["workload"], r["engine"])] = ([r["median"]], r["peer"])
    return found


def _paired_ratios(samples: list[float], normalizer: list[float]) -> list[float]:
    """Ratio per round: the i-th samples of both were taken in the same round of the harness."""
    count = min(len(samples), len(normalizer))
    return [samples[i] / normalizer[i] for i in range(count)]


def _change(before: list[float], now: list[float]) -> float:
    return statistics.median(now) / statistics.median(before) - 1


def _ratio_of_medians(samples: list[float], normalizer: list[float]) -> float:
    return statistics.median(samples) / statistics.median(normalizer)


def _unpaired_interval(before: tuple[list[float], list[float]], now: tuple[list[float], list[float]],
                       key: str) -> tuple[float, float]:
    generator = random.Random(zlib.crc32(key.encode()))

    def resampled(samples: list[float]) -> float:
        return statistics.median(generator.choices(samples, k=len(samples)))

    changes = sorted(
        (resampled(now[0]) / resampled(now[1])) / (resampled(before[0]) / resampled(before[1])) - 1
        for _ in range(BOOTSTRAP_RESAMPLES)
    )
    return _percentiles(changes)


def _percentiles(changes: list[float]) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2
    return changes[int(tail * len(changes))], changes[min(len(changes) - 1, int((1 - tail) * len(changes)))]


def _interval(before: list[float], now: list[float], key: str) -> tuple[float, float]:
    """The bootstrap percentile interval of the change in medians (seeded by the row, so a verdict
    does not depend on the order rows are judged in)."""
    if len(before) < 2 and len(now) < 2:
        change = _change(before, now)
        return change, change  # nothing to resample: a single sample on each side cannot say more
    generator = random.Random(zlib.crc32(key.encode()))
    changes = sorted(
        statistics.median(generator.choices(now, k=len(now))) / statistics.median(generator.choices(before, k=len(before))) - 1
        for _ in range(BOOTSTRAP_RESAMPLES)
    )
    return _percentiles(changes)


def render(comparison: Comparison, baseline_name: str, console, rechecked: int = 0) -> None:
    from rich.table import Table

    from jitvm.bench.report import format_seconds

    threshold = f"{comparison.threshold * 100:g}%"
    table = Table(title=f"Compared with {baseline_name} (regression beyond +{threshold})", title_justify="left",
                  header_style="bold")
    for column, justify in (("workload", "left"), ("engine", "left"), ("judged on", "left"),
                            ("baseline", "right"), ("now", "right"), ("change", "right"),
                            ("95% interval", "right"), ("runs", "right"), ("", "left")):
        table.add_column(column, justify=justify)
    for row in comparison.rows:
        show = {"absolute": format_seconds, "instructions": lambda count: f"{count:,.0f}"}.get(
            row.basis, lambda ratio: f"{ratio:.4g}")
        basis = {"absolute": "absolute time", "instructions": "instructions"}.get(row.basis, f"time / {row.basis} time")
        verdict = {REGRESSED: "[red]REGRESSED[/]", INCONCLUSIVE: "[yellow]inconclusive[/]"}.get(row.verdict, "[green]ok[/]")
        interval = "exact" if row.low == row.high else f"{row.low * 100:+.1f}%..{row.high * 100:+.1f}%"
        table.add_row(f"{row.kind}/{row.workload}", row.engine, basis, show(row.baseline), show(row.now),
                      f"{row.change * 100:+.1f}%", interval, f"{row.rounds[0]}/{row.rounds[1]}", verdict)
    console.print(table)
    regressions, unsure = comparison.regressions, comparison.inconclusive
    if rechecked:
        console.print(f"{rechecked} suspect workload(s) timed again with more rounds before this verdict", style="dim")
    if not comparison.rows:
        console.print("[red]nothing to compare[/]: no jitvm engine was timed on the same workload in both runs",
                      soft_wrap=True)
        return
    if unsure:
        listed = ", ".join(f"{r.kind}/{r.workload} on {r.engine} {r.change * 100:+.0f}%" for r in unsure)
        console.print(f"[yellow]inconclusive[/]: {len(unsure)} timing(s) whose interval straddles {threshold} "
                      f"(not a failure; a quieter machine or --timer instructions can tell): {listed}", soft_wrap=True)
    if regressions:
        listed = ", ".join(f"{r.kind}/{r.workload} on {r.engine} {r.change * 100:+.0f}%" for r in regressions)
        console.print(f"[red]REGRESSION[/]: {len(regressions)} of {len(comparison.rows)} timings slower than "
                      f"{baseline_name} by more than {threshold} (whole 95% interval): {listed}", soft_wrap=True)
    else:
        console.print(f"[green]no regression[/] beyond {threshold} ({len(comparison.rows)} timings compared)",
                      soft_wrap=True)


def passed(comparison: Comparison) -> bool:
    return bool(comparison.rows) and not comparison.regressions
