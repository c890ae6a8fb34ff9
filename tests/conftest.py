"""Shared test helpers: where the fixtures are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# "auto" starts a process on tier 0, the reference interpreter (jitvm.evm.engines.AutoEngine). The tests
# that run "auto" are there for its baseline and JIT tiers, so this process and those it starts begin
# past tier 0; tests/evm/test_auto_tiers.py tests tier 0 itself (and clears this).
os.environ.setdefault("JITVM_TIER0_GAS", "0")

# The registered "jit" runs a code's first JITVM_JIT_COLD_STEPS instructions on the baseline kernel
# (2,000,000 by default): most test programs would never be compiled. With 3, every code's first frame
# hands over to compiled code in its middle, and its later frames run compiled from the start, so
# the tests cover both. Set before jitvm.evm.jit.engine is imported (it reads it once).
os.environ.setdefault("JITVM_JIT_COLD_STEPS", "3")

REPOSITORY = Path(__file__).resolve().parents[1]
FIXTURES = REPOSITORY.parent / "shared" / "fixtures"


def fixture_path(*parts: str) -> Path:
    """A path under ../shared/fixtures; the calling test is skipped (with the reason) if it is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"fixture {path} not found")
    return path
