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
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
from dataclasses import dataclass, field

from jitvm.evm.jit.entry import ENTRY
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
    exports = (ENTRY,)
    levels = {QUICK: 0, OPTIMIZED: CODEGEN_OPT_LEVEL}
    # From this much IR (6 MB: only memory_grow_* of the bundled contracts, 8 MB) the OPTIMIZED tier
    # runs SROA alone (jitvm.jit.compiler.LARGE_MODULE_PIPELINE): faster to compile and to run there.
    large_module_bytes = 6 << 20
    tiered_ir = True  # generate() takes the tier: the QUICK tier's IR is smaller (codegen's `compact`)

    def __init__(self, blocks_per_function: int | None = None):
        self.blocks_per_function = blocks_per_function

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
        return codegen.generate(analysis, self.blocks_per_function, compact=tier == QUICK)

    def register_runtime(self) -> None:
        register_helpers()

    def wrap(self, subject, compiled: layer.Compiled) -> CompiledCode:
        function = compiled.loaded.function(self.exports[0], *_ENTRY_TYPE)
        return CompiledCode(compiled.key, function, compiled.cache_hit, compiled.tier)


LAYER = CompileLayer(EvmGenerator())


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
    target = LAYER if blocks_per_function is None else CompileLayer(EvmGenerator(blocks_per_function))
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


def upgrade(code: bytes, fork: str, cache=None) -> None:
    """Queue the OPTIMIZED tier of a code that runs on its QUICK tier (nothing if it does not)."""
    LAYER.upgrade((code, fork), cache or CACHE)


def compile_stats() -> dict[str, float]:
    return LAYER.stats.as_dict()


def settle() -> None:
    """Wait until every queued compile is done and installed; re-raise the first failure."""
    layer.settle()
