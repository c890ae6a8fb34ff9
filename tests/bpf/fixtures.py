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


@pytest.fixture(scope="module")
def private_jit_cache(tmp_path_factory):
    """Compiled programs of a test module in a temporary object cache (generated programs, such as
    ELF mutants, would otherwise pile up in the user's cache)."""
    from jitvm.bpf.jit import compile as jit
    from jitvm.jit import ObjectCache

    saved = jit.CACHE
    jit.CACHE = ObjectCache(tmp_path_factory.mktemp("jit-cache"))
    yield
    jit.CACHE = saved
