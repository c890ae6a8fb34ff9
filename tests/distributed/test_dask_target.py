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
