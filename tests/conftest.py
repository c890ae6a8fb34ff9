"""Shared test helpers: where the fixtures are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The registered "jit" runs a code's first JITVM_JIT_COLD_STEPS instructions on the baseline kernel
# (200,000 by default): most test programs would never be compiled. With 3, every code's first frame
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
