"""Compiling, caching and loading BPF code for the block JIT, region by region, through jitvm.jit.layer.

`compiled_program(program)` returns the program's `ProgramCode` (program_code.py): the code runs
have reached so far, grown as they reach more, QUICK first and the hot blocks OPTIMIZED in the
background. This module supplies what is BPF about it to the compile layer (`BpfGenerator`,
whose subjects are `Region`s: a set of a program's blocks), the dispatcher every program's code
is entered through (one per process), and the registry of ProgramCodes.

A region's disk key is the program's code, profile, text address (callx), entry and loader
functions by key (a `call imm` to one is compiled as a local call), the region's block starts and
whether it counts entries, plus the digest of the import closure of the code generator and the
LLVM compiler, and the toolchain, which the layer adds. The same reached blocks make the same
region, so a later process finds its regions on disk.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from jitvm.bpf.jit import codegen
from jitvm.bpf.jit.program_code import POLICY, CompilePolicy, ProgramCode, Region
from jitvm.jit import layer
from jitvm.jit.layer import OPTIMIZED, QUICK, CompileLayer
from jitvm.jit.target import CODEGEN_OPT_LEVEL

CACHE = None  # the ObjectCache to use; None: jitvm.jit.default_cache() (tests put a private one here)
UPGRADE_ENTRIES = 1 << 62  # (kept for callers that turn upgrades off; ProgramCode counts runs itself)


@dataclass
class RegionCode:
    """A linked region: per function of the module, its address and the block starts it holds."""

    key: str
    functions: list[tuple[int, tuple[int, ...]]]
    loaded: object  # jitvm.jit.linker.LoadedCode: keeps the code alive
    size: int
    tier: str
    compile_seconds: float
    load_seconds: float
    cache_hit: bool


def program_digest(program) -> str:
    """What besides a region's blocks decides its code: profile, text address, entry, the loader's
    functions and the code (hashed)."""
    code = hashlib.sha256(program.code).hexdigest()
    functions = hashlib.sha256(repr(program.functions).encode()).hexdigest()[:16]
    return f"{program.profile}|{program.text_address:#x}|{program.entry}|{functions}|{code}"


class BpfGenerator:
    """What the compile layer needs to know about BPF regions (subjects are program_code.Region)."""

    name = "bpf"
    # The modules whose import closure decides the generated code (jitvm.jit.layer hashes it).
    roots = ("jitvm.bpf.jit.codegen", "jitvm.jit.compiler")
    exports = (codegen.FUNCTIONS,)
    levels = {QUICK: 0, OPTIMIZED: CODEGEN_OPT_LEVEL}

    def identity(self, region: Region):
        return region.digest, region.starts, region.counting, region.blocks_per_function

    def describe(self, region: Region) -> str:
        starts = hashlib.sha256(repr(region.starts).encode()).hexdigest()
        parts = "" if region.blocks_per_function is None else f"|per={region.blocks_per_function}"
        return f"{region.digest}|blocks={starts}|counting={int(region.counting)}{parts}"

    def generate(self, region: Region) -> str:
        return codegen.generate(region.program, region.starts, region.counting, region.blocks_per_function)[0]

    def register_runtime(self) -> None:
        pass  # generated BPF code calls nothing: helpers and syscalls return to the driver

    def wrap(self, region: Region, compiled: layer.Compiled) -> RegionCode:
        analysis = codegen.program_analysis(region.program)
        parts = codegen.function_parts(analysis.blocks_at(region.starts), region.blocks_per_function)
        function_at = compiled.loaded.function(codegen.FUNCTIONS, ctypes.c_void_p, ctypes.c_int64)
        functions = [(function_at(index), tuple(block.start for block in part)) for index, part in enumerate(parts)]
        return RegionCode(compiled.key, functions, compiled.loaded, compiled.size, compiled.tier,
                          compiled.compile_seconds, compiled.load_seconds, compiled.cache_hit)


LAYER = CompileLayer(BpfGenerator())


# -- the dispatcher --------------------------------------------------------------------------------

_DISPATCH_TYPE = (ctypes.c_int64, *(ctypes.c_void_p,) * 5)


@functools.cache
def dispatcher():
    """The process's dispatcher (codegen.DISPATCHER) as a ctypes function (loaded from the object
    cache, or compiled: a few milliseconds, once)."""
    from jitvm.jit.compiler import compile_module
    from jitvm.jit.linker import load_objects

    cache = _object_cache()
    key = f"bpf-dispatch|{LAYER.generator_digest()}|opt={CODEGEN_OPT_LEVEL}"
    object_code = cache.get_or_build(key, lambda: compile_module(codegen.DISPATCHER, opt_level=CODEGEN_OPT_LEVEL))
    loaded = load_objects([object_code], [codegen.DISPATCH], name_hint="bpf_dispatch")
    return loaded.function(codegen.DISPATCH, *_DISPATCH_TYPE)


# -- programs --------------------------------------------------------------------------------------

_PROGRAMS: OrderedDict = OrderedDict()  # program identity -> ProgramCode, least recently used first
_programs_lock = threading.Lock()


def _identity(program):
    return program.code, program.profile, program.text_address, program.entry, program.functions


def compiled_program(program, cache=None) -> ProgramCode:
    """The program's code (see the module doc): this process's, else a new one, compiled as runs
    reach it. `cache` defaults to jitvm's ObjectCache."""
    identity = _identity(program)
    with _programs_lock:
        code = _PROGRAMS.get(identity)
        if code is not None:
            _PROGRAMS.move_to_end(identity)
            return code
    code = ProgramCode(program, program_digest(program), LAYER, _object_cache(cache))
    with _programs_lock:
        code = _PROGRAMS.setdefault(identity, code)
        _trim()
    return code


