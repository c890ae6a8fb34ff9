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
    address_of = _Addresses()
    return KernelFunctions(_run_kernel_caller(addresses[RUN_KERNEL.name], address_of),
                           _prefill_caller(addresses[PREFILL_CACHE.name], address_of))


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


_UINT8, _UINT64, _INT64 = np.dtype(np.uint8), np.dtype(np.uint64), np.dtype(np.int64)
KNOWN_BYTES = 64 << 20  # how much array data the address memo may keep alive before it starts again


class _Addresses:
    """The data addresses of the arrays a thread passes to the kernels, remembered by identity:
    numpy gives an address in about a microsecond (`.ctypes.data`), a dict lookup takes tens of
    nanoseconds, and the arrays recur (code rows and calldata come from layout's caches, the frame
    buffers from the pool). An entry keeps its array alive, so its id cannot be reused while the
    entry exists; entries of arrays not owned by the pool count against KNOWN_BYTES."""

    def __init__(self):
        self._known: dict[int, tuple[np.ndarray, int]] = {}
        self._bytes = 0

    def __call__(self, array: np.ndarray, dtype: np.dtype, shape: tuple | None = None, *, pooled=False) -> int:
        entry = self._known.get(id(array))
        if entry is not None and entry[0] is array:
            return entry[1]
        if array.dtype is not dtype or not array.flags.c_contiguous or (shape is not None and array.shape != shape):
            raise TypeError(f"kernel argument of dtype {array.dtype}, shape {array.shape}: expected {dtype}, "
                            f"{shape or 'any shape'}, C-contiguous")
        if not pooled:
            self._bytes += array.nbytes
            if self._bytes > KNOWN_BYTES:
                self._known.clear()
                self._bytes = array.nbytes
        address = array.ctypes.data
        self._known[id(array)] = (array, address)
        return address


def _caller(address: int, slots: int):
    """(the entry as a ctypes function, its argument block as int64 slots, the block's pointer)."""
    block = np.zeros(slots, dtype=np.int64)
    entry = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(address)  # PYFUNCTYPE: the GIL stays held
    return entry, memoryview(block).cast("B").cast("q"), ctypes.c_void_p(block.ctypes.data), block


def _run_kernel_caller(address: int, address_of: _Addresses):
    entry, slots, pointer, block = _caller(address, block_size(RUN_KERNEL.arrays))
    words_shape, control_shape = (WORD_ROWS, LIMBS), (CONTROL_ROWS, 256)
    seen_code = seen_data = seen_words = seen_memory = seen_control = None

    def run_kernel(code, data, words, memory, control):
        nonlocal seen_code, seen_data, seen_words, seen_memory, seen_control
        if code is not seen_code:
            if code.ndim != 2 or code.shape[0] != 2:
                raise TypeError(f"code rows of shape {code.shape}")
            slots[0], slots[1], slots[2] = address_of(code, _UINT8), 2, code.shape[1]
            seen_code = code
        if data is not seen_data:
            slots[3], slots[4] = address_of(data, _UINT8, (data.size,)), data.size
            seen_data = data
        if words is not seen_words:
            slots[5], slots[6], slots[7] = address_of(words, _UINT64, words_shape, pooled=True), *words_shape
            seen_words = words
        if memory is not seen_memory:  # not remembered: a grown memory may be large
            if memory.dtype is not _UINT8 or memory.ndim != 1 or not memory.flags.c_contiguous:
                raise TypeError(f"memory of dtype {memory.dtype}, shape {memory.shape}")
            slots[8], slots[9] = memory.ctypes.data, memory.size
            seen_memory = memory
        if control is not seen_control:
            slots[10], slots[11], slots[12] = address_of(control, _INT64, control_shape, pooled=True), *control_shape
            seen_control = control
        if entry(pointer):
            raise KernelError("the baseline kernel raised")

    run_kernel.block = block  # keeps the block alive with the function
    return run_kernel


STAGING_ROWS = 64  # prefill_cache's rows are copied here (more than SlotHints ever stages at once)


def _prefill_caller(address: int, address_of: _Addresses):
    entry, slots, pointer, block = _caller(address, block_size(PREFILL_CACHE.arrays))
    words_shape, control_shape = (WORD_ROWS, LIMBS), (CONTROL_ROWS, 256)
    # The staged rows are a new array at every call: copying them into a buffer whose address is
    # known costs less than asking numpy for theirs.
    staging = np.zeros((STAGING_ROWS, 13), dtype=np.uint64)
    staging_bytes, staging_address = memoryview(staging).cast("B"), staging.ctypes.data
    slots[8] = 13

    def prefill_cache(words, control, staged):
        slots[0], slots[1], slots[2] = address_of(words, _UINT64, words_shape, pooled=True), *words_shape
        slots[3], slots[4], slots[5] = address_of(control, _INT64, control_shape, pooled=True), *control_shape
        if staged.dtype is not _UINT64 or staged.ndim != 2 or staged.shape[1] != 13 or not staged.flags.c_contiguous:
            raise TypeError(f"staged slots of dtype {staged.dtype}, shape {staged.shape}")
        rows = staged.shape[0]
        if rows <= STAGING_ROWS:
            staging_bytes[: rows * 104] = staged.data.cast("B")
            slots[6], slots[7] = staging_address, rows
        else:
            slots[6], slots[7] = staged.ctypes.data, rows
        if entry(pointer):
            raise KernelError("the baseline kernel's prefill_cache raised")

    prefill_cache.block = (block, staging)
    return prefill_cache
