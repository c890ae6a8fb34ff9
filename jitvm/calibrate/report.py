"""The calibration report: per VM, nanoseconds per unit of gas (median over instructions and a
least-squares fit over workloads), the instructions whose gas underprices their time the most, and
plots."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path

from jitvm.calibrate.measure import Measurement


def summarize(measurements: list[Measurement]) -> dict:
    """Per VM: instruction counts, the median ns/gas over instructions with a measurable time, the
    ns/gas fitted over workloads, and the ten most underpriced instructions."""
    by_vm: dict[str, list[Measurement]] = defaultdict(list)
    for measurement in measurements:
        if not measurement.note and measurement.gas > 0:
            by_vm[measurement.vm].append(measurement)
    summary = {}
    for vm, items in sorted(by_vm.items()):
        instructions = [m for m in items if m.kind in ("instruction", "host")]
        workloads = [m for m in items if m.kind == "workload"]
        # An instruction the loop cannot tell from its control (a JIT hides it in the pipeline, or
        # folds it) has no time of its own to divide; it is counted, not averaged in.
        resolved = [m for m in instructions if m.nanoseconds >= RESOLUTION_NS]
        ratios = sorted(m.ns_per_gas for m in resolved)
        entry = {
            "instructions": len(instructions),
            "below_resolution": len(instructions) - len(resolved),
            "median_ns_per_gas": round(statistics.median(ratios), 4) if ratios else None,
            "fit_ns_per_gas": _fit(workloads),
            "underpriced": [m.as_json() for m in sorted(instructions, key=lambda m: -m.ns_per_gas)[:10]],
        }
        reference = entry["fit_ns_per_gas"] or entry["median_ns_per_gas"]
        entry["distance_from_1ns"] = None if reference is None else round(reference, 4)
        summary[vm] = entry
    return summary


RESOLUTION_NS = 0.05


def _fit(workloads: list[Measurement]) -> float | None:
    """Least-squares slope through the origin of time against gas."""
    if not workloads:
        return None
    numerator = sum(m.gas * m.nanoseconds for m in workloads)
    denominator = sum(m.gas * m.gas for m in workloads)
    return round(numerator / denominator, 4) if denominator else None


def table(summary: dict, console) -> None:
    from rich.table import Table

    overview = Table(title="gas against time", header_style="bold")
    for column in ("VM", "instructions", "below resolution", "median ns/gas", "workload fit ns/gas",
                   "most underpriced"):
        overview.add_column(column, justify="right" if column != "VM" else "left")
    for vm, entry in summary.items():
        worst = entry["underpriced"][0] if entry["underpriced"] else None
        shown = f"{worst['name']} ({worst['ns_per_gas']:.3g} ns/gas)" if worst else "-"
        overview.add_row(vm, str(entry["instructions"]), str(entry["below_resolution"]),
                         _number(entry["median_ns_per_gas"]),
                         _number(entry["fit_ns_per_gas"]), shown)
    console.print(overview)


def _number(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def plot(measurements: list[Measurement], summary: dict, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    figure, axis = plt.subplots(figsize=(9, 5))
    for vm, entry in summary.items():
        items = [m for m in measurements if m.vm == vm and m.kind != "workload" and m.gas > 0 and not m.note]
        if items:
            axis.scatter([m.gas for m in items], [max(m.nanoseconds, 0.01) for m in items], s=10, label=vm)
    lows = [0.1, 1e6]
    axis.plot(lows, lows, color="grey", linestyle="--", label="1 gas = 1 ns")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("gas per execution")
    axis.set_ylabel("nanoseconds per execution")
    axis.set_title("Instructions: time against gas")
    axis.legend(fontsize=7)
    path = folder / "instructions.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    written.append(path)

    figure, axis = plt.subplots(figsize=(9, 5))
    names, values = [], []
    for vm, entry in summary.items():
        for item in entry["underpriced"][:5]:
            names.append(f"{vm}: {item['name']}")
            values.append(item["ns_per_gas"])
    axis.barh(names[::-1], values[::-1])
    axis.set_xscale("log")
    axis.set_xlabel("nanoseconds per gas (higher: underpriced)")
    axis.set_title("Most underpriced instructions per VM")
    path = folder / "underpriced.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    written.append(path)
    return written
