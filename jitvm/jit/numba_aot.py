"""Numba-compiled functions kept as object code and loaded without importing Numba.

Importing Numba and loading a cached kernel through its dispatcher (typing, cache index, LLVM
library) takes about half a second, which every process that runs the baseline interpreter would
pay at start-up. So a kernel Numba has compiled once is also kept as a plain object file in jitvm's
object cache (jitvm.jit.cache), and later processes link that file into jitvm's own LLJIT
(jitvm.jit.linker) and call it directly, with Numba never imported.

    loaded = load_entries("evm-baseline", roots, [EntrySpec("jitvm_evm_run_kernel", import_run_kernel, arrays)])
    run_kernel = python_function(loaded, spec)      # run_kernel(*arrays), like Numba's entry point

Each entry `name` comes in two forms in the object:
- `int32 name(int64 *block)`, for native callers: the block holds, for each array argument, its data
  address and then its sizes (one per dimension). It builds Numba's array arguments from them
  (C-contiguous, no owner: a null meminfo, so Numba's reference counting never frees anything) and
  calls the compiled function with Numba's own calling convention; it returns 0, or Numba's nonzero
  status if the function raised.
- `name_py`, a CPython builtin function over the arrays themselves (`python_entry_ir`): it checks and
  unpacks each numpy array in machine code, as Numba's compiled entry point does, and calls `name`.
  A ctypes call would cost microseconds per call with changing arrays (numpy takes about one per
  address); this costs what Numba's entry point cost.

The key: `dependency_digest` of `roots` (every jitvm module the kernels import, the tables they name,
the llvmlite/LLVM/Numba versions and the CPU) and of this module, so an edit anywhere the kernel's code
comes from names another entry: it is built again, never loaded stale. The build asks Numba for the
function (compiling it, with a progress line, or loading it from Numba's own cache) and emits the
LLVM module Numba keeps for linking it into other code (`CPUCodeLibrary._get_module_for_linking`, an
internal of Numba's; the Numba version is part of the key, and a build that fails only means the
caller goes on with Numba's dispatcher).

What the object leaves undefined is resolved here: libc (memset, memcpy) and the five CPython API
names the Python entries use, from the process;
`numba_attempt_nocopy_reshape` (a plain C function of Numba's helper library, used by `reshape`) from
that library, loaded as a file without importing the Numba package; `NRT_MemInfo_call_dtor` is
defined by the entry module (Numba's decref calls it only for an owned array, and these have none).
Anything else undefined fails the link, and the caller falls back to Numba.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from jitvm.jit.dependencies import dependency_digest

KEY_PREFIX = "numba-aot-v2"
_OWN_MODULE = __name__
_building = threading.Lock()


@dataclass(frozen=True)
class ArrayArgument:
    """One array argument of a compiled function: its element type (a numpy dtype name) and its
    number of dimensions. Every array is passed C-contiguous and writable."""

    dtype: str
    ndim: int

    @property
    def itemsize(self) -> int:
        import numpy as np

        return np.dtype(self.dtype).itemsize

    @property
    def block_slots(self) -> int:
        """How many int64s of the argument block describe it: the data address and its sizes."""
        return 1 + self.ndim


@dataclass(frozen=True)
class EntrySpec:
    """An exported entry `name` calling the Numba function `function()` returns (a dispatcher,
    imported only when the object is built) with `arrays` as its arguments."""

    name: str
    function: Callable[[], object]
    arrays: tuple[ArrayArgument, ...]


def block_size(arrays: Iterable[ArrayArgument]) -> int:
    return sum(argument.block_slots for argument in arrays)


def cache_key(name: str, roots: Iterable[str], entries: Iterable[EntrySpec]) -> str:
    """The object cache key of a set of entries: what their code depends on, and their signatures."""
    signatures = ";".join(f"{entry.name}({','.join(f'{a.dtype}:{a.ndim}' for a in entry.arrays)})"
                          for entry in entries)
    return f"{KEY_PREFIX}|{name}|{signatures}|{dependency_digest([*roots, _OWN_MODULE])}"


def load_entries(name: str, roots: Iterable[str], entries: Iterable[EntrySpec], *, cache=None):
    """The LoadedCode (jitvm.jit.linker) holding `entries`, from the object cache or built now with
    Numba (and then cached). Raises if it cannot be built or linked."""
    from jitvm.jit.cache import default_cache
    from jitvm.jit.linker import load_objects

    entries = tuple(entries)
    cache = default_cache() if cache is None else cache
    key = cache_key(name, roots, entries)
    object_code = cache.load(key)
    if object_code is None:
        with _building:  # two threads missing at once build once
            object_code = cache.load(key)
            if object_code is None:
                object_code = build_object(entries)
                cache.store(key, object_code)
    return load_objects([object_code], exports(entries), imports=_imports(object_code), name_hint=name)


# -- building (imports Numba) ----------------------------------------------------------------------

def build_object(entries: Iterable[EntrySpec]) -> bytes:
    """One object file with every entry and the Numba-compiled code it calls."""
    import llvmlite.binding as llvm
    from numba import types

    from jitvm.jit.compiler import compile_module
    from jitvm.jit.target import host_target

    context = llvm.create_context()
    target = host_target()
    module = llvm.parse_assembly(_runtime_ir(), context)
    module.triple = target.triple
    for entry in entries:
        dispatcher = entry.function()
        signature = tuple(types.Array(getattr(types, array.dtype), array.ndim, "C") for array in entry.arrays)
        dispatcher.compile(signature)
        overload = dispatcher.overloads[signature]
        callee = overload.fndesc.mangled_name
        entry_module = llvm.parse_assembly(entry_ir(entry.name, callee, entry.arrays)
                                           + python_entry_ir(entry.name, entry.arrays), context)
        entry_module.triple = target.triple
        module.link_in(entry_module)
        # After the entry that calls it: the linker takes Numba's linkonce_odr functions only where
        # something already refers to them.
        compiled = llvm.parse_bitcode(overload.library._get_module_for_linking().as_bitcode(), context)
        compiled.triple = target.triple
        module.link_in(compiled)
    module.data_layout = str(target.machine.target_data)
    module.verify()
    try:
        return compile_module(module, optimize_ir=False, opt_level=3)
    finally:
        module.close()
        context.close()


def _runtime_ir() -> str:
    """Numba's reference counting for the arrays a kernel passes to the functions it calls.

    The entries pass arrays with a null meminfo and the kernels allocate none (an allocation would
    leave NRT_MemInfo_alloc undefined and fail the link), so every count is of a null meminfo and
    skipped, as Numba's own NRT_incref/NRT_decref skip it; the counting is written out anyway, as
    Numba's runtime module does it, so that the functions mean what their names say. Numba's
    linkonce_odr copies, where a module carries them, give way to these definitions."""
    return """define void @NRT_MemInfo_call_dtor(ptr %meminfo) {
  ret void
}

