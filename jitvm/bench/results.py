"""What a benchmark run measured, and its JSON form (the schema is results.schema.json, next to
this module; `validate_results` checks a document against it).

One `Measurement` per case and engine: whether the engine gave the right answer (`status`), the
timed runs (seconds per call), and the work per call (gas or instructions) that rates are made of.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
FORMAT = "jitvm-bench-results"
FORMAT_VERSION = 1

# status of a measurement
OK = "ok"  # right answer, timed
FAILED = "failed"  # wrong answer or error: never timed
SKIPPED = "skipped"  # left out on purpose (too slow for this run); `note` says why
INTERRUPTED = "interrupted"  # Ctrl-C came before it finished; samples taken so far are kept
PENDING = "pending"


@dataclass
class Measurement:
    kind: str  # evm or bpf
    workload: str  # contract/input or program/size
    group: str
    engine: str
    peer: bool
    unit: str  # gas or instructions
    status: str = PENDING
    note: str = ""
    units: int | None = None  # work per call
    samples: list[float] = field(default_factory=list)  # seconds per call, one per timed sample
    calls_per_sample: int = 1
    first_call_seconds: float | None = None  # the verifying call (includes any compilation)
    compile_seconds: float | None = None  # from the engine's compile_stats(), when it has one
    cache_load_seconds: float | None = None
    optimize_seconds: float | None = None  # a tiered JIT's optimizing compile, waited for before timing

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.workload}"

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def spread(self) -> float | None:
        """The median absolute deviation of the timed samples, relative to their median (robust to
        one slow outlier, which min-max is not)."""
        if len(self.samples) < 2:
            return None
        median = self.median
        return statistics.median(abs(sample - median) for sample in self.samples) / median

    @property
    def rate(self) -> float | None:
        """Mgas/s for the EVM, nanoseconds per instruction for BPF."""
        median = self.median
        if not median or not self.units:
            return None
        return self.units / median / 1e6 if self.unit == "gas" else median / self.units * 1e9


@dataclass
class BenchRun:
    measurements: list[Measurement] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)  # "kind/engine" -> why
    notes: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    interrupted: bool = False
    started: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    seconds: float = 0.0

    @property
    def failures(self) -> list[Measurement]:
        return [m for m in self.measurements if m.status == FAILED]

    def find(self, key: str, engine: str) -> Measurement | None:
        return next((m for m in self.measurements if m.key == key and m.engine == engine), None)


# -- JSON -----------------------------------------------------------------------------------------

def to_json(run: BenchRun) -> dict:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "started": run.started,
        "seconds": round(run.seconds, 3),
        "interrupted": run.interrupted,
        "machine": machine_info(),
        "versions": versions(),
        "settings": run.settings,
        "unavailable": dict(run.unavailable),
        "notes": list(run.notes),
        "results": [_measurement_json(m, run.settings.get("timer") == "instructions") for m in run.measurements],
    }


def _measurement_json(m: Measurement, counted: bool = False) -> dict:
    return {
        "kind": m.kind,
        "workload": m.workload,
        "group": m.group,
        "engine": m.engine,
        "peer": m.peer,
        "status": m.status,
        "note": m.note,
        "unit": m.unit,
        "units": m.units,
        "samples": m.samples,
        "calls_per_sample": m.calls_per_sample,
        "median": m.median,
        "min": min(m.samples) if m.samples else None,
        "max": max(m.samples) if m.samples else None,
        "rate": None if counted else m.rate,  # a rate of instruction counts would mean nothing
        "rate_unit": "Mgas/s" if m.unit == "gas" else "ns/insn",
        "first_call": m.first_call_seconds,
        "compile": m.compile_seconds,
        "cache_load": m.cache_load_seconds,
        "optimize": m.optimize_seconds,
    }


def write_json(run: BenchRun, path: str | os.PathLike) -> None:
    document = to_json(run)
    validate_results(document)  # never write a file the schema (and --compare) would reject
    Path(path).write_text(json.dumps(document, indent=1) + "\n")


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def validate_results(document) -> None:
    """Raise jitvm.bench.schema.SchemaError (with the path of the offending value) if `document`
    does not follow results.schema.json."""
    from jitvm.bench.schema import validate

    validate(document, load_schema())


def machine_info() -> dict:
    info = {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count() or 0,
        "python": platform.python_implementation() + " " + platform.python_version(),
    }
    if hasattr(os, "getloadavg"):
        info["load_average"] = [round(value, 2) for value in os.getloadavg()]
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> dict:
    found = {"python": sys.version.split()[0]}
    for distribution in ("jitvm", "numba", "llvmlite", "numpy", "pyrevm", "py-evm"):
        try:
            found[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            found[distribution] = None
    return found
