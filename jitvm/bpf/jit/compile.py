"""Compiling, caching and loading programs for the block JIT, in two tiers, through jitvm.jit.layer.

`compiled_program(program)` returns the program's machine code, ready to enter: from this
process's table, else from the on-disk ObjectCache, else generated (codegen.py) and compiled. This
module supplies only what is BPF about it (`BpfGenerator`): the disk key is the program's code,
profile, text address (callx), the pcs that start blocks besides the jump targets (the entry and
the loader's functions) and the loader's functions by key (a `call imm` to one is compiled as a local
call), plus the digest of the import closure of the code generator and the LLVM compiler, and the
toolchain, which
the layer adds.

Tiers as on the EVM: the first compile is QUICK (the backend at level 0), and once a program's
compiled runs are hot (`jitvm.bpf.driver.AutoPolicy`) its OPTIMIZED tier is compiled in the
background (`upgrade`) and replaces it for the next run.
"""

from __future__ import annotations

import ctypes
import hashlib
from dataclasses import dataclass, field

import numpy as np

from jitvm.jit import layer
from jitvm.jit.layer import OPTIMIZED, QUICK, CompileLayer
from jitvm.jit.target import CODEGEN_OPT_LEVEL

_ENTRY_TYPE = (ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
CACHE = None  # the ObjectCache to use; None: jitvm.jit.default_cache() (tests put a private one here)
UPGRADE_ENTRIES = 256  # entries into a program's QUICK code after which its OPTIMIZED tier is compiled


@dataclass
class CompileStats:
    """Where the time of one program's compile went (for the benchmark report)."""

    compile_seconds: float = 0.0  # block analysis, IR text and LLVM (0 on a cache hit)
    load_seconds: float = 0.0  # reading the cache entry and linking
    cache_hit: bool = False


@dataclass
class CompiledProgram:
    """A program's linked machine code: `enter(arrays)` runs it from state[PC] (layout.py)."""

    key: str
    leaders: np.ndarray  # uint8[len + 1]: 1 where a block starts (the interpreter stops there)
    function: object = field(repr=False)  # ctypes callable of bpf_enter; keeps the code alive
    stats: CompileStats = field(default_factory=CompileStats)
    tier: str = OPTIMIZED
    program: object = field(default=None, repr=False)
    runs: int = 0  # compiled runs of this tier so far, and their instructions (towards the upgrade)
    units: int = 0
    entries: int = 0  # calls of enter() on the QUICK tier (callers that hold this object and never
    # go through jitvm.bpf.driver, such as the Solana runtime's loader, are upgraded by this count)

    def enter(self, arrays) -> int:
        if self.tier == QUICK:
            self.entries += 1
            if self.entries == UPGRADE_ENTRIES:
                upgrade(self.program)
        return self.function(*arrays.addresses)


def _block_starts(program) -> list[int]:
    return sorted({program.entry, *(target for _, target in program.functions)})


class BpfGenerator:
    """What the compile layer needs to know about BPF programs; a subject is a Program."""

    name = "bpf"
    # The modules whose import closure decides the generated code (jitvm.jit.layer hashes it).
    roots = ("jitvm.bpf.jit.codegen", "jitvm.jit.compiler")
    exports = ("bpf_enter",)
    levels = {QUICK: 0, OPTIMIZED: CODEGEN_OPT_LEVEL}

    def __init__(self, blocks_per_function: int | None = None):
        self.blocks_per_function = blocks_per_function

    def identity(self, program):
        return program.code, program.profile, program.text_address, tuple(_block_starts(program)), program.functions

    def describe(self, program) -> str:
        digest = hashlib.sha256(program.code).hexdigest()
        functions = hashlib.sha256(repr(program.functions).encode()).hexdigest()
        return f"{program.profile}|{program.text_address:#x}|{_block_starts(program)}|{functions}|{digest}"

    def generate(self, program) -> str:
        from jitvm.bpf.jit import codegen

        return codegen.generate(program, self.blocks_per_function)[0]

    def register_runtime(self) -> None:
        pass  # generated BPF code calls nothing: helpers and syscalls return to the driver

    def wrap(self, program, compiled: layer.Compiled) -> CompiledProgram:
        from jitvm.bpf.jit import codegen

        block_map, _ = codegen.analyse(program)
        leaders = np.zeros(len(program.decoded) + 1, dtype=np.uint8)
        leaders[[block.start for block in block_map.blocks]] = 1
        stats = CompileStats(compiled.compile_seconds, compiled.load_seconds, compiled.cache_hit)
        function = compiled.loaded.function(self.exports[0], *_ENTRY_TYPE)
        return CompiledProgram(compiled.key, leaders, function, stats, compiled.tier, program)

    def carry_over(self, quick: CompiledProgram, optimized: CompiledProgram) -> None:
        """Point a QUICK object that callers may keep at the OPTIMIZED code (a call running the QUICK
        code keeps its function, and so its code, alive until it returns)."""
        quick.function, quick.key, quick.stats, quick.tier = (optimized.function, optimized.key,
                                                             optimized.stats, optimized.tier)


LAYER = CompileLayer(BpfGenerator())


def cache_key(program, tier: str = QUICK) -> str:
    return LAYER.key(program, tier)


def loaded_in_process(program) -> bool:
    return LAYER.entry(program) is not None


def compiled_program(program, cache=None) -> CompiledProgram:
    """The program's compiled code (see the module doc); `cache` defaults to jitvm's ObjectCache."""
    return LAYER.get(program, cache or CACHE)


def build(program, cache, blocks_per_function: int | None = None, tier: str = QUICK) -> CompiledProgram:
    """Compile (or load from `cache`) and link one tier, outside the in-process table;
    `blocks_per_function` as in jitvm.jit.blocks."""
    target = LAYER if blocks_per_function is None else CompileLayer(BpfGenerator(blocks_per_function))
    return target.build(program, cache, tier).value


def upgrade(program, cache=None) -> None:
    """Queue the OPTIMIZED tier of a program that runs on its QUICK tier (nothing if it does not)."""
    LAYER.upgrade(program, cache or CACHE)


def compile_stats() -> dict[str, float]:
    return LAYER.stats.as_dict()


def settle() -> None:
    """Give every program compiled in this process its OPTIMIZED tier now, and wait for it."""
    layer.settle()
    LAYER.upgrade_all()
    layer.settle()