define void @NRT_incref(ptr %meminfo) {
entry:
  %null = icmp eq ptr %meminfo, null
  br i1 %null, label %done, label %count
count:
  %old = atomicrmw add ptr %meminfo, i64 1 monotonic
  br label %done
done:
  ret void
}

define void @NRT_decref(ptr %meminfo) {
entry:
  %null = icmp eq ptr %meminfo, null
  br i1 %null, label %done, label %count
count:
  fence release
  %old = atomicrmw sub ptr %meminfo, i64 1 monotonic
  %last = icmp eq i64 %old, 1
  br i1 %last, label %destroy, label %done
destroy:
  fence acquire
  call void @NRT_MemInfo_call_dtor(ptr %meminfo)
  br label %done
done:
  ret void
}
"""


def entry_ir(name: str, callee: str, arrays: Iterable[ArrayArgument]) -> str:
    """IR of `i32 name(ptr block)`: Numba's array arguments from the block, then the call.

    Numba's calling convention passes (return slot, exception slot, then every argument's fields in
    order); an array's fields are meminfo, parent, item count, item size, data, sizes, strides."""
    lines = [f"define i32 @{name}(ptr %block) {{", "entry:", "  %result = alloca [4 x i64], align 8",
             "  %exception = alloca ptr, align 8", "  store ptr null, ptr %exception, align 8"]
    arguments = ["ptr %result", "ptr %exception"]
    slot = 0

    def load(kind: str, label: str) -> str:
        nonlocal slot
        lines.append(f"  %{label}.at = getelementptr inbounds i64, ptr %block, i64 {slot}")
        lines.append(f"  %{label} = load {kind}, ptr %{label}.at, align 8")
        slot += 1
        return f"%{label}"

    for index, array in enumerate(arrays):
        data = load("ptr", f"a{index}.data")
        sizes = [load("i64", f"a{index}.size{dimension}") for dimension in range(array.ndim)]
        count = "1"
        for dimension, size in enumerate(sizes):
            lines.append(f"  %a{index}.count{dimension} = mul i64 {count}, {size}")
            count = f"%a{index}.count{dimension}"
        strides, stride = [], str(array.itemsize)
        for dimension in reversed(range(array.ndim)):
            strides.insert(0, stride)
            lines.append(f"  %a{index}.span{dimension} = mul i64 {stride}, {sizes[dimension]}")
            stride = f"%a{index}.span{dimension}"
        arguments += ["ptr null", "ptr null", f"i64 {count}", f"i64 {array.itemsize}", f"ptr {data}"]
        arguments += [f"i64 {size}" for size in sizes] + [f"i64 {stride}" for stride in strides]
    # Numba's status: 0 (returned a value) or -2 (returned None) is success.
    lines += [f"  %status = call i32 @{callee}({', '.join(arguments)})",
              "  %none = icmp eq i32 %status, -2",
              "  %code = select i1 %none, i32 0, i32 %status",
              "  ret i32 %code", "}",
              f"declare i32 @{callee}({', '.join(argument.rpartition(' ')[0] for argument in arguments)})"]
    return "\n".join(lines) + "\n"