def _object_cache(cache=None):
    from jitvm.jit.cache import default_cache

    return cache or CACHE or default_cache()


def _trim() -> None:
    """Drop the least recently used programs while the registry holds more than the layer's memory
    budget (called with the lock held; a dropped program's code is freed once no run holds it)."""
    total = sum(code.size for code in _PROGRAMS.values())
    while total > LAYER.memory_budget and len(_PROGRAMS) > 1:
        _, dropped = _PROGRAMS.popitem(last=False)
        total -= dropped.size


def loaded_in_process(program) -> bool:
    with _programs_lock:
        return _identity(program) in _PROGRAMS


def programs() -> list[ProgramCode]:
    with _programs_lock:
        return list(_PROGRAMS.values())


def forget() -> None:
    """Drop every program's code (and the layer's regions)."""
    with _programs_lock:
        _PROGRAMS.clear()
    LAYER.forget()


def build(program, cache, blocks_per_function: int | None = None, tier: str = QUICK) -> ProgramCode:
    """A ProgramCode outside the registry with every block compiled now (at `tier`: OPTIMIZED
    compiles every block as one OPTIMIZED region), functions of `blocks_per_function` blocks."""
    policy = CompilePolicy(eager=True)
    code = ProgramCode(program, program_digest(program), LAYER, _object_cache(cache), policy, blocks_per_function)
    if tier == QUICK:
        code.compile_pending()
    else:
        region = Region(program, code.digest, tuple(sorted(code.pending)), False, blocks_per_function)
        code.pending.clear()
        compiled = LAYER.build(region, cache, OPTIMIZED)
        code._install(compiled.value, moved=True)
        code.stats.optimized_regions += 1
    return code


def whole_region(program, tier: str = QUICK) -> Region:
    """The region of every block of `program`, as `build` compiles it at `tier`."""
    analysis = codegen.program_analysis(program)
    return Region(program, program_digest(program), tuple(analysis.block_starts.tolist()), tier == QUICK)


def cache_key(program, tier: str = QUICK) -> str:
    """The disk key of the region of every block of `program` at `tier` (as `build` makes it)."""
    return LAYER.key(whole_region(program, tier), tier)


def upgrade(program, cache=None) -> None:
    """Queue the OPTIMIZED region of a program's hot blocks (nothing if it has no code here)."""
    with _programs_lock:
        code = _PROGRAMS.get(_identity(program))
    if code is not None:
        code.upgrade()


def compile_stats() -> dict[str, float]:
    return LAYER.stats.as_dict()


def settle() -> None:
    """Compile every program's reached blocks, queue the OPTIMIZED region of its hot blocks if it
    has none yet, and wait for the background thread."""
    layer.settle()
    for code in programs():
        code.compile_pending()
        if code.tier == QUICK:
            code.upgrade()
    layer.settle()


__all__ = ["CACHE", "LAYER", "POLICY", "BpfGenerator", "CompilePolicy", "ProgramCode", "Region", "RegionCode",
           "build", "cache_key", "compile_stats", "compiled_program", "dispatcher", "forget", "loaded_in_process",
           "programs", "settle", "upgrade", "whole_region"]
