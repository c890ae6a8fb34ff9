"""The one compile layer of both JITs: key -> in-process table -> on-disk object cache -> compile -> link.

An instruction set supplies a `Generator`: which modules decide its code (`roots`, whose import
closure is hashed into every key by jitvm.jit.dependencies), how to name a subject (a contract and
fork, a BPF program) in this process and on disk, how to generate its IR, and how to wrap the linked
code. `CompileLayer.get(subject)` does the rest:

1. the in-process table, bounded by memory (the object code's bytes), least recently used evicted;
2. the on-disk ObjectCache: the OPTIMIZED tier if an earlier process left it, else the QUICK one;
3. otherwise the generator's IR compiled at the QUICK tier's backend level, on the caller's thread.

Nothing about the subject is analysed before step 3: a subject found in 1 or 2 costs a hash and a
lookup. A generator may decline a subject (its `generate` returns None, e.g. a code too large to
compile in time); that answer is kept in the table too, so it is not worked out again.

Tiers: `upgrade(subject)` compiles the OPTIMIZED tier on the one background thread of the process
(shared by every layer; llvmlite releases the GIL, so Python and compiled code keep running) and
installs it; the subject's next `get` returns it. `settle()` waits for the queue. The LLVM locking
policy is jitvm.jit.compiler's: a TargetMachine per thread and level, a context per module.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

QUICK, OPTIMIZED = "quick", "optimized"
# Whether a tier runs jitvm.jit.compiler's IR pass list before the backend. QUICK does not: at
# backend level 0 the passes took half the compile time and bought nothing (snailtracer, CPU
# seconds: 3.09 s with them, 1.36 s without; its QUICK code ran 32.5 ms and 27.0 ms per call).
RUNS_IR_PASSES = {QUICK: False, OPTIMIZED: True}

# What the in-process table may hold, in bytes of object code (the linked code is about as large);
# beyond it the least recently used subjects are unlinked. JITVM_JIT_MEMORY_MB overrides it.
DEFAULT_MEMORY_BUDGET = int(os.environ.get("JITVM_JIT_MEMORY_MB", 512)) << 20
ENTRY_OVERHEAD = 4096  # bytes counted per entry besides its object code (library, wrappers, a declined subject)


class Generator(Protocol):
    """What an instruction set supplies to a CompileLayer."""

    name: str  # "evm", "bpf": part of every key and of the linked library names
    roots: tuple[str, ...]  # the modules that generate the code (their import closure is the digest)
    exports: tuple[str, ...]  # the functions of a linked object that `wrap` needs
    levels: dict[str, int]  # backend optimisation level per tier (QUICK, OPTIMIZED)
    # Optional: `large_module_bytes`, the IR size from which the OPTIMIZED tier runs
    # jitvm.jit.compiler.LARGE_MODULE_PIPELINE (absent: always the full pass list).

    def identity(self, subject) -> Hashable:
        """The subject's key in this process (cheap: called on every lookup)."""

    def describe(self, subject) -> str:
        """What besides the generator decides the code, for the disk key (the code's hash, fork, ...)."""

    def generate(self, subject) -> str | None:
        """The subject's LLVM IR, or None if it should not be compiled (the caller interprets it).
        A generator whose `tiered_ir` attribute is true takes the tier too, `generate(subject,
        tier)`, and may emit different IR per tier (see `generated`)."""

    def register_runtime(self) -> None:
        """Register (jitvm.jit.symbols) the runtime helpers generated code calls; runs before
        generating (declarations come from the registry) and before linking."""

    def wrap(self, subject, compiled: "Compiled") -> Any:
        """The object callers get back (it must keep `compiled.loaded` referenced). A generator may
        also define `carry_over(quick_value, optimized_value)`, called when an upgrade is ready, to
        move callers that keep the QUICK object onto the OPTIMIZED code."""


@dataclass
class Compiled:
    """A subject's linked code, as the layer keeps it."""

    key: str
    tier: str
    cache_hit: bool  # loaded from disk rather than compiled in this process
    size: int  # object code bytes (what the memory bound counts)
    loaded: Any = field(repr=False)  # jitvm.jit.linker.LoadedCode
    subject: Any = field(default=None, repr=False)
    compile_seconds: float = 0.0  # generating and compiling (0 when loaded from disk)
    load_seconds: float = 0.0  # reading the cache entry (if any) and linking
    value: Any = field(default=None, repr=False)  # what the generator's wrap() made of it