# Offsets in NumPy's PyArrayObject and PyArray_Descr (the same in NumPy 1.x and 2.x on 64-bit hosts).
_ARRAY_TYPE, _ARRAY_DATA, _ARRAY_NDIM, _ARRAY_DIMENSIONS, _ARRAY_DESCR, _ARRAY_FLAGS = 8, 16, 24, 32, 56, 64
_DESCR_BYTEORDER, _DESCR_TYPE_NUM = 26, 28
_C_CONTIGUOUS = 0x1  # NPY_ARRAY_C_CONTIGUOUS
_PYTHON_API = ("PyErr_SetString", "Py_IncRef", "PyExc_TypeError", "PyExc_RuntimeError", "_Py_NoneStruct")


def python_entry_ir(name: str, arrays: Iterable[ArrayArgument]) -> str:
    """IR of `name`_py, a CPython function (METH_FASTCALL) taking the arrays themselves: it checks
    each is a C-contiguous numpy array of the right element type and number of dimensions (else
    TypeError), reads its data address and sizes from the array object as NumPy's C API lays it out,
    and calls entry `name` with them; a raising kernel raises RuntimeError. This is what Numba's
    compiled entry point does per call, in the same few nanoseconds, and without Numba.

    `name`_types holds what the checks compare with, filled in by `python_function` after linking
    (they are addresses and numbers of this process): the ndarray type, then each array's dtype
    number."""
    arrays = tuple(arrays)
    slots = block_size(arrays)
    type_error = f"{name}: expected {len(arrays)} C-contiguous numpy arrays of the kernel's types".encode()
    raised = f"{name}: the compiled kernel raised".encode()
    lines = [
        f"@{name}_types = global [{len(arrays) + 1} x i64] zeroinitializer",
        f'@{name}.type_error = private unnamed_addr constant [{len(type_error) + 1} x i8] c"{type_error.decode()}\\00"',
        f'@{name}.raised = private unnamed_addr constant [{len(raised) + 1} x i8] c"{raised.decode()}\\00"',
        f"define ptr @{name}_py(ptr %self, ptr %args, i64 %nargs) {{",
        "entry:",
        f"  %block = alloca [{slots} x i64], align 8",
        f"  %type.want = load i64, ptr @{name}_types, align 8",
        f"  %count.ok = icmp eq i64 %nargs, {len(arrays)}",
        "  br i1 %count.ok, label %argument0, label %bad",
    ]
    slot = 0
    for index, array in enumerate(arrays):
        a = f"%a{index}"
        after = f"argument{index + 1}" if index + 1 < len(arrays) else "call"
        lines += [
            f"argument{index}:",
            f"  {a}.at = getelementptr inbounds ptr, ptr %args, i64 {index}",
            f"  {a} = load ptr, ptr {a}.at, align 8",
            f"  {a}.type.at = getelementptr inbounds i8, ptr {a}, i64 {_ARRAY_TYPE}",
            f"  {a}.type.ptr = load ptr, ptr {a}.type.at, align 8",
            f"  {a}.type = ptrtoint ptr {a}.type.ptr to i64",
            f"  {a}.is_array = icmp eq i64 {a}.type, %type.want",
            f"  br i1 {a}.is_array, label %argument{index}.fields, label %bad",
            f"argument{index}.fields:",
            f"  {a}.ndim.at = getelementptr inbounds i8, ptr {a}, i64 {_ARRAY_NDIM}",
            f"  {a}.ndim = load i32, ptr {a}.ndim.at, align 4",
            f"  {a}.ndim.ok = icmp eq i32 {a}.ndim, {array.ndim}",
            f"  {a}.flags.at = getelementptr inbounds i8, ptr {a}, i64 {_ARRAY_FLAGS}",
            f"  {a}.flags = load i32, ptr {a}.flags.at, align 4",
            f"  {a}.contiguous = and i32 {a}.flags, {_C_CONTIGUOUS}",
            f"  {a}.contiguous.ok = icmp ne i32 {a}.contiguous, 0",
            f"  {a}.descr.at = getelementptr inbounds i8, ptr {a}, i64 {_ARRAY_DESCR}",
            f"  {a}.descr = load ptr, ptr {a}.descr.at, align 8",
            f"  {a}.num.at = getelementptr inbounds i8, ptr {a}.descr, i64 {_DESCR_TYPE_NUM}",
            f"  {a}.num = load i32, ptr {a}.num.at, align 4",
            f"  {a}.num.wide = sext i32 {a}.num to i64",
            f"  {a}.num.want.at = getelementptr inbounds i64, ptr @{name}_types, i64 {index + 1}",
            f"  {a}.num.want = load i64, ptr {a}.num.want.at, align 8",
            f"  {a}.num.ok = icmp eq i64 {a}.num.wide, {a}.num.want",
            f"  {a}.order.at = getelementptr inbounds i8, ptr {a}.descr, i64 {_DESCR_BYTEORDER}",
            f"  {a}.order = load i8, ptr {a}.order.at, align 1",
            f"  {a}.order.ok = icmp ne i8 {a}.order, 62",  # '>': big-endian data on this little-endian host
            f"  {a}.ok.1 = and i1 {a}.ndim.ok, {a}.contiguous.ok",
            f"  {a}.ok.2 = and i1 {a}.ok.1, {a}.num.ok",
            f"  {a}.ok = and i1 {a}.ok.2, {a}.order.ok",
            f"  br i1 {a}.ok, label %argument{index}.copy, label %bad",
            f"argument{index}.copy:",
            f"  {a}.data.at = getelementptr inbounds i8, ptr {a}, i64 {_ARRAY_DATA}",
            f"  {a}.data = load i64, ptr {a}.data.at, align 8",
            f"  {a}.slot = getelementptr inbounds i64, ptr %block, i64 {slot}",
            f"  store i64 {a}.data, ptr {a}.slot, align 8",
            f"  {a}.dims.at = getelementptr inbounds i8, ptr {a}, i64 {_ARRAY_DIMENSIONS}",
            f"  {a}.dims = load ptr, ptr {a}.dims.at, align 8",
        ]
        for dimension in range(array.ndim):
            lines += [
                f"  {a}.dim{dimension}.at = getelementptr inbounds i64, ptr {a}.dims, i64 {dimension}",
                f"  {a}.dim{dimension} = load i64, ptr {a}.dim{dimension}.at, align 8",
                f"  {a}.slot{dimension} = getelementptr inbounds i64, ptr %block, i64 {slot + 1 + dimension}",
                f"  store i64 {a}.dim{dimension}, ptr {a}.slot{dimension}, align 8",
            ]
        lines.append(f"  br label %{after}")
        slot += array.block_slots
    lines += [
        "call:",
        f"  %status = call i32 @{name}(ptr %block)",
        "  %status.ok = icmp eq i32 %status, 0",
        "  br i1 %status.ok, label %done, label %raised",
        "done:",
        "  call void @Py_IncRef(ptr @_Py_NoneStruct)",
        "  ret ptr @_Py_NoneStruct",
        "raised:",
        "  %runtime_error = load ptr, ptr @PyExc_RuntimeError, align 8",
        f"  call void @PyErr_SetString(ptr %runtime_error, ptr @{name}.raised)",
        "  ret ptr null",
        "bad:",
        "  %type_error = load ptr, ptr @PyExc_TypeError, align 8",
        f"  call void @PyErr_SetString(ptr %type_error, ptr @{name}.type_error)",
        "  ret ptr null",
        "}",
    ]
    return "\n".join(lines) + "\n" + _PYTHON_DECLARATIONS


