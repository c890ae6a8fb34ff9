"""Sending tasks to a Dask cluster and collecting their results in input order."""

from __future__ import annotations

import itertools
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

# Fault injection for the tests: a task started while this file does not exist creates it and kills
# its own worker process, once per run, so the scheduler has to run it again elsewhere.
KILL_ONCE_ENV = "JITVM_DASK_KILL_WORKER_ONCE"


@dataclass
class DistributedRun:
    """The results in the order of the inputs, and how many tasks the scheduler had to assign again
    because the worker holding them died (running, queued on it, or finished but not yet collected)."""

    results: list
    reruns: int = 0
    workers: int = 0
    rerun_keys: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # for the caller to note tasks that gave TaskFailed


@dataclass(frozen=True)
class ShippedFile:
    """A file's bytes sent to a worker that may not share the file system; reads like the Path it was."""

    path: str
    data: bytes

    @classmethod
    def read(cls, path: Path) -> "ShippedFile":
        return cls(str(path), path.read_bytes())

    def read_bytes(self) -> bytes:
        return self.data

    def __str__(self) -> str:
        return self.path

    def __fspath__(self) -> str:
        return self.path


@dataclass(frozen=True)
class TaskFailed:
    """What a task gave instead of a result when `keep_errors` is set (also a task whose workers kept
    dying: distributed's KilledWorker after its allowed failures)."""

    error: str


def resident_mb() -> float:
    """This process's resident memory in MB (Linux; run on workers to watch them grow)."""
    import resource

    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _run_task(function: Callable, item):
    marker = os.environ.get(KILL_ONCE_ENV)
    if marker:
        try:
            with open(marker, "x"):
                pass
        except FileExistsError:
            pass
        else:
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
    return function(item)


def map_tasks(client, function: Callable, items: Iterable, *, name: str = "task",
              on_result: Callable[[int, object], None] | None = None, window: int | None = None,
              should_stop: Callable[[], bool] | None = None, keep_errors: bool = False) -> DistributedRun:
    """Run `function(item)` for every item on the cluster behind `client`.

    `function` must be importable on the workers (a module-level function of jitvm). `on_result(index,
    result)` is called in the order results arrive. With `window`, at most that many tasks are out at
    once and items are drawn lazily (an endless generator is fine), until `should_stop()` says so.
    A task whose worker dies is run again by the scheduler (up to its `allowed-failures`, 3 by
    default). An exception inside a task is raised here, or returned as a TaskFailed with `keep_errors`.
    """
    from distributed import as_completed

    from jitvm.distributed.plugins import RERUN_COUNTER, RerunCounter, reruns_of

    workers = len(client.nthreads())
    prefix = f"jitvm-{name}-{uuid.uuid4().hex[:12]}-"
    counting = True
    try:
        client.register_plugin(RerunCounter(), name=RERUN_COUNTER)
    except Exception:  # a remote scheduler that cannot import jitvm: the run goes on, reruns uncounted
        counting = False
    source = enumerate(items)
    position: dict[str, int] = {}
    results: dict[int, object] = {}
    submitted: list = []

    def submit(count: int | None) -> list:
        batch = []
        for index, item in itertools.islice(source, count):
            future = client.submit(_run_task, function, item, key=f"{prefix}{index}", pure=False)
            position[future.key] = index
            batch.append(future)
        submitted.extend(batch)
        return batch

    pending = as_completed(submit(window))
    try:
        for future in pending:
            index = position[future.key]
            if future.status == "error" and keep_errors:
                result = TaskFailed(f"{type(future.exception()).__name__}: {future.exception()}")
            else:
                result = future.result()
            results[index] = result
            future.release()
            if on_result is not None:
                on_result(index, result)
            if window is not None and not (should_stop and should_stop()):
                for extra in submit(1):
                    pending.add(extra)
    finally:
        client.cancel([future for future in submitted if not future.done()])
    rerun_keys = client.run_on_scheduler(reruns_of, prefix) if counting else {}
    ordered = [results[index] for index in sorted(results)]
    return DistributedRun(ordered, sum(rerun_keys.values()), workers, rerun_keys)
