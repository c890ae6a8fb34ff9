"""Compiling, caching and linking EVM code for the JIT.

`compiled_code(code, fork)` returns the code's linked machine code: from this process's table, else
from the on-disk ObjectCache (jitvm.jit.cache), else generated (codegen.py) and compiled. The cache
key is the code's hash, the fork and the digest of what generates the code; the cache adds the
jitvm and LLVM versions and the CPU, so a second process loads what the first compiled.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import threading
import time
from dataclasses import dataclass, field

from jitvm.evm.jit import analysis, codegen
from jitvm.jit import default_cache, load_objects, symbols

_ENTRY_TYPE = (ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
               ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)
LOADED_CODES = 256  # compiled codes kept linked in this process (least recently used go)
MAX_BLOCKS = 5000  # larger codes are not compiled (compile time would exceed seconds): the baseline runs them
CACHE = None  # the ObjectCache to use; None: jitvm.jit.default_cache() (tests put a private one here)


@dataclass
class CompileTimes:
    """Cumulative seconds, for compile_stats()."""

    compile_seconds: float = 0.0  # analysis, IR and LLVM (cache misses)
    cache_load_seconds: float = 0.0  # reading cache entries and linking


TIMES = CompileTimes()


@dataclass
class CompiledCode:
    key: str
    function: object = field(repr=False)  # ctypes callable of evm_enter; keeps the code alive
    cache_hit: bool = False


@functools.cache
def register_helpers() -> None:
    """Make the limb helpers of jitvm.evm.fast callable from generated code."""
    from jitvm.evm.fast.uint256_cfuncs import HELPER_OPERANDS, runtime_helpers

    from jitvm.evm.jit.helpers import HELPERS

    for name, helper in runtime_helpers().items():
        signature = "void (ptr, ptr, ptr)" if HELPER_OPERANDS[name] == 2 else "void (ptr, ptr, ptr, ptr)"
        symbols.register(name, helper.address, signature)
    for name, (address, signature) in HELPERS.items():
        symbols.register(name, address, signature)


@functools.cache
def _source_digest() -> str:
    return codegen.source_digest()


# The backend's optimisation level for EVM code. Instruction selection and register allocation of
# i256 arithmetic dominate the compile time: level 2 takes about ten times as long as level 0.
CODEGEN_OPT_LEVEL = int(os.environ.get("JITVM_EVM_CODEGEN_OPT", "1"))
_machines: dict[int, object] = {}
_emit_lock = threading.Lock()


def cache_key(code: bytes, fork: str) -> str:
    return f"evm-jit/2|{_source_digest()}|opt={CODEGEN_OPT_LEVEL}|{fork}|{hashlib.sha256(code).hexdigest()}"


def compile_ir(ir: str) -> bytes:
    """compile_module's parse and pass list, then the backend at CODEGEN_OPT_LEVEL."""
    import llvmlite.binding as llvm

    from jitvm.jit import compiler, target

    host = target.host_target()
    with _emit_lock:
        machine = _machines.get(CODEGEN_OPT_LEVEL)
        if machine is None:
            machine = _machines[CODEGEN_OPT_LEVEL] = llvm.Target.from_triple(host.triple).create_target_machine(
                cpu=host.cpu, features=host.features, opt=CODEGEN_OPT_LEVEL, reloc=target.RELOCATION_MODEL,
                codemodel=target.CODE_MODEL)
        context = llvm.create_context()
        module = compiler.parse(ir, context)
        try:
            compiler.optimize(module)
            return bytes(machine.emit_object(module))
        finally:
            module.close()
            context.close()


_loaded: dict[tuple[bytes, str], CompiledCode] = {}
_lock = threading.Lock()


def compiled_code(code: bytes, fork: str, cache=None) -> CompiledCode | None:
    """The code's compiled form (see the module doc), or None if it is too large to compile;
    `cache` defaults to jitvm's ObjectCache."""
    if len(analysis.analyse(code, fork).blocks) > MAX_BLOCKS:
        return None
    with _lock:
        found = _loaded.pop((code, fork), None)
        if found is not None:
            _loaded[(code, fork)] = found  # most recently used last
            return found
    compiled = build(code, fork, cache or CACHE or default_cache())
    with _lock:
        _loaded[(code, fork)] = compiled
        while len(_loaded) > LOADED_CODES:
            _loaded.pop(next(iter(_loaded)))
    return compiled


def build(code: bytes, fork: str, cache, blocks_per_function: int | None = None) -> CompiledCode:
    """Compile (or load from `cache`) and link. The IR is generated only when the cache misses."""
    register_helpers()
    key = cache_key(code, fork)
    compile_seconds = 0.0

    def generate_and_compile() -> bytes:
        nonlocal compile_seconds
        started = time.perf_counter()
        ir = codegen.generate(analysis.analyse(code, fork), blocks_per_function)
        object_code = compile_ir(ir)
        compile_seconds = time.perf_counter() - started
        return object_code

    started = time.perf_counter()
    object_code = cache.get_or_build(key, generate_and_compile)
    linked = load_objects([object_code], [codegen.ENTRY], name_hint="evm")
    load_seconds = time.perf_counter() - started - compile_seconds
    TIMES.compile_seconds += compile_seconds
    TIMES.cache_load_seconds += load_seconds
    return CompiledCode(key, linked.function(codegen.ENTRY, *_ENTRY_TYPE), compile_seconds == 0.0)
