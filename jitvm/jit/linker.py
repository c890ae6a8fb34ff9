"""The process's LLVM JITs, into which object code is linked as small named libraries.

Built on llvmlite's LLJIT (ORC): every `load_objects` call links its objects into a new JIT
library, so the same function name may appear in many libraries (one per compiled program) and a
library's machine code is freed when its `LoadedCode` is dropped or closed. MCJIT would put every
symbol in one namespace and never free code.

Freeing a library frees its code but not its ORC JITDylib: llvmlite gives no way to remove one from
its session, so each library left about 11 KB behind (a fuzz worker grew 13 MB per 1,000 programs),
and lookups slowed as the session filled. So libraries go into generations: a new LLJIT takes the
next LIBRARIES_PER_JIT libraries, and an older one is disposed, with everything it kept, once none
of its libraries is alive (measured: 0.6 KB left per freed library, linking 1.8 ms instead of 2.4).

Locks. Every call into LLVM holds llvmlite's lock, and llvmlite runs callbacks while holding it
(Numba's event hook) that allocate, so the garbage collector, and with it any finalizer, runs on a
thread that holds llvmlite's lock; a `LoadedCode` collected there must not wait for a lock that a
thread waiting for llvmlite's lock holds (a statetest worker deadlocked that way: the background
compile thread collected a library and waited for this engine's lock, held by the main thread while
linking). So the engine's lock guards only its bookkeeping (library numbers, generations, their
counts) and is never held across a call into LLVM, and freeing a library takes no lock but
llvmlite's: it disposes of the library's tracker (freeing its code at once, as before) and queues its
generation in `_freed`, which the next link or close() counts and whose spent LLJITs it disposes of,
after releasing the engine's lock (docs/bpf-compile.md, "The linker's locks").
"""

import atexit
import collections
import ctypes
import itertools
import os
import threading
from collections.abc import Iterable, Mapping

import llvmlite.binding as llvm

from . import compiler_rt, symbols
from .compiler import compile_module
from .target import host_target


class JitLinkError(RuntimeError):
    """Object code could not be linked: usually a symbol nothing defines (LLVM names it on stderr)."""


LIBRARIES_PER_JIT = 1000  # libraries linked into one LLJIT before the next one is started


class _Generation:
    """One LLJIT and the count of its libraries alive or being linked."""

    def __init__(self):
        self.jit = llvm.create_lljit_compiler(host_target().machine)
        self.linked = 0
        self.alive = 0


class LoadedCode:
    """The exported functions of one linked library, by name.

    The machine code lives as long as this object (or until `close()`): keep it referenced while
    any of its addresses may still be called, or the call jumps into freed memory.
    """

    def __init__(self, engine: "Engine", name: str, tracker, exports: Iterable[str], generation=None):
        self.engine = engine  # the JIT must outlive the libraries linked into it
        self.name = name
        self._generation = generation
        self.addresses: dict[str, int] = {export: tracker[export] for export in exports}
        self._tracker = tracker  # (set last: a half-made object has nothing to free)

    def __getitem__(self, function_name: str) -> int:
        return self.addresses[function_name]

    def function(self, function_name: str, restype, *argtypes):
        """A ctypes callable for an exported function (it keeps this library alive)."""
        prototype = ctypes.CFUNCTYPE(restype, *argtypes)
        callable_ = prototype(self.addresses[function_name])
        callable_._jitvm_loaded_code = self
        return callable_

    def close(self) -> None:
        """Free the library's machine code now; its addresses must not be called afterwards."""
        if self._free():
            self.engine._settle(wait=False)

    def _free(self) -> bool:
        """Dispose of the tracker (llvmlite's lock only) and queue the generation's count; False if
        already freed. (dict.pop takes the tracker in one step: two threads closing free it once.)"""
        tracker = self.__dict__.pop("_tracker", None)
        if tracker is None:
            return False
        tracker.close()
        self.addresses = {}
        if self._generation is not None:
            self.engine._freed.append(self._generation)
        return True

    def __del__(self):
        # The collector runs this anywhere, inside llvmlite's lock callbacks too: it waits for no lock
        # but llvmlite's (see the module doc), and leaves the queue to the next link or close().
        try:
            self._free()
        except Exception:  # noqa: BLE001, S110 - (at interpreter exit, modules may be gone)
            pass


