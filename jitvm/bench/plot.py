"""A chart of a run (`--plot FILE`, .png or .svg): per workload, one bar per engine giving the time
per call on a log scale (whiskers: fastest and slowest run); EVM and BPF in separate panels."""

from __future__ import annotations

import math
from pathlib import Path

from jitvm.bench.results import OK, BenchRun
from jitvm.errors import InputError

FORMATS = (".png", ".svg")


def check_path(path: str) -> Path:
    target = Path(path)
    if target.suffix.lower() not in FORMATS:
        raise InputError("--plot", f"the file name must end in .png or .svg, got {target.name!r}")
    if not target.parent.is_dir():
        raise InputError("--plot", f"no such folder: {target.parent}")
    return target


def write_plot(run: BenchRun, path: str) -> bool:
    """Draw the chart; False if nothing was timed."""
    target = check_path(path)
    try:
        import matplotlib
    except ImportError:
        raise InputError("--plot", "matplotlib is not installed (pip install 'jitvm[plot]')") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for kind, title in (("evm", "EVM workloads"), ("bpf", "BPF workloads")):
        timed = [m for m in run.measurements if m.kind == kind and m.status == OK and m.median]
        if timed:
            panels.append((title, timed))
    if not panels:
        return False
    heights = [max(2.0, 0.5 * len({m.workload for m in timed}) + 1.2) for _, timed in panels]
    figure, axes = plt.subplots(len(panels), 1, figsize=(10, sum(heights)), squeeze=False,
                                gridspec_kw={"height_ratios": heights})
    engines = list(dict.fromkeys(m.engine for _, timed in panels for m in timed))
    colours = {engine: f"C{index}" for index, engine in enumerate(engines)}  # one colour per engine throughout
    for axis, (title, timed) in zip(axes[:, 0], panels):
        _panel(axis, title, timed, colours)
    figure.suptitle(f"jitvm bench, {run.started}", fontsize=10)
    figure.tight_layout()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text: searchable, smaller
        figure.savefig(target)
    plt.close(figure)
    return True


def _panel(axis, title: str, timed, colours: dict[str, str]) -> None:
    workloads = list(dict.fromkeys(m.workload for m in timed))
    engines = list(dict.fromkeys(m.engine for m in timed))
    height = 0.8 / len(engines)
    for index, engine in enumerate(engines):
        rows = {m.workload: m for m in timed if m.engine == engine}
        positions, medians, low, high = [], [], [], []
        for row, workload in enumerate(workloads):
            m = rows.get(workload)
            if m is None:
                continue
            positions.append(row - 0.4 + height * (index + 0.5))
            medians.append(m.median)
            low.append(m.median - min(m.samples))
            high.append(max(m.samples) - m.median)
        axis.barh(positions, medians, height=height * 0.9, xerr=[low, high], color=colours[engine],
                  label=engine, error_kw={"elinewidth": 0.8, "capsize": 2})
    axis.set_xscale("log")
    # Bars on a log scale start at the left edge: put it at a whole decade below every run, so
    # that bar lengths compare as they should.
    fastest = min(min(m.samples) for m in timed)
    slowest = max(max(m.samples) for m in timed)
    axis.set_xlim(10 ** math.floor(math.log10(fastest)), 10 ** math.ceil(math.log10(slowest) + 0.05))
    axis.set_yticks(range(len(workloads)))
    axis.set_yticklabels(workloads, fontsize=8)
    axis.invert_yaxis()  # first workload at the top, as in the table
    axis.set_xlabel("time per call (seconds, log scale; shorter is faster)")
    axis.set_title(title, loc="left", fontsize=10)
    axis.grid(axis="x", which="both", alpha=0.3)
    axis.legend(fontsize=8, loc="best")
