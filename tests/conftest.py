"""Shared test helpers: where the fixtures are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# "auto" starts a process on tier 0, the reference interpreter (jitvm.evm.engines.AutoEngine). The tests
# that run "auto" are there for its baseline and JIT tiers, so this process and those it starts begin
# past tier 0; tests/evm/test_auto_tiers.py tests tier 0 itself (and clears this).
os.environ.setdefault("JITVM_TIER0_GAS", "0")

REPOSITORY = Path(__file__).resolve().parents[1]
FIXTURES = REPOSITORY.parent / "shared" / "fixtures"


def fixture_path(*parts: str) -> Path:
    """A path under ../shared/fixtures; the calling test is skipped (with the reason) if it is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"fixture {path} not found")
    return path