_PYTHON_DECLARATIONS = """\
@PyExc_TypeError = external global ptr
@PyExc_RuntimeError = external global ptr
@_Py_NoneStruct = external global i8
declare void @PyErr_SetString(ptr, ptr)
declare void @Py_IncRef(ptr)
"""


def exports(entries: Iterable[EntrySpec]) -> list[str]:
    """The symbols `load_entries` exports for each entry: the C entry, the CPython one, its table."""
    return [name for entry in entries for name in (entry.name, f"{entry.name}_py", f"{entry.name}_types")]


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p), ("ml_flags", ctypes.c_int),
                ("ml_doc", ctypes.c_char_p)]


_METH_FASTCALL = 0x80
_new_function = ctypes.pythonapi.PyCFunction_NewEx
_new_function.restype = ctypes.py_object
_new_function.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.py_object]


def check_array_layout() -> None:
    """Raise RuntimeError unless numpy arrays and dtypes in this process have the field offsets the
    Python entries read (a Python build with another object header, a NumPy that moved them)."""
    import numpy as np

    sample = np.zeros((2, 3), dtype=np.int64)
    at = id(sample)
    word = ctypes.c_int64.from_address
    descr = word(at + _ARRAY_DESCR).value
    found = (word(at + _ARRAY_TYPE).value, word(at + _ARRAY_DATA).value, ctypes.c_int32.from_address(at + _ARRAY_NDIM).value,
             descr, ctypes.c_int32.from_address(at + _ARRAY_FLAGS).value & _C_CONTIGUOUS,
             ctypes.c_int32.from_address(descr + _DESCR_TYPE_NUM).value,
             [word(word(at + _ARRAY_DIMENSIONS).value + 8 * index).value for index in range(2)])
    expected = (id(np.ndarray), sample.ctypes.data, 2, id(sample.dtype), _C_CONTIGUOUS, sample.dtype.num, [2, 3])
    if found != expected:
        raise RuntimeError(f"numpy's array layout is not the one the kernel entries read: {found} != {expected}")


