"""Compiling, caching and linking EVM code for the JIT, in two tiers, through jitvm.jit.layer.

`compiled_code(code, fork)` returns the code's linked machine code: from this process's table, else
from the on-disk ObjectCache, else generated (codegen.py) and compiled. This module supplies only
what is EVM about it (`EvmGenerator`): the disk key is the code's hash and the fork, plus the
digest of the import closure of the code generator, the block analysis and the LLVM compiler (gas and
message constants, the layout, the opcode table, the pass list, ...) and the toolchain, which the layer adds. A cached code is found
without analysing it: the analysis (and the MAX_BLOCKS check) runs only when it must be compiled.

Two tiers, because the compile time is the price of a first run: QUICK compiles with no IR passes
and the backend at level 0 (snailtracer: 1.4 s; its code runs about 1.3 times slower), OPTIMIZED
with the pass list and the backend at CODEGEN_OPT_LEVEL. A code first
gets whichever tier the disk cache holds (the optimized one if both), else QUICK, compiled on the
caller's thread. `upgrade(code, fork)` queues the OPTIMIZED compile on the background thread; the
next frame of the code picks it up. `settle()` waits for the queue.

The OPTIMIZED tier optimizes only the hot functions of a large code: QUICK code counts the
instructions each function (a part of BLOCKS_PER_FUNCTION blocks) runs (codegen.WORK_COUNTERS), and
the functions that ran the last (1 - HOT_SHARE) of them are written and compiled as the QUICK tier
does, in a module of their own beside the optimized ones (jitvm.jit.compiler.MixedTierIr).
snailtracer runs 98% of its instructions in 7 of its 21 functions.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
from dataclasses import dataclass, field

from jitvm.evm.jit.entry import ENTRY, WORK_COUNTERS
from jitvm.jit import layer
from jitvm.jit.layer import OPTIMIZED, QUICK, CompileLayer

_ENTRY_TYPE = (ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
               ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)
MAX_BLOCKS = 5000  # larger codes are not compiled (compile time would exceed seconds): the baseline runs them
CACHE = None  # the ObjectCache to use; None: jitvm.jit.default_cache() (tests put a private one here)

# The backend's optimisation level for each tier. Instruction selection and register allocation of
# i256 arithmetic dominate the compile time: level 1 takes about twice as long as level 0 and its
# code is 1.2-2 times faster; level 2 adds nothing measurable to level 1.
CODEGEN_OPT_LEVEL = int(os.environ.get("JITVM_EVM_CODEGEN_OPT", "1"))
# The OPTIMIZED tier optimizes the fewest functions that ran this share of the instructions the
# QUICK code counted (the rest run about 1.3 times slower, on at most 0.5% of the work), in codes
# whose IR is at least SELECTIVE_FROM_BYTES (smaller ones compile in well under a second whole).
HOT_SHARE = float(os.environ.get("JITVM_EVM_HOT_SHARE", "0.995"))
SELECTIVE_FROM_BYTES = 512 << 10


@dataclass
class CompiledCode:
    key: str
    function: object = field(repr=False)  # ctypes callable of evm_enter; keeps the code alive
    cache_hit: bool = False
    tier: str = OPTIMIZED


@functools.cache
def register_helpers() -> None:
    """Make the limb helpers of jitvm.evm.limbs and keccak callable from generated code. They are
    registered lazily: each is compiled (or loaded from Numba's cache) when the first code that calls
    it is linked, so a process whose codes divide nothing never builds the division helpers."""
    from jitvm.evm.jit.helpers import runtime_helpers
    from jitvm.jit import symbols

    for name, (signature, build) in runtime_helpers().items():
        symbols.register_lazy(name, signature, build)


class EvmGenerator:
    """What the compile layer needs to know about EVM code; a subject is (code, fork)."""

    name = "evm"
    # The modules whose import closure decides the generated code (jitvm.jit.layer hashes it).
    roots = ("jitvm.evm.jit.codegen", "jitvm.evm.jit.block_analysis", "jitvm.jit.compiler")
    exports = (ENTRY, WORK_COUNTERS)
    levels = {QUICK: 0, OPTIMIZED: CODEGEN_OPT_LEVEL}
    # From this much IR (6 MB: only memory_grow_* of the bundled contracts, 8 MB) the OPTIMIZED tier
    # runs SROA alone (jitvm.jit.compiler.LARGE_MODULE_PIPELINE): faster to compile and to run there.
    # Such a code's OPTIMIZED tier is also written compact (its memory accesses through the helpers,
    # as the QUICK tier's): memory_grow_*, 4,096 accesses each, compile in 2.0-2.4 s CPU instead of
    # 4.9-5.6 s and run as fast (0.95x-1.03x the time per call: bench/pass_benefit.py
    # --filter memory_grow --variants "sroa@1,sroa@1/compact").
    large_module_bytes = 6 << 20
    tiered_ir = True  # generate() takes the tier: the QUICK tier's IR is smaller (codegen's `compact`)

    def __init__(self, blocks_per_function: int | None = None):
        self.blocks_per_function = blocks_per_function
        self.layer: CompileLayer | None = None  # the layer whose QUICK code's counts pick hot functions

    def identity(self, subject: tuple[bytes, str]) -> tuple[bytes, str]:
        return subject

    def describe(self, subject: tuple[bytes, str]) -> str:
        code, fork = subject
        return f"{fork}|{hashlib.sha256(code).hexdigest()}"

    def generate(self, subject: tuple[bytes, str], tier: str = OPTIMIZED) -> str | None:
        from jitvm.evm.jit import block_analysis, codegen

        analysis = block_analysis.analyse(*subject)
        if len(analysis.blocks) > MAX_BLOCKS:
            return None
        if tier == QUICK:
            return codegen.generate(analysis, self.blocks_per_function, compact=True, counting=True)
        work = self.quick_work(subject, codegen.ModuleGenerator(analysis, self.blocks_per_function).parts)
        cold = cold_parts(work) if work else frozenset()
        ir = codegen.generate(analysis, self.blocks_per_function, cold_parts=cold)
        if ir is not None and len(ir) >= self.large_module_bytes:
            from jitvm.jit.compiler import LargeModuleIr

            return LargeModuleIr(codegen.generate(analysis, self.blocks_per_function, compact=True))
        if ir is None or not cold:
            return ir
        if len(ir) < SELECTIVE_FROM_BYTES:
            return codegen.generate(analysis, self.blocks_per_function)
        from jitvm.jit.compiler import MixedTierIr

        return MixedTierIr(ir, map(codegen.function_name, cold), self.levels[QUICK])

    def quick_work(self, subject: tuple[bytes, str], parts: list) -> list[int] | None:
        """The instructions each function of the subject's QUICK code has run so far, if this
        process runs it on QUICK code (read while it may still run: the counts only grow)."""
        found = None if self.layer is None else self.layer.entry(subject)
        if found is None or found.tier != QUICK:
            return None
        # `found` keeps the library linked while its counters are read.
        return list((ctypes.c_int64 * len(parts)).from_address(found.loaded[WORK_COUNTERS]))

    def register_runtime(self) -> None:
        register_helpers()

    def wrap(self, subject, compiled: layer.Compiled) -> CompiledCode:
        function = compiled.loaded.function(self.exports[0], *_ENTRY_TYPE)
        return CompiledCode(compiled.key, function, compiled.cache_hit, compiled.tier)


def cold_parts(work: list[int], share: float | None = None) -> frozenset[int]:
    """The functions outside the fewest that ran `share` (HOT_SHARE) of the counted instructions."""
    share = HOT_SHARE if share is None else share
    total = sum(work)
    if total <= 0:
        return frozenset()
    hot, covered = set(), 0
    for index in sorted(range(len(work)), key=work.__getitem__, reverse=True):
        if covered >= share * total:
            break
        hot.add(index)
        covered += work[index]
    return frozenset(range(len(work))) - hot


def _layer_for(generator: EvmGenerator) -> CompileLayer:
    made = CompileLayer(generator)
    generator.layer = made
    return made


LAYER = _layer_for(EvmGenerator())


def cache_key(code: bytes, fork: str, tier: str = OPTIMIZED) -> str:
    return LAYER.key((code, fork), tier)


def compiled_code(code: bytes, fork: str, cache=None) -> CompiledCode | None:
    """The code's compiled form (see the module doc), or None if it is too large to compile;
    `cache` defaults to jitvm's ObjectCache."""
    return LAYER.get((code, fork), cache or CACHE)


def cached_code(code: bytes, fork: str, cache=None) -> CompiledCode | None:
    """The code's compiled form if this process holds it or the object cache has it (never compiles)."""
    return LAYER.get_cached((code, fork), cache or CACHE)


def build(code: bytes, fork: str, cache, blocks_per_function: int | None = None,
          tier: str = OPTIMIZED) -> CompiledCode | None:
    """Compile (or load from `cache`) and link one tier, outside the in-process table."""
    target = LAYER if blocks_per_function is None else _layer_for(EvmGenerator(blocks_per_function))
    return target.build((code, fork), cache, tier).value


def loaded(code: bytes, fork: str) -> CompiledCode | None:
    """The code's compiled form if this process has it linked (never compiles or loads)."""
    found = LAYER.entry((code, fork))
    return None if found is None else found.value


def loaded_codes() -> list[tuple[bytes, str]]:
    """(code, fork) of every code linked in this process."""
    return LAYER.identities()


def compile_in_background(code: bytes, fork: str, cache=None) -> None:
    """compiled_code(code, fork) on the background thread; `loaded` shows when it is done."""
    LAYER.compile_in_background((code, fork), cache or CACHE)


def upgrade_all(cache=None) -> None:
    """Queue the OPTIMIZED tier of every code this process runs on its QUICK tier, into `cache` or
    CACHE (not the default cache behind a test's private one)."""
    LAYER.upgrade_all(cache or CACHE)


def upgrade(code: bytes, fork: str, cache=None) -> None:
    """Queue the OPTIMIZED tier of a code that runs on its QUICK tier (nothing if it does not)."""
    LAYER.upgrade((code, fork), cache or CACHE)


def compile_stats() -> dict[str, float]:
    return LAYER.stats.as_dict()


def settle() -> None:
    """Wait until every queued compile is done and installed; re-raise the first failure."""
    layer.settle()
