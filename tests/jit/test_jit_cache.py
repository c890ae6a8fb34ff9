"""The on-disk object cache: hits, damaged entries, keys, location, and a second process."""

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jit_sample_ir import LOOP_AND_DIVIDE_IR, loop_and_divide_expected
from jitvm.jit import cache as cache_module
from jitvm.jit import compile_module, load_objects
from jitvm.jit.cache import HEADER, ObjectCache

REPOSITORY = Path(__file__).resolve().parents[2]


class CountingBuild:
    """A build function that compiles the sample IR and counts how often it was asked to."""

    def __init__(self):
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        return compile_module(LOOP_AND_DIVIDE_IR)


def _call_loop_and_divide(object_code: bytes) -> int:
    code = load_objects([object_code], ["loop_and_divide"])
    function = code.function("loop_and_divide", ctypes.c_uint64, ctypes.POINTER(ctypes.c_uint64))
    return function((ctypes.c_uint64 * 3)(10, 3, 7))


def test_second_request_is_a_hit_and_the_code_runs(tmp_path):
    cache, build = ObjectCache(tmp_path), CountingBuild()
    first = cache.get_or_build("sample", build)
    second = cache.get_or_build("sample", build)
    assert first == second and build.calls == 1
    assert (cache.stats.hits, cache.stats.misses, cache.stats.corrupt) == (1, 1, 0)
    assert _call_loop_and_divide(second) == loop_and_divide_expected(10, 3, 7)


def _damage_by_flipping_a_payload_byte(path: Path):
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _damage_by_truncating(path: Path):
    path.write_bytes(path.read_bytes()[:-100])


def _damage_the_header(path: Path):
    path.write_bytes(b"garbage" + path.read_bytes()[7:])


def _damage_to_a_stub(path: Path):
    path.write_bytes(b"\0" * (HEADER.size - 1))


@pytest.mark.parametrize(
    "damage",
    [_damage_by_flipping_a_payload_byte, _damage_by_truncating, _damage_the_header, _damage_to_a_stub],
)
def test_damaged_entry_is_detected_removed_and_rebuilt(tmp_path, damage):
    cache, build = ObjectCache(tmp_path), CountingBuild()
    good = cache.get_or_build("sample", build)
    damage(cache.path_for("sample"))
    assert cache.load("sample") is None
    assert cache.stats.corrupt == 1 and not cache.path_for("sample").exists()

    damage_again = cache.get_or_build("sample", build)  # nothing there now: rebuilt and stored
    assert damage_again == good and build.calls == 2
    cache.store("sample", good)
    damage(cache.path_for("sample"))
    assert cache.get_or_build("sample", build) == good and build.calls == 3
    assert cache.stats.corrupt == 2
    assert cache.load("sample") == good


def test_entry_under_another_key_is_not_accepted(tmp_path):
    cache = ObjectCache(tmp_path)
    cache.store("one", b"object one")
    cache.path_for("two").parent.mkdir(parents=True, exist_ok=True)
    cache.path_for("one").replace(cache.path_for("two"))  # right checksum, wrong key
    assert cache.load("two") is None and cache.stats.corrupt == 1


def test_key_depends_on_machine_and_versions(tmp_path):
    fingerprint = cache_module.default_fingerprint()
    assert cache_module.__version__ in fingerprint
    here = ObjectCache(tmp_path, fingerprint=fingerprint)
    other_cpu = ObjectCache(tmp_path, fingerprint=fingerprint.replace("cpu=", "cpu=other-"))
    other_version = ObjectCache(tmp_path, fingerprint=fingerprint.replace("jitvm=", "jitvm=9"))
    paths = {cache.path_for("code") for cache in (here, other_cpu, other_version)}
    assert len(paths) == 3
    assert here.path_for("code") != here.path_for("other code")
    here.store("code", b"machine code")
    assert other_cpu.load("code") is None and other_version.load("code") is None


def test_fingerprint_names_cpu_features_and_llvm():
    fingerprint = cache_module.default_fingerprint()
    for part in ("cpu=", "features=", "llvm=", "triple=", "passes=sroa"):
        assert part in fingerprint


def test_disabled_cache_always_builds_and_writes_nothing(tmp_path):
    cache, build = ObjectCache(tmp_path, enabled=False), CountingBuild()
    cache.get_or_build("sample", build)
    cache.get_or_build("sample", build)
    assert build.calls == 2 and not any(tmp_path.iterdir())


def test_environment_chooses_directory_and_can_disable(monkeypatch, tmp_path):
    monkeypatch.delenv(cache_module.CACHE_DIR_ENV, raising=False)
    monkeypatch.delenv(cache_module.DISABLE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_module.default_directory() == tmp_path / "xdg" / "jitvm"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_module.default_directory() == tmp_path / "home" / ".cache" / "jitvm"
    monkeypatch.setenv(cache_module.CACHE_DIR_ENV, str(tmp_path / "chosen"))
    assert ObjectCache().directory == tmp_path / "chosen"
    assert ObjectCache(tmp_path / "argument").directory == tmp_path / "argument"
    assert ObjectCache().enabled
    monkeypatch.setenv(cache_module.DISABLE_ENV, "1")
    assert not ObjectCache().enabled
    monkeypatch.setenv(cache_module.DISABLE_ENV, "0")
    assert ObjectCache().enabled


def test_writes_leave_no_partial_files_and_clear_removes_entries(tmp_path):
    cache = ObjectCache(tmp_path)
    for key in ("a", "b", "c"):
        cache.store(key, key.encode() * 100)
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) == 3 and all(path.suffix == ".jitobj" for path in files)
    assert cache.clear() == 3 and cache.load("a") is None


def test_unwritable_directory_is_counted_not_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    cache = ObjectCache(blocker / "cannot-be-a-directory")
    cache.get_or_build("sample", CountingBuild())
    assert cache.stats.write_errors == 1


SECOND_PROCESS = """
import ctypes, json, sys
sys.path[:0] = sys.argv[1:3]
from jit_sample_ir import LOOP_AND_DIVIDE_IR
from jitvm.jit import ObjectCache, compile_module, load_objects
cache = ObjectCache()
object_code = cache.get_or_build("loop_and_divide", lambda: compile_module(LOOP_AND_DIVIDE_IR))
code = load_objects([object_code], ["loop_and_divide"])
function = code.function("loop_and_divide", ctypes.c_uint64, ctypes.POINTER(ctypes.c_uint64))
print(json.dumps({"hits": cache.stats.hits, "misses": cache.stats.misses,
                  "result": function((ctypes.c_uint64 * 3)(10, 3, 7))}))
"""


def _run_in_new_process(cache_directory: Path) -> dict:
    environment = dict(os.environ, **{cache_module.CACHE_DIR_ENV: str(cache_directory)})
    environment.pop(cache_module.DISABLE_ENV, None)
    completed = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS, str(Path(__file__).parent), str(REPOSITORY)],
        env=environment, capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(completed.stdout)


def test_a_second_process_loads_instead_of_compiling(tmp_path):
    first = _run_in_new_process(tmp_path)
    second = _run_in_new_process(tmp_path)
    expected = loop_and_divide_expected(10, 3, 7)
    assert first == {"hits": 0, "misses": 1, "result": expected}
    assert second == {"hits": 1, "misses": 0, "result": expected}
