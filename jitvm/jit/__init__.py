"""The LLVM machinery shared by the EVM and BPF JITs.

- `blocks`: basic blocks from instruction boundaries and leaders; bounded groups of them per function.
- `compiler`: LLVM IR → host object code, through a short, linear-time pass list.
- `linker`: one LLJIT per process; links object code into named libraries, returns function addresses.
- `symbols`: runtime helpers generated code may call (and compiler-rt's 128-bit division, built in).
- `cache`: object code on disk, keyed by what was compiled and by the machine it was compiled for.
- `layer`: the compile layer both JITs use: in-process LRU table, object cache, compile, link, tiers.
- `dependencies`: cache keys from the import graph of the code that generates the code.
- `numba_cache`: the same keys for Numba's on-disk cache (`cached_njit`, `cached_cfunc`).

Typical use: `code = cache.default_cache().get_or_build(key, lambda: compile_module(ir))`, then
`engine.load_objects([code], ["entry"])["entry"]` is the address to call.
"""

from .blocks import Block, BlockMap, find_leaders, partition, split_blocks
from .cache import ObjectCache, default_cache
from .compiler import compile_module
from .linker import JitLinkError, LoadedCode, engine, load_objects
from .symbols import register
from .target import host_target

__all__ = [
    "Block",
    "BlockMap",
    "JitLinkError",
    "LoadedCode",
    "ObjectCache",
    "compile_module",
    "default_cache",
    "engine",
    "find_leaders",
    "host_target",
    "load_objects",
    "partition",
    "register",
    "split_blocks",
]