_DECLINED = Compiled(key="", tier="", cache_hit=False, size=0, loaded=None)


@dataclass
class LayerStats:
    """Cumulative counts and seconds of one layer (compile_stats() reports them)."""

    memory_hits: int = 0  # found in the in-process table
    disk_hits: int = 0  # loaded from the object cache (either tier)
    compiles: int = 0  # QUICK (or direct) compiles on the caller's thread
    upgrades: int = 0  # OPTIMIZED compiles in the background
    declined: int = 0  # subjects the generator did not compile
    evictions: int = 0  # entries unlinked to stay within the memory budget
    compile_seconds: float = 0.0  # generating and compiling on the caller's thread (misses)
    cache_load_seconds: float = 0.0  # reading cache entries and linking
    optimize_seconds: float = 0.0  # background upgrades: compile (or load) and link
    resident_bytes: int = 0  # counted size of what the table holds now
    entries: int = 0

    def as_dict(self) -> dict[str, float]:
        return dict(vars(self))


class CompileLayer:
    """Compiled code by subject for one Generator (see the module doc)."""

    def __init__(self, generator: Generator, *, memory_budget: int = DEFAULT_MEMORY_BUDGET):
        self.generator = generator
        self.memory_budget = memory_budget
        self.cache = None  # an ObjectCache; None: jitvm.jit.default_cache() (tests put a private one here)
        self.stats = LayerStats()
        self._table: OrderedDict[Hashable, Compiled] = OrderedDict()
        self._lock = threading.Lock()
        self._digest: str | None = None

    # -- keys ----------------------------------------------------------------------------------------

    def generator_digest(self) -> str:
        """The digest of the generator's import closure, tables and toolchain (computed once)."""
        if self._digest is None:
            from jitvm.jit.dependencies import dependency_digest

            self._digest = dependency_digest(self.generator.roots)
        return self._digest

    def key(self, subject, tier: str) -> str:
        """The subject's disk key at `tier`."""
        return (f"{self.generator.name}-jit|{self.generator_digest()}|opt={self.generator.levels[tier]}|"
                f"ir-passes={RUNS_IR_PASSES[tier]}|{self.generator.describe(subject)}")

    def _cache(self, cache):
        if cache is not None:
            return cache
        if self.cache is not None:
            return self.cache
        from jitvm.jit.cache import default_cache

        return default_cache()

    # -- lookups -------------------------------------------------------------------------------------

    def get(self, subject, cache=None):
        """The subject's compiled code (the generator's wrap()), or None if the generator declined it."""
        identity = self.generator.identity(subject)
        found = self._held(identity)
        if found is None:
            found = self._fetch(subject, self._cache(cache))
            self._install(identity, found)
        return found.value

    def _held(self, identity: Hashable) -> Compiled | None:
        """The table's entry (made the most recently used), or None."""
        with self._lock:
            found = self._table.get(identity)
            if found is not None:
                self._table.move_to_end(identity)
                self.stats.memory_hits += 1
        return found

    def get_cached(self, subject, cache=None):
        """As get(), but only what this process holds or the disk cache has (either tier): None
        rather than compiling. A miss costs a hash and a file lookup."""
        identity = self.generator.identity(subject)
        found = self._held(identity)
        if found is not None:
            return found.value
        cache = self._cache(cache)
        tiers = (OPTIMIZED, QUICK) if self.generator.levels[QUICK] != self.generator.levels[OPTIMIZED] else (QUICK,)
        for tier in tiers:
            found = self._load(subject, cache, tier)
            if found is not None:
                self._install(identity, found)
                return found.value
        return None

    def entry(self, subject) -> Compiled | None:
        """The subject's entry if this process holds it (never compiles, loads or reorders)."""
        with self._lock:
            found = self._table.get(self.generator.identity(subject))
        return None if found is None or found is _DECLINED else found

    def declined(self, subject) -> bool:
        """Whether the generator has declined the subject in this process (a caller that queued it
        in the background then stops asking for it: `entry` stays None)."""
        with self._lock:
            return self._table.get(self.generator.identity(subject)) is _DECLINED

    def identities(self) -> list[Hashable]:
        with self._lock:
            return [identity for identity, found in self._table.items() if found is not _DECLINED]

    def install(self, subject, compiled: Compiled) -> None:
        """Put code compiled elsewhere (e.g. many subjects linked as one library) in the table, as if
        `get` had built it; the memory bound applies as usual."""
        self._install(self.generator.identity(subject), compiled)

    def forget(self) -> None:
        """Drop every entry (their code is freed once no caller holds it)."""
        with self._lock:
            self._table.clear()
            self.stats.resident_bytes = self.stats.entries = 0

    def _fetch(self, subject, cache) -> Compiled:
        levels = self.generator.levels
        if levels[QUICK] != levels[OPTIMIZED]:
            found = self._load(subject, cache, OPTIMIZED)  # an earlier process may have upgraded it
            if found is not None:
                return found
        return self.build(subject, cache, QUICK)

    def _load(self, subject, cache, tier: str) -> Compiled | None:
        started = time.perf_counter()
        key = self.key(subject, tier)
        object_code = cache.load(key)
        if object_code is None:
            return None
        compiled = self._link(subject, key, object_code, tier, cache_hit=True)
        compiled.load_seconds = time.perf_counter() - started
        compiled.value = self.generator.wrap(subject, compiled)
        self._count(disk_hits=1, cache_load_seconds=compiled.load_seconds)
        return compiled

    def build(self, subject, cache, tier: str) -> Compiled:
        """Load `tier` from `cache`, else generate, compile and store it; then link. Returns the
        declined marker if the generator declines the subject. Time spent on the background thread
        counts as optimize_seconds, elsewhere as compile_seconds and cache_load_seconds."""
        from jitvm.jit.compiler import compile_objects
        from jitvm.jit.split import pack

        key = self.key(subject, tier)
        compile_seconds = 0.0
        declined = False

        def generate_and_compile() -> bytes | None:
            nonlocal compile_seconds, declined
            started = time.perf_counter()
            self.generator.register_runtime()
            ir = generated(self.generator, subject, tier)
            if ir is None:
                declined = True
                return None
            object_code = pack(compile_objects(ir, opt_level=self.generator.levels[tier],
                                               optimize_ir=RUNS_IR_PASSES[tier],
                                               large_module_bytes=getattr(self.generator, "large_module_bytes", None)))
            compile_seconds = time.perf_counter() - started
            return object_code

        started = time.perf_counter()
        object_code = cache.get_or_build(key, generate_and_compile)
        if declined:
            self._count(declined=1)
            return _DECLINED
        compiled = self._link(subject, key, object_code, tier, cache_hit=compile_seconds == 0.0)
        elapsed = time.perf_counter() - started
        compiled.compile_seconds, compiled.load_seconds = compile_seconds, elapsed - compile_seconds
        compiled.value = self.generator.wrap(subject, compiled)
        if threading.current_thread() is WORKER.thread:
            self._count(upgrades=1, optimize_seconds=elapsed)
        elif compile_seconds:
            self._count(compiles=1, compile_seconds=compile_seconds, cache_load_seconds=elapsed - compile_seconds)
        else:
            self._count(disk_hits=1, cache_load_seconds=elapsed)
        return compiled

    def _link(self, subject, key: str, object_code: bytes, tier: str, cache_hit: bool) -> Compiled:
        from jitvm.jit.linker import load_objects
        from jitvm.jit.split import unpack

        self.generator.register_runtime()
        loaded = load_objects(unpack(object_code), self.generator.exports, name_hint=self.generator.name)
        return Compiled(key, tier, cache_hit, len(object_code), loaded, subject)

    def _install(self, identity: Hashable, compiled: Compiled) -> None:
        size = compiled.size + ENTRY_OVERHEAD
        with self._lock:
            previous = self._table.pop(identity, None)
            if previous is not None:
                self.stats.resident_bytes -= previous.size + ENTRY_OVERHEAD
            self._table[identity] = compiled
            self.stats.resident_bytes += size
            while self.stats.resident_bytes > self.memory_budget and len(self._table) > 1:
                _, evicted = self._table.popitem(last=False)  # least recently used first
                self.stats.resident_bytes -= evicted.size + ENTRY_OVERHEAD
                self.stats.evictions += 1
            self.stats.entries = len(self._table)

    def _count(self, **deltas) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self.stats, name, getattr(self.stats, name) + delta)

    # -- tiers ---------------------------------------------------------------------------------------

    def compile_in_background(self, subject, cache=None) -> None:
        """get(subject) on the background thread; `entry(subject)` shows when it is done."""
        WORKER.submit((self.generator.name, self.generator.identity(subject)), lambda: self.get(subject, cache))

    def upgrade(self, subject, cache=None) -> None:
        """Queue the OPTIMIZED tier of a subject that runs on its QUICK tier (nothing otherwise)."""
        current = self.entry(subject)
        levels = self.generator.levels
        if current is None or current.tier == OPTIMIZED or levels[QUICK] == levels[OPTIMIZED]:
            return
        identity = self.generator.identity(subject)
        cache = self._cache(cache)

        def job() -> None:
            optimized = self.build(subject, cache, OPTIMIZED)
            carry_over = getattr(self.generator, "carry_over", None)
            if carry_over is not None:  # callers that hold the QUICK object switch too
                carry_over(current.value, optimized.value)
            self._install(identity, optimized)

        WORKER.submit((self.generator.name, identity), job)

    def upgrade_all(self, cache=None) -> None:
        """Queue the OPTIMIZED tier of every subject this process runs on its QUICK tier (stored in
        `cache`, as `upgrade`)."""
        with self._lock:
            quick = [found.subject for found in self._table.values() if found.tier == QUICK]
        for subject in quick:
            self.upgrade(subject, cache)


