"""Timing a generated loop with and without one instruction."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

BODY_REPEAT = 16  # copies of the instruction per loop iteration


@dataclass
class Measurement:
    vm: str  # "evm/baseline", "bpf/jit", "wasm", ...
    name: str  # instruction or workload
    kind: str  # "instruction", "host" or "workload"
    nanoseconds: float  # per execution
    gas: float  # per execution, as charged
    note: str = ""

    @property
    def ns_per_gas(self) -> float:
        return self.nanoseconds / self.gas if self.gas > 0 else float("inf")

    def as_json(self) -> dict:
        data = asdict(self)
        data["ns_per_gas"] = None if self.gas <= 0 else round(self.ns_per_gas, 4)
        return data


def best_time(run: Callable[[], object], budget: float = 0.02, rounds: int = 5) -> float:
    """The smallest wall time of `rounds` runs in seconds, each run repeated until it takes `budget`."""
    started = time.perf_counter()
    run()
    once = max(time.perf_counter() - started, 1e-7)
    repeat = max(1, int(budget / once))
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeat):
            run()
        best = min(best, (time.perf_counter() - started) / repeat)
    return best


def difference(with_op: float, without_op: float, executions: int) -> float:
    """Nanoseconds per execution from two loop timings (never below zero: noise)."""
    return max(0.0, (with_op - without_op) * 1e9 / executions)


TARGET_SECONDS = 0.002  # how long one run of a control loop should take


def iterations_for(run_with_iterations: Callable[[int], Callable[[], object]], trial: int = 16,
                   limit: int = 1 << 20) -> int:
    """How many loop iterations make the control loop take about TARGET_SECONDS."""
    run = run_with_iterations(trial)
    seconds = best_time(run, budget=0.002, rounds=2)
    return max(trial, min(limit, int(trial * TARGET_SECONDS / max(seconds, 1e-7))))
