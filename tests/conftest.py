"""Shared test configuration: where the fixtures are, and which long runs are opt-in.

`conformance` (the full suites) and `slow` (single cases over about a minute on the reference
interpreter) are deselected unless asked for with --conformance / --slow; pytest's summary shows how
many were deselected.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
FIXTURES = REPOSITORY.parent / "shared" / "fixtures"


def pytest_addoption(parser):
    parser.addoption("--conformance", action="store_true", help="run the full conformance suites")
    parser.addoption("--slow", action="store_true", help="run cases that take over a minute")


def pytest_collection_modifyitems(config, items):
    wanted = {"conformance": config.getoption("--conformance"), "slow": config.getoption("--slow")}
    keep, drop = [], []
    for item in items:
        opt_in = [name for name, enabled in wanted.items() if item.get_closest_marker(name) and not enabled]
        (drop if opt_in else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def fixture_path(*parts: str) -> Path:
    """A path under ../shared/fixtures; the calling test is skipped (with the reason) if it is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"fixture {path} not found")
    return path
