"""bench/ holds pytest-benchmark tests that double as correctness tests.

Every benchmark first checks the engine's answer (output and gas, or r0 and instruction count),
then times it. In a plain test run (`python -m pytest`, with or without -n) the timing is off
(as with --benchmark-disable): each benchmark only checks. Timing happens when asked for with
--benchmark-enable or --benchmark-only (or an option that stores or compares timings:
--benchmark-save, --benchmark-autosave, --benchmark-compare, --benchmark-json).

Runs marked `slow` (Python interpreters on large inputs) are deselected unless --slow is given
(tests/conftest.py handles it when the tests folder is part of the run); with bench/ alone, use
`-m slow` or `-m "slow or not slow"` to include them.
"""

from __future__ import annotations

import pytest

TIMING_OPTIONS = ("benchmark_enable", "benchmark_only", "benchmark_save", "benchmark_autosave",
                  "benchmark_compare", "benchmark_json")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if any(config.getoption(name, default=None) for name in TIMING_OPTIONS):
        return
    if hasattr(config.option, "benchmark_disable"):
        config.option.benchmark_disable = True  # before pytest-benchmark reads it (this conftest loaded early)
    session = getattr(config, "_benchmarksession", None)
    if session is not None:
        session.disabled = True  # this conftest loaded late: pytest-benchmark has read its options already


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow", default=None) is not None:
        return  # tests/conftest.py is loaded and deselects `slow` itself (bench items included)
    if "slow" in (config.getoption("markexpr", default="") or ""):
        return
    drop = [item for item in items if item.get_closest_marker("slow")]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
