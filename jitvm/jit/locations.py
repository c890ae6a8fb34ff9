"""Where jitvm keeps what it compiles: $JITVM_CACHE_DIR, else $XDG_CACHE_HOME/jitvm, else ~/.cache/jitvm.

A module of its own, importing nothing of jitvm, so that the guards of the Numba caches
(numba_cache.py) can find the folder without depending on LLVM or the object cache's code.
"""

import os
from pathlib import Path

CACHE_DIR_ENV = "JITVM_CACHE_DIR"


def default_directory() -> Path:
    """$JITVM_CACHE_DIR, else $XDG_CACHE_HOME/jitvm, else ~/.cache/jitvm."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "jitvm"
