"""Keeping Numba's on-disk cache honest about what a compiled function depends on.

Numba reuses a cached compilation while the function's own source file keeps its timestamp and the
function its bytecode. The baseline kernel also inlines functions and constants from other modules
(the limb kernels, keccak, the layout's handler ids, gas constants); an edit there would leave a
stale kernel in the cache. So each module of compiled functions names the files it depends on, and
at import their contents are hashed: when the hash differs from the one recorded beside the cache,
the module's cached compilations are dropped and compile again on first use.

This reads the dispatcher's `_cache` (Numba has no public handle on it); without one, it does
nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def dependency_digest(files) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(f) for f in files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def drop_if_stale(dispatchers, files, name: str) -> None:
    """Drop the cached compilations of `dispatchers` if any of `files` changed since they were made."""
    digest = dependency_digest(files)
    caches = [getattr(dispatcher, "_cache", None) for dispatcher in dispatchers]
    paths = {cache.cache_path for cache in caches if cache is not None and cache.cache_path}
    if not paths:
        return
    markers = [Path(path) / f"{name}.dependencies" for path in paths]
    try:
        if all(marker.read_text() == digest for marker in markers):
            return
    except OSError:
        pass
    for cache in caches:
        if cache is not None:
            cache.flush()
    for marker in markers:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(digest)
        except OSError:
            pass  # a read-only cache directory: Numba will not save there either


def drop_stale_files(module_file, files, name: str) -> None:
    """For modules whose functions compile when they are defined (Numba's `cfunc`), so that
    drop_if_stale would come too late: call this before the definitions. If any of `files`
    changed since the cached compilations of `module_file` were made, delete them."""
    module = Path(module_file)
    cache_dir = module.parent / "__pycache__"
    digest = dependency_digest([module, *files])
    marker = cache_dir / f"{name}.dependencies"
    try:
        if marker.read_text() == digest:
            return
    except OSError:
        pass
    for stale in cache_dir.glob(f"{module.stem}.*.nb[ic]"):
        try:
            stale.unlink()
        except OSError:
            pass
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text(digest)
    except OSError:
        pass
