"""Where the shared BPF fixtures live: ../shared/fixtures/bpf next to the repository. Tests that
need them skip, with the reason shown, when they are absent."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO.parent / "shared" / "fixtures" / "bpf"
CONFORMANCE = FIXTURES / "conformance"
SBPF = FIXTURES / "sbpf"
BENCH = FIXTURES / "bench"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"fixture {path} is absent (expected ../shared/fixtures next to the repository)")
    return path


def files(folder: Path, pattern: str) -> list[Path]:
    """Fixture files for parametrization; empty (and reported by `require`) when absent."""
    return sorted(folder.glob(pattern)) if folder.exists() else []
