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
    def pause_fraction(dask_worker):
        return dask_worker.memory_manager.memory_pause_fraction

    with open_client(DaskTarget(workers=1), worker_memory_mb=300) as client:
        limits = [info["memory_limit"] for info in client.scheduler_info()["workers"].values()]
        first = client.run(pause_fraction)
        client.restart()  # a worker the nanny starts again keeps the settings (Dask's own did not)
        again = client.run(pause_fraction)
    assert [round(limit * 0.95 / 2**20) for limit in limits] == [300]
    assert list(first.values()) == list(again.values()) == [False]


def test_a_worker_past_its_memory_bound_is_replaced_and_its_task_runs_again():
    """Tasks that each keep 30 MB, on workers bounded at 300 MB: workers are replaced on the way
    (a task running on one runs again elsewhere) and every task's result arrives once."""
    pytest.importorskip("distributed", reason="needs dask[distributed] (the dask extra)")
    from jitvm.distributed import DaskTarget, map_tasks, open_client

    def leaky(index):  # defined here, so it travels by value (workers need not import the tests)
        import builtins
        import os

        kept = builtins.__dict__.setdefault("_jitvm_test_kept", [])
        kept.append(bytearray(30 * 2**20))
        kept[-1][::4096] = b"\x01" * len(kept[-1][::4096])  # touched: resident, not just reserved
        import time

        time.sleep(0.2)  # the nanny looks once a second
        return index, os.getpid()

    with open_client(DaskTarget(workers=2), worker_memory_mb=300) as client:
        run = map_tasks(client, leaky, range(40), window=4, keep_errors=True)
    assert [index for index, _ in run.results] == list(range(40))
    assert len({pid for _, pid in run.results}) > 2, "no worker was replaced"
