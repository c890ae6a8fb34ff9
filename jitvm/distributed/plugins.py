"""A Dask plugin counting the tasks rerun after a worker was lost.

Imported only once `distributed` is known to be installed. The scheduler must be able to import
jitvm for `RerunCounter` (a remote scheduler without it still runs the work; reruns go uncounted).
"""

from __future__ import annotations

from distributed.diagnostics.plugin import SchedulerPlugin

RERUN_COUNTER = "jitvm-reruns"


class RerunCounter(SchedulerPlugin):
    """Remembers the jitvm tasks the scheduler had to run again because a worker holding them died.

    A task that was running on the lost worker goes processing -> released; a finished result that
    only the lost worker held goes memory -> released. Either way it is computed again.
    """

    idempotent = True

    def __init__(self, prefix: str = "jitvm-"):
        self.prefix = prefix
        self.reruns: dict[str, int] = {}
        self.scheduler = None

    async def start(self, scheduler) -> None:
        self.scheduler = scheduler

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        if finish != "released" or start not in ("processing", "memory"):
            return
        if not isinstance(key, str) or not key.startswith(self.prefix) or self.scheduler is None:
            return
        task = self.scheduler.tasks.get(key)
        if task is None or not task.who_wants:
            return  # released because nobody wants it any more (a finished run), not lost
        lost = task.suspicious > 0 if start == "processing" else not task.who_has
        if lost:
            self.reruns[key] = self.reruns.get(key, 0) + 1


def reruns_of(prefix: str, dask_scheduler=None) -> dict[str, int]:
    """Run on the scheduler: the counted reruns of keys starting with `prefix`."""
    plugin = dask_scheduler.plugins.get(RERUN_COUNTER) if dask_scheduler is not None else None
    if plugin is None:
        return {}
    return {key: count for key, count in plugin.reruns.items() if key.startswith(prefix)}
