"""Verify, warm up, then time: how every case is run on every runner.

For each case, in order:

1. Verify: one call per runner, checked against the case's answer (output or r0) and work (gas or
   instructions; where the case does not say, pyrevm's figure, else the reference's, else the
   first runner's). A runner that is wrong is `failed` and never timed. The call is timed as the
   "first call" and the engine's compile_stats() are read around it.
   Python interpreters are asked last, and left out (`skipped`) when their call is expected to take
   longer than `max_call_seconds` (estimated from the work per call and their usual speed).
2. Warm up: a few more untimed calls (`warmup_calls`), within a quarter of the budget: the first
   calls after compiling are slower (CPython's specializing interpreter, lazily built helpers).
3. Time: rounds in which every runner takes one sample, in a rotating order, so that all share the
   machine's conditions (load from other processes, frequency, thermal state). A sample times
   `calls_per_sample` prepared calls in a row (enough to last `min_sample_seconds`), with the
   garbage collector paused; setup (`prepare`) is never timed. A runner stops after `repeat`
   samples or when its wall-time `budget` is spent, whichever is first. Every sample's answer is
   checked again.

Times are the process's CPU time by default (`timer="cpu"`, time.process_time): the engines run
on one thread, and CPU time does not count the moments other processes on a busy machine take the
core, which wall time does (on a loaded 2-core machine, single wall-time samples of the same call
vary threefold where CPU time varies by a few percent). `timer="wall"` uses time.perf_counter.

`timer="instructions"` counts the instructions the timed calls execute, under valgrind
(jitvm.bench.counting): deterministic, so a regression gate can run on a noisy machine; a "sample"
is then the instruction count of one call, and the verifying call is timed in CPU time.

Ctrl-C stops the run at once: what was measured is kept, the case being run is marked
`interrupted`, and the report is still printed.

JITVM_BENCH_SLOWDOWN="engine=factor,..." (a testing aid for the regression gate) makes every timed
sample of the named engines take `factor` times as long, by busy-waiting at its end (by running a
calibrated loop, when counting instructions). It is applied once per sample, not per call: the
clock reads of a per-call wrapper would add more than 10% to a 20 µs call by themselves.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from jitvm.bench.results import FAILED, INTERRUPTED, OK, PENDING, SKIPPED, BenchRun, Measurement
from jitvm.bench.runners import Observation, Runner
from jitvm.errors import InputError

SLOWDOWN_ENV = "JITVM_BENCH_SLOWDOWN"


@dataclass
class Settings:
    repeat: int = 10  # timed samples per case and runner, at most
    budget: float = 2.0  # wall seconds of timing per case and runner (at least one sample is taken)
    max_call_seconds: float = 10.0  # Python interpreters expected to take longer per call are left out
    min_sample_seconds: float = 0.002  # fast calls are batched so that a sample lasts this long
    warmup_calls: int = 3  # untimed calls before timing, within a quarter of the budget (CPython specializes its bytecode over the first few)
    max_calls_per_sample: int = 1000
    timer: str = "cpu"  # "cpu" (time.process_time), "wall" (time.perf_counter) or "instructions"
    slowdown: dict[str, float] = field(default_factory=dict)
    counter: object = None  # a jitvm.bench.counting.InstructionCounter, made when first needed

    @property
    def clock(self) -> Callable[[], float]:
        if self.timer == "instructions":
            if self.counter is None:
                from jitvm.bench.counting import InstructionCounter

                self.counter = InstructionCounter()
            return self.counter
        return time.process_time if self.timer == "cpu" else time.perf_counter

    @property
    def first_call_clock(self) -> Callable[[], float]:
        """The verifying call (which may compile) is timed, never counted."""
        return time.perf_counter if self.timer == "wall" else time.process_time

    def measuring(self):
        """Around timed calls: instrumentation on when counting instructions."""
        return self.clock.measuring() if self.timer == "instructions" else contextlib.nullcontext()

    def burn(self, amount: float) -> None:
        """Spend `amount` more of the clock's unit (JITVM_BENCH_SLOWDOWN)."""
        if self.timer == "instructions":
            self.clock.burn(amount)
            return
        clock = self.clock
        until = clock() + amount
        while clock() < until:  # busy: CPU time passes too
            pass