def python_function(loaded, entry: EntrySpec):
    """A Python callable (a builtin function, like Numba's entry points) that runs entry `entry` of
    `loaded` on numpy arrays: `function(*arrays)`. It keeps `loaded` alive. Raises RuntimeError if
    numpy's layout is not the expected one (check_array_layout)."""
    import numpy as np

    check_array_layout()
    table = (ctypes.c_int64 * (len(entry.arrays) + 1)).from_address(loaded[f"{entry.name}_types"])
    table[:] = [id(np.ndarray), *(np.dtype(array.dtype).num for array in entry.arrays)]
    definition = _MethodDef(entry.name.encode(), loaded[f"{entry.name}_py"], _METH_FASTCALL, None)
    # The function's `self` holds what must outlive it: the method definition and the machine code.
    return _new_function(ctypes.addressof(definition), (definition, loaded), None)


# -- loading (no Numba) ----------------------------------------------------------------------------

def _imports(object_code: bytes) -> dict[str, int]:
    """Addresses of the Numba helpers the object names (see the module doc)."""
    found = {name: _python_symbol(name) for name in _PYTHON_API}
    if b"numba_attempt_nocopy_reshape" in object_code:
        found["numba_attempt_nocopy_reshape"] = _numba_helper("attempt_nocopy_reshape")
    return found


def _python_symbol(name: str) -> int:
    """The address of a function or variable of CPython's C API in this process."""
    return ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, name))


@functools.cache
def _numba_helper(name: str) -> int:
    """The address of a C helper of Numba's `_helperlib` extension, without importing Numba: an
    extension module loads from its file on its own (it needs only numpy), and lists its helpers."""
    helperlib = sys.modules.get("numba._helperlib")
    if helperlib is None:
        spec = importlib.util.find_spec("numba")
        folder = Path(spec.submodule_search_locations[0])
        path = next(folder.glob(f"_helperlib{importlib.machinery.EXTENSION_SUFFIXES[0]}"), None)
        if path is None:
            path = next(folder.glob("_helperlib.*"))
        helper_spec = importlib.util.spec_from_file_location("numba._helperlib", path)
        helperlib = importlib.util.module_from_spec(helper_spec)
    return int(helperlib.c_helpers[name])
