"""Which Dask cluster to use (`--dask ADDRESS|local[:N]`) and a client connected to it."""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import re
from dataclasses import dataclass
from typing import Iterator

from jitvm.errors import InputError

INSTALL_HINT = "needs dask[distributed]: pip install 'jitvm[dask]'"


@dataclass(frozen=True)
class DaskTarget:
    """A LocalCluster of `workers` processes (address None), or the scheduler at `address`."""

    address: str | None = None
    workers: int = 0

    @property
    def is_local(self) -> bool:
        return self.address is None

    def describe(self) -> str:
        return f"local cluster of {self.workers} workers" if self.is_local else f"scheduler {self.address}"


_LOCAL = re.compile(r"local(?::(\d+))?")
_ADDRESS = re.compile(r"(?:(?:tcp|tls|inproc|ucx|ws|wss)://)?[\w.\-\[\]:]+:\d+")


def parse_dask_target(text: str, option: str = "--dask") -> DaskTarget:
    """`local`, `local:N` or a scheduler address (`tcp://host:8786`, `host:8786`)."""
    local = _LOCAL.fullmatch(text)
    if local:
        workers = int(local.group(1)) if local.group(1) else (os.cpu_count() or 1)
        if workers < 1:
            raise InputError(option, "a local cluster needs at least one worker")
        return DaskTarget(workers=workers)
    if _ADDRESS.fullmatch(text):
        return DaskTarget(address=text if "://" in text else f"tcp://{text}")
    raise InputError(option, f"expected local, local:N or a scheduler address like tcp://host:8786, got {text!r}")


def require_distributed(option: str = "--dask"):
    try:
        import distributed
    except ImportError:
        raise InputError(option, INSTALL_HINT) from None
    return distributed


# Dask settings of a local cluster (jitvm's tasks are long, CPU-bound, one per worker process):
LOCAL_CLUSTER_CONFIG = {
    # One task per worker at a time (the default 1.1 rounds up to two): a task queued on a worker
    # behind a long one would wait while another worker sits idle, what longest-first is to avoid.
    "distributed.scheduler.worker-saturation": 1.0,
    # Each worker samples its running task's stack every 10 ms for the dashboard's profile: CPU taken
    # from the task itself, and the dashboard is not started. Measured on a LocalCluster of 2 idle
    # workers: 4.8 s of CPU a minute with Dask's defaults, 0.7 s with these (the profiler and the
    # 20 ms / 100 ms / 500 ms ticks of the event loop and the memory and system monitors).
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}


# With a memory bound per worker (open_client's worker_memory_mb): the nanny replaces a worker that
# grows past it, and nothing else. Dask's default would pause a worker at 80% until its memory
# falls, which memory that a task's native code keeps never does (the run would stop).
BOUNDED_MEMORY_CONFIG = {
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": 0.95,
}


def local_cluster_config(worker_memory_mb: float | None = None) -> dict:
    return {**LOCAL_CLUSTER_CONFIG, **(BOUNDED_MEMORY_CONFIG if worker_memory_mb else {})}


@contextlib.contextmanager
def open_client(target: DaskTarget, option: str = "--dask", worker_memory_mb: float | None = None) -> Iterator:
    """A connected `distributed.Client`; a local cluster lives as long as the `with` block. With
    `worker_memory_mb`, a local cluster's worker that grows past it is restarted by its nanny (the
    tasks it held run again elsewhere); a remote cluster's workers keep their own limits."""
    distributed = require_distributed(option)
    if target.is_local:
        import dask

        # Processes, one thread each: the engines hold the GIL, and a crash must take down only its
        # worker. The nannies hand this configuration to their workers.
        config = local_cluster_config(worker_memory_mb)
        with dask.config.set(config):
            cluster = distributed.LocalCluster(
                n_workers=target.workers, threads_per_worker=1, processes=True,
                dashboard_address=":0",  # any free port: no warning when another cluster has 8787
                silence_logs=logging.CRITICAL,
                memory_limit=f"{worker_memory_mb / 0.95:.0f}MiB" if worker_memory_mb else "auto",
                # Given to the nannies as well: a nanny hands the configuration in force to the
                # first worker it starts, but one it starts again (after a crash or past its memory
                # bound) got Dask's defaults (distributed 2026.8: it paused at 80% again).
                config=copy.deepcopy(dask.config.config),
            )
        try:
            # The workers share the user's JIT and Numba caches, as `-j N` processes do (their
            # entries are written atomically): a worker with a cache of its own would compile the
            # interpreters and every hot code again, a minute or more of a run.
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = distributed.Client(target.address, timeout="20s")
    except OSError as exc:
        raise InputError(option, f"cannot reach the scheduler at {target.address}: {exc}") from None
    with client:
        yield client