def generated(generator: Generator, subject, tier: str) -> str | None:
    """The generator's IR for `subject` at `tier` (the same for every tier unless it is `tiered_ir`)."""
    if getattr(generator, "tiered_ir", False):
        return generator.generate(subject, tier)
    return generator.generate(subject)


class _Worker:
    """One background thread that runs queued compiles, each key at most once at a time.

    At exit, queued compiles are dropped and the one in progress is waited for: a process must not
    finalize LLVM while a thread is inside it."""

    def __init__(self):
        self.jobs: queue.Queue = queue.Queue()
        self.pending: set = set()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.errors: list[BaseException] = []
        self.closing = False

    def submit(self, key, job) -> None:
        with self.lock:
            if key in self.pending or self.closing:
                return
            self.pending.add(key)
            if self.thread is None or not self.thread.is_alive():
                if self.thread is None:
                    atexit.register(self.close)
                self.thread = threading.Thread(target=self._run, name="jitvm-jit-upgrade", daemon=True)
                self.thread.start()
        self.jobs.put((key, job))

    def _run(self) -> None:
        while True:
            key, job = self.jobs.get()
            try:
                if not self.closing:
                    job()
            except BaseException as exc:  # kept for settle(); the subject keeps running on its quick tier
                self.errors.append(exc)
            finally:
                with self.lock:
                    self.pending.discard(key)
                _job_finished()
                self.jobs.task_done()

    def close(self) -> None:
        self.closing = True
        if self.thread is not None and self.thread.is_alive():  # (not in a forked child: no thread)
            self.jobs.join()  # the job in progress finishes; the queued ones are skipped

    def settle(self) -> None:
        """Wait until every queued job is done; re-raise the first failure."""
        self.jobs.join()
        if self.errors:
            error = self.errors[0]
            self.errors.clear()
            raise error


