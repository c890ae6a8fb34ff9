"""The baseline kernels (run_kernel, prefill_cache) called as object code, without importing Numba.

Numba compiles the kernels once (jitvm.evm.baseline.kernel); jitvm.jit.numba_aot keeps them as an
object file keyed by everything they depend on and links it into jitvm's LLJIT in later processes,
which start in a few milliseconds instead of the half second importing Numba and loading its cached
kernel takes. `kernel_functions()` gives this thread's callables, with the signatures of the Numba
functions (the same arrays): run_kernel(code, data, words, memory, control) and
prefill_cache(words, control, staged).

A call costs one ctypes call with one prebuilt pointer: the arrays' addresses and sizes wait in an
argument block and are read again from numpy only when a different array object comes in (a new
frame's code and data, a grown memory buffer). The GIL stays held while the kernel runs, as with
Numba's entry point (the EVM kernel is not `nogil`), so no other thread sees the block change
during a call; each thread has its own block.

If the object cannot be built or linked (JITVM_KERNEL_OBJECTS=0, the object cache disabled, a
Numba that compiles differently), the callables are Numba's compiled entry points, as before.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
from typing import NamedTuple

import numpy as np

from jitvm.evm.baseline.layout import CONTROL_ROWS, LIMBS, WORD_ROWS
from jitvm.jit.numba_aot import ArrayArgument, EntrySpec, block_size

OBJECTS_ENV = "JITVM_KERNEL_OBJECTS"  # "0": always use Numba's dispatcher (for comparisons)

_CODE = ArrayArgument("uint8", 2)
_BYTES = ArrayArgument("uint8", 1)
_WORDS = ArrayArgument("uint64", 2)
_CONTROL = ArrayArgument("int64", 2)
_STAGED = ArrayArgument("uint64", 2)


def _run_kernel():
    from jitvm.evm.baseline.kernel import run_kernel

    return run_kernel


def _prefill_cache():
    from jitvm.evm.baseline.kernel import prefill_cache

    return prefill_cache


RUN_KERNEL = EntrySpec("jitvm_evm_run_kernel", _run_kernel, (_CODE, _BYTES, _WORDS, _BYTES, _CONTROL))
PREFILL_CACHE = EntrySpec("jitvm_evm_prefill_cache", _prefill_cache, (_WORDS, _CONTROL, _STAGED))
ROOTS = ("jitvm.evm.baseline.kernel", __name__)
_NAME, _ENTRIES = "evm-baseline", (RUN_KERNEL, PREFILL_CACHE)


class KernelFunctions(NamedTuple):
    run_kernel: object
    prefill_cache: object


class KernelError(RuntimeError):
    """A compiled kernel raised (a bug: the kernels are written not to)."""


_per_thread = threading.local()


def kernel_functions() -> KernelFunctions:
    """This thread's kernel callables."""
    functions = getattr(_per_thread, "functions", None)
    if functions is None:
        functions = _per_thread.functions = _make_functions()
    return functions


def _make_functions() -> KernelFunctions:
    addresses = _entry_addresses()
    if addresses is None:
        return _numba_functions()
    return KernelFunctions(_run_kernel_caller(addresses[RUN_KERNEL.name]),
                           _prefill_caller(addresses[PREFILL_CACHE.name]))


@functools.cache
def _entry_addresses() -> dict[str, int] | None:
    """The entries' addresses in the linked object (kept alive for the process), or None."""
    from jitvm.jit.cache import default_cache
    from jitvm.jit.numba_aot import load_entries

    if os.environ.get(OBJECTS_ENV, "").strip() == "0" or not default_cache().enabled:
        return None
    try:
        loaded = load_entries(_NAME, ROOTS, _ENTRIES)
    except Exception as error:  # noqa: BLE001 - any failure leaves Numba's own entry point
        import warnings

        warnings.warn(f"jitvm: the baseline kernel runs through Numba's dispatcher ({error})", RuntimeWarning,
                      stacklevel=2)
        return None
    _loaded.append(loaded)
    return dict(loaded.addresses)


def kernels_built() -> bool:
    """Whether the kernels' object is in the object cache (so that loading them takes milliseconds,
    not a Numba compile). Asks the file system only."""
    from jitvm.jit.cache import default_cache
    from jitvm.jit.numba_aot import cache_key

    cache = default_cache()
    return cache.enabled and cache.path_for(cache_key(_NAME, ROOTS, _ENTRIES)).is_file()