class Engine:
    """A thread-safe LLJIT instance that links object code and hands back function addresses."""

    def __init__(self):
        self._jit = llvm.create_lljit_compiler(host_target().machine)  # compiler-rt's fallback; kept
        self._lock = threading.Lock()  # the bookkeeping below; never held across a call into LLVM
        self._library_numbers = itertools.count()
        self._current: _Generation | None = None
        self._retired: list[_Generation] = []
        self._freed: collections.deque[_Generation] = collections.deque()  # one entry per library freed, not yet counted
        self._exiting = False
        # At interpreter exit, libraries still referenced would be freed after (or while) the JIT is
        # torn down; the process is ending anyway, so the JITs are leaked instead of disposed.
        atexit.register(self._detach_all)
        self._runtime_library = None  # keeps the fallback compiler-rt code alive, if it is used
        if not compiler_rt.DIVISION_SIGNATURES.keys() <= symbols.names():
            for name, address in compiler_rt.resolve_division_helpers(self._load_fallback).items():
                symbols.register(name, address, compiler_rt.DIVISION_SIGNATURES[name])

    def _detach_all(self) -> None:
        with self._lock:
            self._exiting = True
            for generation in [*self._retired, *([self._current] if self._current else [])]:
                generation.jit.detach()
            self._jit.detach()

    def _count_freed(self, spent: list[_Generation]) -> None:
        """Count the queued frees against their generations; a retired one left with no library goes
        to `spent`, to be disposed of after the lock is released (called with the lock held)."""
        while self._freed:
            generation = self._freed.popleft()
            generation.alive -= 1
            if generation.alive == 0 and generation is not self._current and not self._exiting:
                self._retired.remove(generation)
                spent.append(generation)

    def _generation(self, spent: list[_Generation]) -> _Generation:
        """The LLJIT that takes the next library (called with the lock held)."""
        current = self._current
        if current is None or current.linked >= LIBRARIES_PER_JIT:
            if current is not None:
                (self._retired if current.alive else spent).append(current)
            current = self._current = _Generation()
        return current

    def _settle(self, wait: bool = True) -> None:
        """Count the queued frees now and dispose of the LLJITs they leave with no library (without
        `wait`, only if the lock is free: else whoever holds it, or the next link, does)."""
        if not self._lock.acquire(blocking=wait):
            return
        spent: list[_Generation] = []
        try:
            self._count_freed(spent)
        finally:
            self._lock.release()
        for generation in spent:
            generation.jit.close()

    def _load_fallback(self, ir_text: str, names: list[str]) -> dict[str, int]:
        self._runtime_library = self.load_objects(
            [compile_module(ir_text)], names, imports={}, name_hint="compiler_rt", _home=True
        )
        return dict(self._runtime_library.addresses)

    def load_objects(
        self,
        objects: Iterable[bytes],
        exports: Iterable[str],
        *,
        imports: Mapping[str, int] | None = None,
        name_hint: str = "code",
        _home: bool = False,
    ) -> LoadedCode:
        """Link object files (from `compile_module` or the cache) into one new library.

        `exports` names the functions whose addresses are wanted. Undefined symbols resolve to
        `imports` (default: the registered runtime helpers the objects name, built if lazy), then
        to the process (libc's memcpy and friends). Raises JitLinkError if something stays undefined.
        """
        exports = list(exports)
        objects = list(objects)
        imports = symbols.imports_for(objects) if imports is None else dict(imports)
        builder = llvm.JITLibraryBuilder()
        for object_code in objects:
            builder.add_object_img(object_code)
        for name, address in imports.items():
            builder.import_symbol(name, address)
        builder.add_current_process()
        for name in exports:
            builder.export_symbol(name)
        spent: list[_Generation] = []
        with self._lock:
            self._count_freed(spent)
            library_name = f"{name_hint}#{next(self._library_numbers)}"  # a failed name stays taken
            generation = None if _home else self._generation(spent)
            if generation is not None:
                generation.linked += 1
                generation.alive += 1  # from now: a link in progress keeps its LLJIT from being disposed
        for old in spent:
            old.jit.close()
        try:
            tracker = builder.link(self._jit if _home else generation.jit, library_name)
        except RuntimeError as error:
            if generation is not None:
                self._freed.append(generation)
            raise JitLinkError(
                f"linking {library_name} failed: {error} (an undefined symbol? register "
                f"runtime helpers with jitvm.jit.symbols.register)"
            ) from None
        return LoadedCode(self, library_name, tracker, exports, generation)


_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    """The process-wide engine, created on first use."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine()
        return _engine


def load_objects(objects: Iterable[bytes], exports: Iterable[str], **options) -> LoadedCode:
    """`Engine.load_objects` on the process-wide engine."""
    return engine().load_objects(objects, exports, **options)


def _after_fork_in_child() -> None:
    """A child forked while another thread counted libraries would find the engine's lock held for
    ever: it gets new locks. (Nothing waits on the lock at the fork: jitvm.jit.layer's at-fork hook
    waits for the background compiles, and the lock is only ever held for a few counts.)"""
    global _engine_lock
    _engine_lock = threading.Lock()
    if _engine is not None:
        _engine._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