WORKER = _Worker()
# Background jobs finished in this process (forks included): a caller waiting for one compares it
# with the count it last saw, and asks the layer only when it has moved (jitvm.evm.jit.engine).
finished_jobs = 0


def _job_finished() -> None:
    global finished_jobs
    finished_jobs += 1  # (only the worker thread writes it)


def _llvm_lock():
    """llvmlite's lock around every call into LLVM (not public: None if it moved)."""
    import llvmlite.binding.ffi as ffi

    return getattr(getattr(ffi.lib, "_lock", None), "_lock", None)


def _before_fork() -> None:
    """A forked child gets no threads, only their memory: a background compile caught inside LLVM
    leaves llvmlite's lock held there forever, and the child's first LLVM call (even a collected
    TargetMachine's disposal) waits on it. So a fork waits for the queued compiles to end, and holds
    llvmlite's lock across itself (a compile on another thread pauses between two LLVM calls)."""
    if WORKER.thread is not None and WORKER.thread.is_alive():
        WORKER.jobs.join()
    lock = _llvm_lock()
    if lock is not None:
        lock.acquire()
    from jitvm.jit import unlocked

    unlocked.wait_idle()  # the compiles' calls made without llvmlite's lock (none starts now)


def _after_fork_in_parent() -> None:
    lock = _llvm_lock()
    if lock is not None:
        lock.release()


def _after_fork_in_child() -> None:
    global WORKER
    _after_fork_in_parent()  # the forking thread holds it in the child too
    WORKER = _Worker()  # the parent's worker thread does not exist here


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


def settle() -> None:
    """Wait for every layer's queued compiles (re-raises the first failure)."""
    WORKER.settle()
