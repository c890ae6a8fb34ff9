"""The instance's gas counter (its exported i64 global) as host functions read and write it, on
every hook call.

wasmtime-py's `Global.value` / `set_value` check types and convert values on each access, which
made a hook call cost tens of microseconds; this reads and writes the same global through the two C
calls underneath (`wasmtime_global_get` / `_set`) with one preallocated value. If the binding ever
lacks those internals, the public API is used instead: slower, same results.
"""

from __future__ import annotations

import ctypes

import wasmtime


class GasCounter:
    __slots__ = ("get", "set")

    def __init__(self, store: wasmtime.Store, counter: wasmtime.Global):
        try:
            self.get, self.set = _direct(store, counter)
        except (ImportError, AttributeError, TypeError):
            self.get = lambda: counter.value(store)
            self.set = lambda amount: counter.set_value(store, wasmtime.Val.i64(amount))


def _direct(store: wasmtime.Store, counter: wasmtime.Global):
    from wasmtime import _ffi as ffi

    context = store._context()
    handle = ctypes.byref(counter._global)
    raw = ffi.wasmtime_val_t()
    raw_ref = ctypes.byref(raw)
    kind = ffi.WASMTIME_I64.value if hasattr(ffi.WASMTIME_I64, "value") else ffi.WASMTIME_I64
    global_get, global_set = ffi.wasmtime_global_get, ffi.wasmtime_global_set

    def get() -> int:
        global_get(context, handle, raw_ref)
        return raw.of.i64

    def set(amount: int) -> None:
        raw.kind = kind
        raw.of.i64 = amount
        error = global_set(context, handle, raw_ref)
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)

    get()  # fails here, not later, if the internals moved
    return get, set
