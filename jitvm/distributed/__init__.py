"""Running jitvm's work on a Dask cluster: a LocalCluster of worker processes (`local[:N]`) or the
scheduler of a real cluster (`tcp://host:8786`).

Work is a list of independent tasks (a state-test file, a batch of fuzz programs). `map_tasks` sends
them out, hands each result back as it arrives (for a progress bar) and returns them in the order of
the inputs, so a distributed run reports exactly what a local one does. A worker that dies takes its
running tasks with it; the scheduler runs them again elsewhere and `map_tasks` counts those reruns.

`dask[distributed]` is optional (the `dask` extra); without it `--dask` is a one-line error.
"""

from jitvm.distributed.cluster import DaskTarget, open_client, parse_dask_target
from jitvm.distributed.tasks import DistributedRun, ShippedFile, map_tasks

__all__ = ["DaskTarget", "DistributedRun", "ShippedFile", "map_tasks", "open_client", "parse_dask_target"]