def slowdown_from_environment() -> dict[str, float]:
    text = os.environ.get(SLOWDOWN_ENV, "").strip()
    if not text:
        return {}
    factors = {}
    for item in text.split(","):
        name, _, factor = item.partition("=")
        try:
            factors[name.strip()] = float(factor)
        except ValueError:
            raise InputError(SLOWDOWN_ENV, f"expected engine=factor[,engine=factor], got {item!r}") from None
        if factors[name.strip()] < 1:
            raise InputError(SLOWDOWN_ENV, f"a slowdown factor is at least 1, got {factor}")
    return factors


class Progress:
    """What the harness reports while it runs (the CLI draws it with rich; the default is silent)."""

    def case_started(self, index: int, case) -> None: ...

    def step(self, case, runner: Runner, what: str) -> None: ...

    def case_finished(self, case) -> None: ...


def run_cases(cases, runners: list[Runner], settings: Settings, progress: Progress | None = None,
              run: BenchRun | None = None) -> BenchRun:
    """Measure every case on every runner of its kind; returns (or fills) a BenchRun."""
    run = run if run is not None else BenchRun()
    progress = progress or Progress()
    started, finished = time.perf_counter(), 0
    try:
        for index, case in enumerate(cases):
            progress.case_started(index, case)
            entries = [(runner, _measurement(case, runner)) for runner in runners
                       if runner.kind == case.kind and runner.applies_to(case)
                       and getattr(case, "accepts", _any_runner)(runner.name)]
            run.measurements.extend(measurement for _, measurement in entries)
            try:
                _run_case(case, entries, settings, progress)
            except KeyboardInterrupt:
                for _, measurement in entries:
                    if measurement.status in (PENDING, OK):
                        measurement.status = INTERRUPTED
                        measurement.note = "stopped by Ctrl-C" + (f" after {len(measurement.samples)} run(s)"
                                                                  if measurement.samples else "")
                raise
            progress.case_finished(case)
            finished += 1
    except KeyboardInterrupt:
        run.interrupted = True
        run.notes.append(f"interrupted by Ctrl-C: {finished} of {len(cases)} workloads finished")
    run.seconds += time.perf_counter() - started
    return run


def _any_runner(name: str) -> bool:
    return True


def _measurement(case, runner: Runner) -> Measurement:
    return Measurement(kind=case.kind, workload=case.name, group=case.group, engine=runner.name,
                       peer=runner.peer, unit=case.unit)


