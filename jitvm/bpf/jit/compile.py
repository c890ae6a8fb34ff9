"""Compiling, caching and loading programs for the block JIT.

`compiled_program(program)` returns the program's machine code, ready to enter: from this
process's table of loaded programs, else from the on-disk ObjectCache (jitvm.jit.cache), else
generated (codegen.py) and compiled (jitvm.jit.compiler). The cache key is the program's code, its
profile, text address, entry and function starts, and the digest of what generates the code (codegen.py, layout.py and
opcodes/bpf.toml); the cache adds the jitvm and LLVM versions and the CPU.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from jitvm.bpf.jit import codegen
from jitvm.jit import compile_module, default_cache, load_objects

_ENTRY_TYPE = (ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
LOADED_PROGRAMS = 256  # compiled programs kept linked in this process (least recently used go)
CACHE = None  # the ObjectCache to use; None: jitvm.jit.default_cache() (tests put a private one here)


@dataclass
class CompileStats:
    """Where the time of the last compiled_program call went (for the benchmark report)."""

    generate_seconds: float = 0.0  # block analysis and IR text (0 on a cache hit)
    compile_seconds: float = 0.0  # LLVM (0 on a cache hit)
    load_seconds: float = 0.0  # reading the cache entry and linking
    cache_hit: bool = False


@dataclass
class CompiledProgram:
    """A program's linked machine code: `enter(arrays)` runs it from state[PC] (layout.py)."""

    key: str
    leaders: np.ndarray  # uint8[len + 1]: 1 where a block starts (the interpreter stops there)
    function: object = field(repr=False)  # ctypes callable of bpf_enter; keeps the code alive
    stats: CompileStats = field(default_factory=CompileStats)

    def enter(self, arrays) -> int:
        return self.function(*arrays.addresses)


def cache_key(program) -> str:
    """What the generated code depends on: the code, profile, text address (callx) and the pcs that
    start blocks besides the jump targets (the entry and the loader's functions)."""
    digest = hashlib.sha256(program.code).hexdigest()
    starts = sorted({program.entry, *(target for _, target in program.functions)})
    return f"bpf-jit|{_source_digest()}|{program.profile}|{program.text_address:#x}|{starts}|{digest}"


@functools.cache
def _source_digest() -> str:
    return codegen.source_digest()


_loaded: dict[str, CompiledProgram] = {}
_lock = threading.Lock()


def loaded_in_process(program) -> bool:
    with _lock:
        return cache_key(program) in _loaded


def compiled_program(program, cache=None) -> CompiledProgram:
    """The program's compiled code (see the module doc); `cache` defaults to jitvm's ObjectCache."""
    key = cache_key(program)
    with _lock:
        found = _loaded.pop(key, None)
        if found is not None:
            _loaded[key] = found  # most recently used last
            return found
    compiled = build(program, key, cache or CACHE or default_cache())
    with _lock:
        _loaded[key] = compiled
        while len(_loaded) > LOADED_PROGRAMS:
            _loaded.pop(next(iter(_loaded)))
    return compiled


def build(program, key: str, cache, blocks_per_function: int | None = None) -> CompiledProgram:
    """Compile (or load from `cache`) and link; `blocks_per_function` as in jitvm.jit.blocks. The IR
    is generated only when the cache misses."""
    stats = CompileStats()

    def compile_ir() -> bytes:
        started = time.perf_counter()
        ir, _ = codegen.generate(program, blocks_per_function)
        stats.generate_seconds = time.perf_counter() - started
        started = time.perf_counter()
        code = compile_module(ir)
        stats.compile_seconds = time.perf_counter() - started
        return code

    started = time.perf_counter()
    object_code = cache.get_or_build(key, compile_ir)
    stats.cache_hit = stats.compile_seconds == 0.0
    linked = load_objects([object_code], [codegen.ENTRY], name_hint="bpf")
    stats.load_seconds = time.perf_counter() - started - stats.generate_seconds - stats.compile_seconds
    block_map, _ = codegen.analyse(program)
    leaders = np.zeros(len(program.decoded) + 1, dtype=np.uint8)
    leaders[[block.start for block in block_map.blocks]] = 1
    return CompiledProgram(key, leaders, linked.function(codegen.ENTRY, *_ENTRY_TYPE), stats)
