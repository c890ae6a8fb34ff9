"""Compiling, caching and linking EVM code for the JIT, in two tiers.

`compiled_code(code, fork)` returns the code's linked machine code: from this process's table, else
from the on-disk ObjectCache (jitvm.jit.cache), else generated (codegen.py) and compiled. The cache
key is the code's hash, the fork, the tier and the digest of what generates the code; the cache adds
the jitvm and LLVM versions and the CPU, so a second process loads what the first compiled.

Two tiers, because the backend's time is the price of a first run: QUICK compiles with the
backend at level 0 (snailtracer: about 3 s; its code runs about 1.4 times slower), OPTIMIZED at
CODEGEN_OPT_LEVEL. A code first gets whichever tier the disk cache holds (the optimized one if
both), else QUICK, compiled on the caller's thread. `upgrade(code, fork)` queues the OPTIMIZED
compile on one background thread (llvmlite releases the GIL, so Python, the baseline and compiled
code keep running); the next frame of the code picks it up. `settle()` waits for the queue.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import hashlib
import os
import queue
import threading
import time
from dataclasses import dataclass, field

from jitvm.evm.jit import block_analysis as analysis, codegen
from jitvm.jit import default_cache, load_objects, symbols

_ENTRY_TYPE = (ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
               ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64)
LOADED_CODES = 256  # compiled codes kept linked in this process (the first linked go first)
MAX_BLOCKS = 5000  # larger codes are not compiled (compile time would exceed seconds): the baseline runs them
CACHE = None  # the ObjectCache to use; None: jitvm.jit.default_cache() (tests put a private one here)


@dataclass
class CompileTimes:
    """Cumulative seconds, for compile_stats()."""

    compile_seconds: float = 0.0  # analysis, IR and LLVM of the tier a code runs first (cache misses)
    cache_load_seconds: float = 0.0  # reading cache entries and linking
    optimize_seconds: float = 0.0  # compiling and linking OPTIMIZED upgrades (background)


TIMES = CompileTimes()


QUICK, OPTIMIZED = "quick", "optimized"


@dataclass
class CompiledCode:
    key: str
    function: object = field(repr=False)  # ctypes callable of evm_enter; keeps the code alive
    cache_hit: bool = False
    tier: str = OPTIMIZED


@functools.cache
def register_helpers() -> None:
    """Make the limb helpers of jitvm.evm.limbs callable from generated code."""
    from jitvm.evm.limbs.uint256_cfuncs import HELPER_OPERANDS, runtime_helpers

    from jitvm.evm.jit.helpers import HELPERS

    for name, helper in runtime_helpers().items():
        signature = "void (ptr, ptr, ptr)" if HELPER_OPERANDS[name] == 2 else "void (ptr, ptr, ptr, ptr)"
        symbols.register(name, helper.address, signature)
    for name, (address, signature) in HELPERS.items():
        symbols.register(name, address, signature)


@functools.cache
def _source_digest() -> str:
    return codegen.source_digest()


# The backend's optimisation level for each tier. Instruction selection and register allocation of
# i256 arithmetic dominate the compile time: level 1 takes about twice as long as level 0 and its
# code is 1.2-2 times faster; level 2 adds nothing measurable to level 1.
CODEGEN_OPT_LEVEL = int(os.environ.get("JITVM_EVM_CODEGEN_OPT", "1"))
OPT_LEVELS = {QUICK: 0, OPTIMIZED: CODEGEN_OPT_LEVEL}
_machines: dict[int, object] = {}
_emit_lock = threading.Lock()


def cache_key(code: bytes, fork: str, tier: str = OPTIMIZED) -> str:
    level = OPT_LEVELS[tier]
    return f"evm-jit/3|{_source_digest()}|opt={level}|{fork}|{hashlib.sha256(code).hexdigest()}"


def compile_ir(ir: str, opt_level: int = CODEGEN_OPT_LEVEL) -> bytes:
    """compile_module's parse and pass list, then the backend at `opt_level`."""
    import llvmlite.binding as llvm

    from jitvm.jit import compiler, target

    host = target.host_target()
    with _emit_lock:
        machine = _machines.get(opt_level)
        if machine is None:
            machine = _machines[opt_level] = llvm.Target.from_triple(host.triple).create_target_machine(
                cpu=host.cpu, features=host.features, opt=opt_level, reloc=target.RELOCATION_MODEL,
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
    found = _loaded.get((code, fork))  # every frame asks: no lock, no reordering (eviction is FIFO)
    if found is not None:
        return found
    if len(analysis.analyse(code, fork).blocks) > MAX_BLOCKS:
        return None
    cache = cache or CACHE or default_cache()
    compiled = None
    if OPT_LEVELS[QUICK] != OPT_LEVELS[OPTIMIZED]:
        compiled = _load(code, fork, cache, OPTIMIZED)  # an earlier process may have upgraded it
    compiled = compiled or build(code, fork, cache, tier=QUICK)
    _install(code, fork, compiled)
    return compiled


def _install(code: bytes, fork: str, compiled: CompiledCode) -> None:
    with _lock:
        _loaded[(code, fork)] = compiled
        while len(_loaded) > LOADED_CODES:
            _loaded.pop(next(iter(_loaded)))


def _load(code: bytes, fork: str, cache, tier: str) -> CompiledCode | None:
    """The tier's entry from the cache, linked, or None if the cache does not hold it."""
    started = time.perf_counter()
    key = cache_key(code, fork, tier)
    object_code = cache.load(key)
    if object_code is None:
        return None
    compiled = _link(key, object_code, tier, cache_hit=True)
    TIMES.cache_load_seconds += time.perf_counter() - started
    return compiled


def _link(key: str, object_code: bytes, tier: str, cache_hit: bool) -> CompiledCode:
    register_helpers()  # the object refers to them by name
    linked = load_objects([object_code], [codegen.ENTRY], name_hint="evm")
    return CompiledCode(key, linked.function(codegen.ENTRY, *_ENTRY_TYPE), cache_hit, tier)


def build(code: bytes, fork: str, cache, blocks_per_function: int | None = None,
          tier: str = OPTIMIZED) -> CompiledCode:
    """Compile (or load from `cache`) and link one tier. The IR is generated only when the cache
    misses. The times go to TIMES.compile_seconds and cache_load_seconds (QUICK, or OPTIMIZED
    built directly) or optimize_seconds (OPTIMIZED built by upgrade)."""
    register_helpers()
    key = cache_key(code, fork, tier)
    compile_seconds = 0.0

    def generate_and_compile() -> bytes:
        nonlocal compile_seconds
        started = time.perf_counter()
        ir = codegen.generate(analysis.analyse(code, fork), blocks_per_function)
        object_code = compile_ir(ir, OPT_LEVELS[tier])
        compile_seconds = time.perf_counter() - started
        return object_code

    started = time.perf_counter()
    object_code = cache.get_or_build(key, generate_and_compile)
    compiled = _link(key, object_code, tier, cache_hit=compile_seconds == 0.0)
    if threading.current_thread() is _worker.thread:
        TIMES.optimize_seconds += time.perf_counter() - started
    else:
        TIMES.compile_seconds += compile_seconds
        TIMES.cache_load_seconds += time.perf_counter() - started - compile_seconds
    return compiled


class _Worker:
    """One background thread that runs queued compiles, each (code, fork) at most once.

    At exit, queued compiles are dropped and the one in progress is waited for: a process must not
    finalize LLVM while a thread is inside it."""

    def __init__(self):
        self.jobs: queue.Queue = queue.Queue()
        self.pending: set[tuple[bytes, str]] = set()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.errors: list[BaseException] = []
        self.closing = False

    def submit(self, key: tuple[bytes, str], job) -> None:
        with self.lock:
            if key in self.pending or self.closing:
                return
            self.pending.add(key)
            if self.thread is None or not self.thread.is_alive():
                if self.thread is None:
                    atexit.register(self.close)
                self.thread = threading.Thread(target=self._run, name="jitvm-evm-upgrade", daemon=True)
                self.thread.start()
        self.jobs.put((key, job))

    def _run(self) -> None:
        while True:
            key, job = self.jobs.get()
            try:
                if not self.closing:
                    job()
            except BaseException as exc:  # kept for settle(); the code keeps running on its quick tier
                self.errors.append(exc)
            finally:
                with self.lock:
                    self.pending.discard(key)
                self.jobs.task_done()

    def close(self) -> None:
        self.closing = True
        if self.thread is not None and self.thread.is_alive():  # (not in a forked child: no thread)
            self.jobs.join()  # the job in progress finishes; the queued ones are skipped

    def wait(self) -> None:
        self.jobs.join()


_worker = _Worker()


def loaded(code: bytes, fork: str) -> CompiledCode | None:
    """The code's compiled form if this process has it linked (never compiles or loads)."""
    with _lock:
        return _loaded.get((code, fork))


def loaded_codes() -> list[tuple[bytes, str]]:
    """(code, fork) of every code linked in this process."""
    with _lock:
        return list(_loaded)


def compile_in_background(code: bytes, fork: str, cache=None) -> None:
    """compiled_code(code, fork) on the background thread; `loaded` shows when it is done."""
    _worker.submit((code, fork), lambda: compiled_code(code, fork, cache))


def upgrade(code: bytes, fork: str, cache=None) -> None:
    """Queue the OPTIMIZED tier of a code that runs on its QUICK tier (nothing if it does not)."""
    with _lock:
        current = _loaded.get((code, fork))
    if current is None or current.tier == OPTIMIZED or OPT_LEVELS[QUICK] == OPT_LEVELS[OPTIMIZED]:
        return
    cache = cache or CACHE or default_cache()

    def job() -> None:
        _install(code, fork, build(code, fork, cache, tier=OPTIMIZED))

    _worker.submit((code, fork), job)


def settle() -> None:
    """Wait until every queued upgrade is compiled and installed; re-raise the first failure."""
    _worker.wait()
    if _worker.errors:
        error = _worker.errors[0]
        _worker.errors.clear()
        raise error