def _run_case(case, entries: list[tuple[Runner, Measurement]], settings: Settings, progress: Progress) -> None:
    # Compiled engines and pyrevm first: their answers tell how much work the case is, which is
    # what decides whether a Python interpreter's call is worth making.
    ordered = sorted(entries, key=lambda entry: entry[0].python_speed() is not None)
    answers: dict[str, Observation] = {}
    for runner, measurement in ordered:
        units = case.expected_units or next((o.units for o in answers.values() if o.units), None)
        speed = runner.python_speed()
        if speed and units and units / speed > settings.max_call_seconds:
            measurement.status = SKIPPED
            measurement.note = (f"skipped: ~{units / speed:.0f} s per call expected ({_work(units, case.unit)} "
                                f"at ~{_work(speed, case.unit)}/s); raise --max-call-seconds to run it")
            continue
        progress.step(case, runner, "verifying")
        observation = _verify(case, runner, measurement, settings.first_call_clock)
        if observation is not None:
            answers[runner.name] = observation
    _check_work(case, entries, answers)

    timed = [(runner, measurement) for runner, measurement in entries if measurement.status == PENDING]
    calls_per_sample, spent, warm_first = {}, {}, {}
    for runner, measurement in timed:
        measurement.status = OK
        try:
            _settle(runner, measurement)
        except Exception as exc:  # a failed background compile fails that engine, not the run
            _crashed(measurement, exc)
            continue
        first = measurement.first_call_seconds
        if runner.python_speed() and first >= settings.budget:
            # An interpreter (nothing to compile) whose one call outlasts the budget: that call is
            # the timed run, rather than spending two more.
            measurement.samples.append(first)
            measurement.note = "1 run: the verifying call"
            spent[runner.name] = math.inf
            continue
        estimate = first
        if first < settings.budget / 4:
            progress.step(case, runner, "warming up")
            warming = 0.0
            for _ in range(settings.warmup_calls):  # the last call, once warm, sizes the samples
                estimate = _checked_call(case, runner, measurement, settings)
                if measurement.status != OK:
                    break
                warming += estimate
                if warming >= settings.budget / 4:
                    break
            if measurement.status != OK:
                continue
        calls_per_sample[runner.name] = max(1, min(settings.max_calls_per_sample,
                                                   math.ceil(settings.min_sample_seconds / max(estimate, 1e-9))))
        # A short call's time depends on what ran just before it (the rounds interleave engines):
        # its samples start with one untimed call, which puts its memory and caches back in place.
        # When counting, the first instrumented call of a sample counts more than the ones after it.
        warm_first[runner.name] = settings.timer == "instructions" or estimate < settings.min_sample_seconds * 5
        measurement.calls_per_sample = calls_per_sample[runner.name]
        spent[runner.name] = 0.0

    round_number = 0
    while True:
        eligible = [(runner, m) for runner, m in timed if m.status == OK and len(m.samples) < settings.repeat
                    and (spent[runner.name] < settings.budget or not m.samples)]
        if not eligible:
            break
        shift = round_number % len(eligible)
        for runner, measurement in eligible[shift:] + eligible[:shift]:
            progress.step(case, runner, f"timing run {len(measurement.samples) + 1}")
            started = time.perf_counter()
            _sample(case, runner, measurement, calls_per_sample[runner.name], settings, warm_first[runner.name])
            spent[runner.name] += time.perf_counter() - started
        round_number += 1


def _settle(runner: Runner, measurement: Measurement) -> None:
    """Wait for a tiered engine's optimizing compile; its seconds are reported as `optimize`. A first
    compile that settling makes (the registered "jit" leaves a code that ran few instructions on
    the kernel until then) counts as `compile`, as if the first call had made it."""
    before = runner.compile_stats() or {}
    runner.settle()
    after = runner.compile_stats() or {}
    if "compile_seconds" in after and after["compile_seconds"] > before.get("compile_seconds", 0.0):
        measurement.compile_seconds = (measurement.compile_seconds or 0.0) + after["compile_seconds"] - before.get(
            "compile_seconds", 0.0)
    if "optimize_seconds" in after:
        measurement.optimize_seconds = max(0.0, after["optimize_seconds"] - before.get("optimize_seconds", 0.0)
                                           + (measurement.optimize_seconds or 0.0))


def _verify(case, runner: Runner, measurement: Measurement, clock) -> Observation | None:
    before = runner.compile_stats()
    try:
        call = runner.prepare(case)
        started = clock()
        observation = call()
    except Exception as exc:  # an engine that crashes is a failure of that engine, not of the run
        _crashed(measurement, exc)
        return None
    measurement.first_call_seconds = clock() - started
    after = runner.compile_stats()
    if before is not None and after is not None:
        if "compile_seconds" in after:
            measurement.compile_seconds = max(0.0, after["compile_seconds"] - before.get("compile_seconds", 0.0))
        if "optimize_seconds" in after:  # an upgrade the first call started and finished
            measurement.optimize_seconds = max(0.0, after["optimize_seconds"] - before.get("optimize_seconds", 0.0))
        if "cache_load_seconds" in after:
            measurement.cache_load_seconds = max(0.0, after["cache_load_seconds"] - before.get("cache_load_seconds", 0.0))
    problem = _wrong_answer(case, observation, runner.counts_work)
    if problem:
        measurement.status, measurement.note = FAILED, f"FAILED: {problem}"
        return None
    measurement.units = observation.units
    return observation


