"""`--dask ADDRESS|local[:N]`: what it accepts, and one-line errors for the rest (no dask needed)."""

import pytest

from jitvm.distributed import parse_dask_target
from jitvm.errors import InputError


@pytest.mark.parametrize("text, address, workers", [
    ("local:3", None, 3),
    ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786", 0),
    ("scheduler.example:8786", "tcp://scheduler.example:8786", 0),
    ("tls://[::1]:8786", "tls://[::1]:8786", 0),
])
def test_targets(text, address, workers):
    target = parse_dask_target(text)
    assert (target.address, target.workers) == (address, workers)


def test_plain_local_means_one_worker_per_core():
    import os

    assert parse_dask_target("local").workers == (os.cpu_count() or 1)


@pytest.mark.parametrize("text", ["local:0", "locale", "nowhere", "tcp://host", "local:two"])
def test_bad_targets_name_the_option(text):
    with pytest.raises(InputError) as error:
        parse_dask_target(text)
    assert error.value.source == "--dask"


def test_a_memory_bound_replaces_workers_and_never_pauses_them():
    """A worker whose native code keeps a little memory per task would pause at Dask's 80% forever;
    with a bound, the nanny restarts it at the bound instead (its task runs again elsewhere)."""
    pytest.importorskip("distributed", reason="needs dask[distributed] (the dask extra)")
    import dask

    from jitvm.distributed.cluster import local_cluster_config, open_client
    from jitvm.distributed import DaskTarget

    assert "distributed.worker.memory.pause" not in local_cluster_config()
    with dask.config.set(local_cluster_config(300)):
        assert dask.config.get("distributed.worker.memory.pause") is False
        assert dask.config.get("distributed.worker.memory.terminate") == 0.95
    with open_client(DaskTarget(workers=1), worker_memory_mb=300) as client:
        limits = [info["memory_limit"] for info in client.scheduler_info()["workers"].values()]
        pause = client.run(lambda: dask.config.get("distributed.worker.memory.pause"))
    assert [round(limit * 0.95 / 2**20) for limit in limits] == [300]
    assert list(pause.values()) == [False]