kernel_load_info = _entry_addresses.cache_info  # currsize 1 once the kernels are loaded (either way)
_loaded: list = []  # the linked libraries: their code is freed when the last reference goes


@functools.cache
def _numba_functions() -> KernelFunctions:
    from jitvm.evm.baseline.layout import FrameBuffers, code_rows, data_bytes

    buffers = FrameBuffers(0)
    staged = np.frombuffer(bytes(13 * 8), dtype=np.uint64).reshape(1, 13)
    return KernelFunctions(
        entry_point(_run_kernel(), code_rows(b""), data_bytes(b"", b""), buffers.words, buffers.memory,
                    buffers.control),
        entry_point(_prefill_cache(), buffers.words, buffers.control, staged))


def entry_point(dispatcher, *arguments):
    """The compiled entry point of a Numba function for arguments typed like `arguments`: the
    dispatcher itself would work out the arguments' types on every call."""
    from numba import typeof

    signature = tuple(typeof(argument) for argument in arguments)
    dispatcher.compile(signature)
    return dispatcher.overloads[signature].entry_point


def _address(array: np.ndarray, dtype, shape: tuple | None = None) -> int:
    """The data address of an array the kernel may be given, after checking it is one."""
    if array.dtype != dtype or not array.flags.c_contiguous or (shape is not None and array.shape != shape):
        raise TypeError(f"kernel argument of dtype {array.dtype}, shape {array.shape}: expected {dtype}, "
                        f"{shape or 'any shape'}, C-contiguous")
    return array.ctypes.data


def _caller(address: int, slots: int):
    """(the entry as a ctypes function, its argument block as int64 slots, the block's pointer)."""
    block = np.zeros(slots, dtype=np.int64)
    entry = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(address)  # PYFUNCTYPE: the GIL stays held
    return entry, memoryview(block).cast("B").cast("q"), ctypes.c_void_p(block.ctypes.data), block


def _run_kernel_caller(address: int):
    entry, slots, pointer, block = _caller(address, block_size(RUN_KERNEL.arrays))
    words_shape, control_shape = (WORD_ROWS, LIMBS), (CONTROL_ROWS, 256)
    seen_code = seen_data = seen_words = seen_memory = seen_control = None

    def run_kernel(code, data, words, memory, control):
        nonlocal seen_code, seen_data, seen_words, seen_memory, seen_control
        if code is not seen_code:
            if code.ndim != 2 or code.shape[0] != 2:
                raise TypeError(f"code rows of shape {code.shape}")
            slots[0], slots[1], slots[2] = _address(code, np.uint8), 2, code.shape[1]
            seen_code = code
        if data is not seen_data:
            slots[3], slots[4] = _address(data, np.uint8, (data.size,)), data.size
            seen_data = data
        if words is not seen_words:
            slots[5], slots[6], slots[7] = _address(words, np.uint64, words_shape), *words_shape
            seen_words = words
        if memory is not seen_memory:
            slots[8], slots[9] = _address(memory, np.uint8, (memory.size,)), memory.size
            seen_memory = memory
        if control is not seen_control:
            slots[10], slots[11], slots[12] = _address(control, np.int64, control_shape), *control_shape
            seen_control = control
        if entry(pointer):
            raise KernelError("the baseline kernel raised")

    run_kernel.block = block  # keeps the block alive with the function
    return run_kernel


def _prefill_caller(address: int):
    entry, slots, pointer, block = _caller(address, block_size(PREFILL_CACHE.arrays))
    words_shape, control_shape = (WORD_ROWS, LIMBS), (CONTROL_ROWS, 256)

    def prefill_cache(words, control, staged):
        slots[0], slots[1], slots[2] = _address(words, np.uint64, words_shape), *words_shape
        slots[3], slots[4], slots[5] = _address(control, np.int64, control_shape), *control_shape
        if staged.ndim != 2:
            raise TypeError(f"staged slots of shape {staged.shape}")
        slots[6], slots[7], slots[8] = _address(staged, np.uint64), *staged.shape
        if entry(pointer):
            raise KernelError("the baseline kernel's prefill_cache raised")

    prefill_cache.block = block
    return prefill_cache
