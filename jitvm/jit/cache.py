"""On-disk cache of compiled object code, content-addressed, safe across processes.

The caller names what was compiled (for example the code hash and the fork); the cache folds in
everything else that decides the machine code (jitvm version, LLVM version, CPU name and features,
pass list) so an entry is never reused where it would be wrong. Reloading an object takes a few
milliseconds where compiling takes up to seconds.

Each entry is one file: a fixed header (magic, format, payload length, SHA-256 of the payload, the
entry's key digest) and the object bytes. A file that fails any check is removed and rebuilt. Files
are written to a temporary name and renamed into place, so a reader never sees a partial entry and
concurrent writers of the same entry simply replace one another with identical bytes.

Location: the `directory` argument, else $JITVM_CACHE_DIR, else $XDG_CACHE_HOME/jitvm, else
~/.cache/jitvm. Disable with `enabled=False` or JITVM_DISABLE_CACHE=1.
"""

import hashlib
import os
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from .compiler import pipeline_description
from .locations import CACHE_DIR_ENV, default_directory
from .target import host_target

__all__ = ["CACHE_DIR_ENV", "CacheStats", "ObjectCache", "default_cache", "default_directory"]

DISABLE_ENV = "JITVM_DISABLE_CACHE"

MAGIC = b"JITVMOBJ"
FORMAT_VERSION = 1
# magic, format version, payload length, SHA-256 of the payload, SHA-256 key digest of the entry
HEADER = struct.Struct("<8sIQ32s32s")
ENTRY_SUFFIX = ".jitobj"


@dataclass
class CacheStats:
    """What the cache did, for benchmarks that report cold compiles apart from cache loads."""

    hits: int = 0
    misses: int = 0  # no entry: built
    corrupt: int = 0  # an entry failed its checks: removed and built again
    write_errors: int = 0  # could not store (read-only or full disk): the run goes on uncached
    build_seconds: float = 0.0  # spent in the caller's build function (cold compile)
    load_seconds: float = 0.0  # spent reading and checking entries that hit

    def summary(self) -> str:
        return (
            f"{self.hits} hits ({self.load_seconds * 1e3:.1f} ms), "
            f"{self.misses} misses + {self.corrupt} corrupt rebuilt ({self.build_seconds:.3f} s)"
        )


def disabled_by_environment() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip() not in ("", "0")


def default_fingerprint() -> str:
    """What besides the caller's key decides the object code: versions, CPU, codegen, passes."""
    return f"jitvm={__version__}|{host_target().fingerprint}|passes={pipeline_description()}"


class ObjectCache:
    """Object code by key, on disk; `get_or_build` is the one call most users need."""

    def __init__(self, directory=None, *, enabled: bool | None = None, fingerprint: str | None = None):
        self.enabled = (not disabled_by_environment()) if enabled is None else enabled
        self.directory = Path(directory) if directory is not None else default_directory()
        self.fingerprint = default_fingerprint() if fingerprint is None else fingerprint
        self.stats = CacheStats()
        self._stats_lock = threading.Lock()

    def key_digest(self, key: str | bytes) -> bytes:
        """SHA-256 of the caller's key together with this machine's fingerprint."""
        key_bytes = key.encode() if isinstance(key, str) else bytes(key)
        digest = hashlib.sha256()
        for part in (self.fingerprint.encode(), key_bytes):
            digest.update(len(part).to_bytes(8, "little"))  # length-prefixed: no ambiguous joins
            digest.update(part)
        return digest.digest()

    def path_for(self, key: str | bytes) -> Path:
        """Where the entry for `key` lives (two-character fan-out keeps directories small)."""
        name = self.key_digest(key).hex()
        return self.directory / name[:2] / (name[2:] + ENTRY_SUFFIX)

    def load(self, key: str | bytes) -> bytes | None:
        """The cached object code for `key`, or None. Damaged entries are removed (counted corrupt)."""
        return self._find(key)[0]

    def _find(self, key: str | bytes) -> tuple[bytes | None, bool]:
        """(object code or None, whether a damaged entry was found and removed)."""
        if not self.enabled:
            return None, False
        started = time.perf_counter()
        path = self.path_for(key)
        try:
            entry = path.read_bytes()
        except OSError:
            return None, False
        object_code = _unpack(entry, self.key_digest(key))
        if object_code is None:
            self._count(corrupt=1)
            _remove_quietly(path)
            return None, True
        self._count(hits=1, load_seconds=time.perf_counter() - started)
        return object_code, False

    def store(self, key: str | bytes, object_code: bytes) -> None:
        """Write the entry for `key` atomically; failure to write is counted, never raised."""
        if not self.enabled:
            return
        path = self.path_for(key)
        entry = _pack(object_code, self.key_digest(key))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
        except OSError:
            self._count(write_errors=1)
            return
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(entry)
            os.replace(temporary, path)
        except OSError:
            self._count(write_errors=1)
            _remove_quietly(Path(temporary))

    def get_or_build(self, key: str | bytes, build: Callable[[], bytes | None]) -> bytes | None:
        """Cached object code for `key`; on a miss (or a damaged entry) call `build()` and store what
        it returns (None: nothing to store, None returned)."""
        object_code, was_corrupt = self._find(key)
        if object_code is not None:
            return object_code
        started = time.perf_counter()
        object_code = build()
        elapsed = time.perf_counter() - started
        self._count(misses=0 if was_corrupt else 1, build_seconds=elapsed)
        if object_code is not None:
            self.store(key, object_code)
        return object_code

    def clear(self) -> int:
        """Remove every entry (any fingerprint) under the directory; returns how many."""
        removed = 0
        if self.directory.is_dir():
            for entry in self.directory.glob(f"*/*{ENTRY_SUFFIX}"):
                removed += _remove_quietly(entry)
        return removed

    def _count(self, **deltas) -> None:
        with self._stats_lock:
            for field, delta in deltas.items():
                setattr(self.stats, field, getattr(self.stats, field) + delta)


def _pack(object_code: bytes, key_digest: bytes) -> bytes:
    checksum = hashlib.sha256(object_code).digest()
    return HEADER.pack(MAGIC, FORMAT_VERSION, len(object_code), checksum, key_digest) + object_code


def _unpack(entry: bytes, key_digest: bytes) -> bytes | None:
    """The payload of a well-formed entry for `key_digest`, else None."""
    if len(entry) < HEADER.size:
        return None
    magic, version, length, checksum, stored_key = HEADER.unpack_from(entry)
    payload = entry[HEADER.size :]
    if (magic, version, stored_key) != (MAGIC, FORMAT_VERSION, key_digest) or length != len(payload):
        return None
    if hashlib.sha256(payload).digest() != checksum:
        return None
    return payload


def _remove_quietly(path: Path) -> int:
    try:
        path.unlink()
        return 1
    except OSError:  # already gone (another process got there first) or not ours to remove
        return 0


_default_cache: ObjectCache | None = None
_default_cache_lock = threading.Lock()


def default_cache() -> ObjectCache:
    """The process-wide cache, configured from the environment on first use."""
    global _default_cache
    with _default_cache_lock:
        if _default_cache is None:
            _default_cache = ObjectCache()
        return _default_cache
