"""A cheap way to call compiled EVM code from Python: one builtin function, compiled once per process,
that takes the entry's address and its seven integer arguments (jitvm.evm.jit.entry):

    enter_evm(address, code, data, words, memory, control, capacity, data_size) -> int

Why not ctypes: a ctypes call converts each argument through its type's `from_param` and releases
and takes back the GIL, about 8,000 CPU instructions for evm_enter's seven arguments, twice what the
baseline kernel's whole Numba entry costs (callgrind: bench/jit_entry_cost.py). A frame enters
compiled code once, and once more after every instruction the kernel serves (SLOAD, CALL, LOG, ...),
so on short frames that cost decided the race. This function is a METH_FASTCALL builtin written in
LLVM IR: it reads the eight ints with PyLong_AsLong and calls the address, a few hundred instructions.

It keeps the GIL while compiled code runs, as the baseline kernel does (the EVM kernel is not nogil).
"""

from __future__ import annotations

import ctypes
import functools

_NAME = "jitvm_enter_evm"
_ARGUMENT_COUNT = 8  # the address, then evm_enter's seven arguments
_MESSAGE = b"enter_evm takes an address and 7 ints\x00"
_METH_FASTCALL = 0x0080

_IR = f"""
declare i64 @PyLong_AsLong(ptr)
declare ptr @PyLong_FromLong(i64)
declare ptr @PyErr_Occurred()
declare void @PyErr_SetString(ptr, ptr)
@PyExc_TypeError = external global ptr
@message = private unnamed_addr constant [{len(_MESSAGE)} x i8] c"{_MESSAGE[:-1].decode()}\\00"

define ptr @{_NAME}(ptr %self, ptr %args, i64 %nargs) {{
entry:
  %count.ok = icmp eq i64 %nargs, {_ARGUMENT_COUNT}
  br i1 %count.ok, label %convert, label %wrong
wrong:
  %type = load ptr, ptr @PyExc_TypeError
  call void @PyErr_SetString(ptr %type, ptr @message)
  ret ptr null
convert:
{"".join(f'''  %o{i}.p = getelementptr inbounds ptr, ptr %args, i64 {i}
  %o{i} = load ptr, ptr %o{i}.p
  %a{i} = call i64 @PyLong_AsLong(ptr %o{i})
  %minus{i} = icmp eq i64 %a{i}, -1
''' for i in range(_ARGUMENT_COUNT))}\
  %any1 = or i1 %minus0, %minus1
{"".join(f"  %any{i} = or i1 %any{i - 1}, %minus{i}{chr(10)}" for i in range(2, _ARGUMENT_COUNT))}\
  br i1 %any{_ARGUMENT_COUNT - 1}, label %check, label %call, !prof !0
check:
  %error = call ptr @PyErr_Occurred()
  %failed = icmp ne ptr %error, null
  br i1 %failed, label %fail, label %call
fail:
  ret ptr null
call:
  %function = inttoptr i64 %a0 to ptr
{"".join(f"  %p{i} = inttoptr i64 %a{i} to ptr{chr(10)}" for i in range(1, 6))}\
  %result = call i64 %function(ptr %p1, ptr %p2, ptr %p3, ptr %p4, ptr %p5, i64 %a6, i64 %a7)
  %boxed = call ptr @PyLong_FromLong(i64 %result)
  ret ptr %boxed
}}

!0 = !{{!"branch_weights", i32 1, i32 1000}}
"""


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p), ("ml_flags", ctypes.c_int),
                ("ml_doc", ctypes.c_char_p)]


@functools.cache
def enter_evm():
    """The builtin (see the module doc). Its machine code and method table live as long as the process."""
    from jitvm.jit.compiler import compile_module
    from jitvm.jit.linker import load_objects

    python = ctypes.pythonapi
    imports = {name: ctypes.cast(getattr(python, name), ctypes.c_void_p).value
               for name in ("PyLong_AsLong", "PyLong_FromLong", "PyErr_Occurred", "PyErr_SetString")}
    imports["PyExc_TypeError"] = ctypes.addressof(ctypes.c_void_p.in_dll(python, "PyExc_TypeError"))
    loaded = load_objects([compile_module(_IR, opt_level=2)], [_NAME], imports=imports, name_hint="enter_evm")
    definition = _MethodDef(_NAME.encode(), loaded[_NAME], _METH_FASTCALL, None)
    new_function = python.PyCFunction_NewEx
    new_function.restype = ctypes.py_object
    new_function.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.py_object]
    function = new_function(ctypes.addressof(definition), None, None)
    _KEPT.extend((loaded, definition))
    return function


_KEPT: list = []  # the linked wrapper and its method table (a builtin function points into both)


def entry_address(callable_) -> int:
    """The machine-code address of a ctypes function (CompiledCode.function)."""
    return ctypes.cast(callable_, ctypes.c_void_p).value