def _wrong_answer(case, observation: Observation, counts_work: bool = True) -> str | None:
    if observation.error:
        return observation.error
    if case.kind == "evm":
        if observation.answer != case.expected_output:
            return f"output 0x{_short(observation.answer)} != expected 0x{_short(case.expected_output)}"
    elif case.kind == "svm":
        if observation.answer != case.expected_output:
            return f"{observation.answer} != {case.expected_output}"
    elif case.kind == "wasm":
        if observation.answer != case.expected_output:
            shown = ", ".join("0x" + _short(item) for item in observation.answer)
            return f"output [{shown}] != expected [{', '.join('0x' + _short(i) for i in case.expected_output)}]"
    elif observation.answer != case.expected_r0:
        return f"r0 {observation.answer} != expected {case.expected_r0}"
    expected = case.expected_units
    if counts_work and expected is not None and observation.units != expected:
        return f"{case.unit} {_number(observation.units)} != expected {expected:,}"
    return None


def _check_work(case, entries, answers: dict[str, Observation]) -> None:
    """Where the case does not say how much work it is, every runner must agree with the oracle."""
    if case.expected_units is not None or not answers:
        return
    counters = {runner.name for runner, _ in entries if runner.counts_work}
    answers = {name: observation for name, observation in answers.items() if name in counters}
    if not answers:
        return
    oracle = next((name for name in ("pyrevm", "reference") if name in answers), next(iter(answers)))
    expected = answers[oracle].units
    for runner, measurement in entries:
        if runner.counts_work and runner.name in answers and answers[runner.name].units != expected:
            measurement.status = FAILED
            measurement.note = f"FAILED: {case.unit} {_number(answers[runner.name].units)} != {_number(expected)} ({oracle})"


def _crashed(measurement: Measurement, exc: Exception) -> None:
    measurement.status, measurement.note = FAILED, f"FAILED: {type(exc).__name__}: {exc}"[:200]
    measurement.samples.clear()


def _checked_call(case, runner: Runner, measurement: Measurement, settings: Settings) -> float:
    """One untimed (warm-up) call, checked; returns how long the call took, without its setup."""
    clock = settings.first_call_clock
    try:
        call = runner.prepare(case)
        started = clock()
        observation = call()
        elapsed = clock() - started
    except Exception as exc:
        _crashed(measurement, exc)
        return 0.0
    problem = _wrong_answer(case, observation, runner.counts_work)
    if problem is None and measurement.units is not None and observation.units != measurement.units:
        problem = f"{case.unit} changed from {measurement.units:,} to {_number(observation.units)}"
    if problem:
        measurement.status, measurement.note = FAILED, f"FAILED on a repeated run: {problem}"
        measurement.samples.clear()
    return elapsed


def _sample(case, runner: Runner, measurement: Measurement, count: int, settings: Settings,
            warm: bool = False) -> None:
    slowdown, clock = settings.slowdown.get(runner.name), settings.clock
    collecting = gc.isenabled()
    try:
        calls = [runner.prepare(case) for _ in range(count + warm)]
        gc.disable()
        with settings.measuring():
            if warm:
                calls.pop()()
            started = clock()
            for call in calls:
                observation = call()
            if slowdown and slowdown > 1:  # once per sample: a per-call wrapper would cost more than it adds
                settings.burn((clock() - started) * (slowdown - 1))
            elapsed = clock() - started
    except Exception as exc:
        _crashed(measurement, exc)
        return
    finally:
        if collecting:
            gc.enable()
    problem = _wrong_answer(case, observation, runner.counts_work)
    if problem:
        measurement.status, measurement.note = FAILED, f"FAILED on a timed run: {problem}"
        measurement.samples.clear()
        return
    measurement.samples.append(elapsed / count)


def _short(data: bytes, limit: int = 12) -> str:
    text = bytes(data).hex()
    return text if len(text) <= 2 * limit else f"{text[:2 * limit]}... ({len(data)} bytes)"


def _number(value) -> str:
    return "?" if value is None else f"{value:,}"


def _work(amount: float, unit: str) -> str:
    if unit == "gas":
        return f"{amount / 1e6:.1f} Mgas" if amount >= 1e5 else f"{amount:,.0f} gas"
    return f"{amount / 1e6:.1f} M instructions" if amount >= 1e5 else f"{amount:,.0f} instructions"
