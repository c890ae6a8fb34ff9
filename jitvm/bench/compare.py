"""The regression gate: compare this run with a baseline results file (`--compare FILE`).

Absolute times drift between machines and between runs on shared machines, so each engine's time
is judged as a ratio to a normalizing engine measured in the same run, on the same workload:
pyrevm for the EVM and the reference interpreter for BPF by default (`--normalize-to NAME` picks
another; `none` compares absolute times). Where the normalizer was not timed in both runs, the
absolute times are compared and the row says so.

A row regressed when (ratio now / ratio in the baseline - 1) exceeds --max-regression. Only jitvm's
engines are judged: the peers are not ours to gate, and the normalizer is 1 by definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jitvm.errors import InputError

DEFAULT_NORMALIZER = {"evm": "pyrevm", "bpf": "reference"}


@dataclass(slots=True)
class Row:
    kind: str
    workload: str
    engine: str
    basis: str  # the normalizing engine, or "absolute"
    baseline: float  # ratio (or seconds, when absolute)
    now: float
    regressed: bool

    @property
    def change(self) -> float:
        return self.now / self.baseline - 1


@dataclass(slots=True)
class Comparison:
    rows: list[Row]
    threshold: float

    @property
    def regressions(self) -> list[Row]:
        return [row for row in self.rows if row.regressed]


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
    before, now = _medians(baseline), _medians(current)
    rows = []
    for (kind, workload, engine), (median, peer) in now.items():
        if peer or (kind, workload, engine) not in before:
            continue
        normalizer = DEFAULT_NORMALIZER[kind] if normalize_to in (None, "auto") else normalize_to
        if engine == normalizer:
            continue
        reference_now = now.get((kind, workload, normalizer))
        reference_before = before.get((kind, workload, normalizer))
        if normalizer != "none" and reference_now and reference_before:
            ratio_before = before[(kind, workload, engine)][0] / reference_before[0]
            ratio_now = median / reference_now[0]
            basis = normalizer
        else:
            ratio_before, ratio_now, basis = before[(kind, workload, engine)][0], median, "absolute"
        rows.append(Row(kind, workload, engine, basis, ratio_before, ratio_now, ratio_now / ratio_before - 1 > threshold))
    return Comparison(rows, threshold)


def _medians(document: dict) -> dict[tuple[str, str, str], tuple[float, bool]]:
    return {
        (r["kind"], r["workload"], r["engine"]): (r["median"], r["peer"])
        for r in document["results"]
        if r["status"] == "ok" and r["median"]
    }


def render(comparison: Comparison, baseline_name: str, console) -> None:
    from rich.table import Table

    from jitvm.bench.report import format_seconds

    threshold = f"{comparison.threshold * 100:g}%"
    table = Table(title=f"Compared with {baseline_name} (regression beyond +{threshold})", title_justify="left",
                  header_style="bold")
    for column, justify in (("workload", "left"), ("engine", "left"), ("judged on", "left"),
                            ("baseline", "right"), ("now", "right"), ("change", "right"), ("", "left")):
        table.add_column(column, justify=justify)
    for row in comparison.rows:
        absolute = row.basis == "absolute"
        show = format_seconds if absolute else (lambda ratio: f"{ratio:.4g}")
        basis = "absolute time" if absolute else f"time / {row.basis} time"
        verdict = "[red]REGRESSED[/]" if row.regressed else "[green]ok[/]"
        table.add_row(f"{row.kind}/{row.workload}", row.engine, basis, show(row.baseline), show(row.now),
                      f"{row.change * 100:+.1f}%", verdict)
    console.print(table)
    regressions = comparison.regressions
    if not comparison.rows:
        console.print("[red]nothing to compare[/]: no jitvm engine was timed on the same workload in both runs",
                      soft_wrap=True)
    elif regressions:
        listed = ", ".join(f"{r.kind}/{r.workload} on {r.engine} {r.change * 100:+.0f}%" for r in regressions)
        console.print(f"[red]REGRESSION[/]: {len(regressions)} of {len(comparison.rows)} timings slower than "
                      f"{baseline_name} by more than {threshold}: {listed}", soft_wrap=True)
    else:
        console.print(f"[green]no regression[/] beyond {threshold} ({len(comparison.rows)} timings compared)",
                      soft_wrap=True)


def passed(comparison: Comparison) -> bool:
    return bool(comparison.rows) and not comparison.regressions
