"""Numba's on-disk cache, guarded like the JITs' object cache: by what the compiled code depends on.

Numba reuses a cached compilation while the function's own source file is unchanged; it does not
see the constants and functions it inlined from other modules (the limb kernels, keccak, the
layout's handler ids, gas constants, BPF error codes). So jitvm's Numba functions are declared with
`cached_njit(__name__, ...)` / `cached_cfunc(__name__, signature)` instead of `njit(cache=True)`:
their cache lives in a folder named by `jitvm.jit.dependencies.dependency_digest` of the declaring
module, i.e. of every jitvm module it imports (directly or not), the opcode tables they name, and
the llvmlite/LLVM/Numba versions and CPU. Any edit there names another folder, which is empty:
the functions compile again, and the old folder is simply no longer read.

The folder is `<jitvm cache>/numba/<digest>` (jitvm.jit.locations), or `$NUMBA_CACHE_DIR/jitvm/<digest>`
when the user chose a Numba cache folder. It is handed to Numba through its documented setting
`numba.config.CACHE_DIR` (NUMBA_CACHE_DIR), set only while the decorator runs: Numba fixes a
function's cache folder when the function is declared.

The first compile of the interpreters takes seconds; while it runs, a progress line goes to stderr
when stderr is a terminal (JITVM_PROGRESS=1 forces it, 0 silences it).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import time
from pathlib import Path

from jitvm.jit.dependencies import dependency_digest
from jitvm.jit.locations import default_directory

PROGRESS_ENV = "JITVM_PROGRESS"
_decorating = threading.Lock()


@functools.cache
def cache_directory(module: str) -> Path:
    """The Numba cache folder of the functions declared in jitvm module `module`."""
    from numba.core import config

    return _folder(module, os.environ.get("NUMBA_CACHE_DIR") or getattr(config, "CACHE_DIR", ""))


def _folder(module: str, user_choice: str) -> Path:
    digest = dependency_digest([module])[:32]
    if user_choice:
        return Path(user_choice) / "jitvm" / digest
    return default_directory() / "numba" / digest


def is_cached(module: str, function: str) -> bool:
    """Whether Numba's cache folder of jitvm module `module` has an index for its function `function`,
    i.e. whether that function has been compiled and saved here before. Asks the file system only, so
    it does not import Numba (with a folder chosen in a Numba config file rather than NUMBA_CACHE_DIR,
    it may answer False for a cached function)."""
    directory = _folder(module, os.environ.get("NUMBA_CACHE_DIR", ""))
    # Numba names the index <module's file stem>.<qualified name>-<line>.py<version>.nbi, in a
    # subfolder named after the module's folder.
    pattern = f"*/{module.rpartition('.')[2]}.{function}-*.nbi"
    return any(directory.glob(pattern))


@contextlib.contextmanager
def _numba_cache_dir(directory: Path):
    from numba.core import config

    with _decorating:
        saved = config.CACHE_DIR
        config.CACHE_DIR = str(directory)
        try:
            yield
        finally:
            config.CACHE_DIR = saved


def cached_njit(module: str, **options):
    """`numba.njit(cache=True, **options)` with the cache folder of `module` (see the module doc)."""
    from numba import njit

    directory = cache_directory(module)
    _install_progress()

    def decorate(function):
        with _numba_cache_dir(directory):
            return njit(cache=True, **options)(function)

    return decorate


def cached_cfunc(module: str, signature, **options):
    """`numba.cfunc(signature, cache=True, **options)` with the cache folder of `module`."""
    from numba import cfunc

    directory = cache_directory(module)
    _install_progress()

    def decorate(function):
        with _numba_cache_dir(directory):
            return cfunc(signature, cache=True, **options)(function)

    return decorate


# -- progress while Numba compiles ----------------------------------------------------------------

def _progress_wanted() -> bool:
    setting = os.environ.get(PROGRESS_ENV, "").strip()
    if setting:
        return setting != "0"
    return sys.stderr is not None and sys.stderr.isatty()


@functools.cache
def _install_progress() -> None:
    """Report each outermost compile of a jitvm Numba function on stderr (cache misses only: Numba
    sends the "numba:compile" event only when it compiles, not when it loads from its cache)."""
    if not _progress_wanted():
        return
    from numba.core import event

    class Progress(event.Listener):
        def __init__(self):
            self.depth = 0
            self.started = 0.0

        def on_start(self, event_):
            function = getattr(event_.data.get("dispatcher"), "py_func", None)
            if self.depth == 0 and function is not None and function.__module__.startswith("jitvm."):
                self.started = time.perf_counter()
                print(f"jitvm: compiling {function.__module__}.{function.__qualname__} with Numba "
                      f"(once per install; cached afterwards)...", file=sys.stderr, flush=True)
            self.depth += 1

        def on_end(self, event_):
            self.depth -= 1
            if self.depth == 0 and self.started:
                print(f"jitvm: compiled in {time.perf_counter() - self.started:.1f} s", file=sys.stderr, flush=True)
                self.started = 0.0

    event.register("numba:compile", Progress())
