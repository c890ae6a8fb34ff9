"""The baseline kernel (run_kernel) called as object code, without importing Numba.

Numba compiles the kernels once (jitvm.evm.baseline.kernel); jitvm.jit.numba_aot keeps them as an
object file keyed by everything they depend on and links it into jitvm's LLJIT in later processes,
which start in a few milliseconds instead of the half second importing Numba and loading its cached
kernel takes. `kernel_functions()` gives the callables, with the signatures of the Numba functions
(the same arrays): run_kernel(code, data, words, memory, control).

Each is a CPython builtin function compiled into the same object (numba_aot.python_entry_ir): it
checks the arrays and reads their addresses and sizes from the array objects in machine code, then
calls the kernel, as Numba's compiled entry point does, so a call costs what it cost through Numba.
The GIL stays held while the kernel runs, as before (the EVM kernel is not `nogil`).

If the object cannot be built or linked (JITVM_KERNEL_OBJECTS=0, the object cache disabled, a
Numba that compiles differently), the callables are Numba's compiled entry points, as before.
"""

from __future__ import annotations

import functools
import os
from typing import NamedTuple


from jitvm.jit.numba_aot import ArrayArgument, EntrySpec, python_function

OBJECTS_ENV = "JITVM_KERNEL_OBJECTS"  # "0": always use Numba's dispatcher (for comparisons)

_CODE = ArrayArgument("uint8", 2)
_BYTES = ArrayArgument("uint8", 1)
_WORDS = ArrayArgument("uint64", 2)
_CONTROL = ArrayArgument("int64", 2)


def _run_kernel():
    from jitvm.evm.baseline.kernel import run_kernel

    return run_kernel


RUN_KERNEL = EntrySpec("jitvm_evm_run_kernel", _run_kernel, (_CODE, _BYTES, _WORDS, _BYTES, _CONTROL))
ROOTS = ("jitvm.evm.baseline.kernel", __name__)
_NAME, _ENTRIES = "evm-baseline", (RUN_KERNEL,)


class KernelFunctions(NamedTuple):
    run_kernel: object


@functools.cache
def kernel_functions() -> KernelFunctions:
    """The kernel callables (shared by every thread: they keep no state between calls)."""
    loaded = _loaded_entries()
    if loaded is not None:
        try:
            return KernelFunctions(python_function(loaded, RUN_KERNEL))
        except RuntimeError as error:
            _warn(error)
    return _numba_functions()


@functools.cache
def _loaded_entries():
    """The kernels' object code linked into jitvm's LLJIT (LoadedCode), or None: Numba's entry points
    are used instead."""
    from jitvm.jit.cache import default_cache
    from jitvm.jit.numba_aot import load_entries

    if os.environ.get(OBJECTS_ENV, "").strip() == "0" or not default_cache().enabled:
        return None
    try:
        return load_entries(_NAME, ROOTS, _ENTRIES)
    except Exception as error:  # noqa: BLE001 - any failure leaves Numba's own entry point
        _warn(error)
        return None


def _warn(error: Exception) -> None:
    import warnings

    warnings.warn(f"jitvm: the baseline kernel runs through Numba's entry point ({error})", RuntimeWarning,
                  stacklevel=3)


def kernels_built() -> bool:
    """Whether the kernels' object is in the object cache (so that loading them takes milliseconds,
    not a Numba compile). Asks the file system only."""
    from jitvm.jit.cache import default_cache
    from jitvm.jit.numba_aot import cache_key

    cache = default_cache()
    return cache.enabled and cache.path_for(cache_key(_NAME, ROOTS, _ENTRIES)).is_file()


def _run_frames():
    from jitvm.evm.baseline.frame_driver import run_frames

    return run_frames


RUN_FRAMES = EntrySpec("jitvm_evm_run_frames", _run_frames, (_CODE, _BYTES, _WORDS, _BYTES, _CONTROL))
_FRAMES_NAME, _FRAMES_ROOTS = "evm-baseline-frames", ("jitvm.evm.baseline.frame_driver", __name__)


@functools.cache
def frames_function():
    """run_frames (jitvm.evm.baseline.frame_driver, native child frames) as object code like
    run_kernel, or Numba's entry point; built only when native child frames are on."""
    from jitvm.jit.cache import default_cache
    from jitvm.jit.numba_aot import load_entries

    if os.environ.get(OBJECTS_ENV, "").strip() != "0" and default_cache().enabled:
        try:
            return python_function(load_entries(_FRAMES_NAME, _FRAMES_ROOTS, (RUN_FRAMES,)), RUN_FRAMES)
        except Exception as error:  # noqa: BLE001 - any failure leaves Numba's own entry point
            _warn(error)
    from jitvm.evm.baseline.layout import FrameBuffers, code_rows, data_bytes

    buffers = FrameBuffers(0)
    return entry_point(_run_frames(), code_rows(b""), data_bytes(b"", b""), buffers.words, buffers.memory,
                       buffers.control)


@functools.cache
def _numba_functions() -> KernelFunctions:
    from jitvm.evm.baseline.layout import FrameBuffers, code_rows, data_bytes

    buffers = FrameBuffers(0)
    return KernelFunctions(
        entry_point(_run_kernel(), code_rows(b""), data_bytes(b"", b""), buffers.words, buffers.memory,
                    buffers.control))


def entry_point(dispatcher, *arguments):
    """The compiled entry point of a Numba function for arguments typed like `arguments`: the
    dispatcher itself would work out the arguments' types on every call."""
    from numba import typeof

    signature = tuple(typeof(argument) for argument in arguments)
    dispatcher.compile(signature)
    return dispatcher.overloads[signature].entry_point
