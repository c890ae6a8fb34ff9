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
"""

import atexit
import ctypes
import itertools
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
    """One LLJIT and the count of its libraries still alive."""

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
        self._tracker = tracker
        self._generation = generation
        self.addresses: dict[str, int] = {export: tracker[export] for export in exports}

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
        tracker, self._tracker = self._tracker, None
        if tracker is None:
            return
        tracker.close()
        self.addresses = {}
        generation, self._generation = self._generation, None
        if generation is not None:
            self.engine._release(generation)

    def __del__(self):
        try:
            self.close()
        except Exception:  # (at interpreter exit, modules, contextlib too, may be gone)
            pass


class Engine:
    """A thread-safe LLJIT instance that links object code and hands back function addresses."""

    def __init__(self):
        self._jit = llvm.create_lljit_compiler(host_target().machine)  # compiler-rt's fallback; kept
        self._lock = threading.RLock()  # (re-entered when a LoadedCode is collected while linking)
        self._library_numbers = itertools.count()
        self._current: _Generation | None = None
        self._retired: list[_Generation] = []
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

    def _generation(self) -> _Generation:
        """The LLJIT that takes the next library (called with the lock held)."""
        current = self._current
        if current is None or current.linked >= LIBRARIES_PER_JIT:
            if current is not None:
                if current.alive:
                    self._retired.append(current)
                else:
                    current.jit.close()
            current = self._current = _Generation()
        return current

    def _release(self, generation: _Generation) -> None:
        """One library of `generation` was freed: dispose a retired LLJIT that holds none any more."""
        with self._lock:
            generation.alive -= 1
            if generation.alive == 0 and generation is not self._current and not self._exiting:
                self._retired.remove(generation)
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
        with self._lock:
            library_name = f"{name_hint}#{next(self._library_numbers)}"  # a failed name stays taken
            generation = None if _home else self._generation()
            try:
                tracker = builder.link(self._jit if _home else generation.jit, library_name)
            except RuntimeError as error:
                raise JitLinkError(
                    f"linking {library_name} failed: {error} (an undefined symbol? register "
                    f"runtime helpers with jitvm.jit.symbols.register)"
                ) from None
            finally:
                if generation is not None:
                    generation.linked += 1
            if generation is not None:
                generation.alive += 1
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
