"""The long LLVM calls of a compile (parse, verify, the IR passes, the backend) made without
llvmlite's process-wide lock, so that the parts of a split module (jitvm.jit.split) and a background
OPTIMIZED compile run on separate cores at once.

llvmlite wraps every call into its library in one lock (`ffi.lib._lock`): safe for any use, but it
serialised compiles that share nothing. Each of ours has its own LLVMContext and its thread's own
TargetMachine (jitvm.jit.compiler's policy), and these calls touch only the objects passed to them,
which LLVM allows on separate threads. Measured before this module: a module split in two took as
long on two threads as on one (the second thread waited for the lock the whole time).

The cheap calls around them (creating contexts, machines, pass builders) keep llvmlite's lock.
A fork waits for the calls in flight while it holds llvmlite's lock, which new ones must pass
(jitvm.jit.layer._before_fork): a child must not inherit LLVM in the middle of a call.
If llvmlite's internals ever move, every call falls back to the locked one.
"""

from __future__ import annotations

import ctypes
import os
import threading

import llvmlite.binding as llvm
from llvmlite.binding import ffi


class _InFlight:
    """Counts the unlocked calls running. A call starts only while llvmlite's lock is free, so a
    fork that holds it (jitvm.jit.layer) starts no new one and waits for the running ones
    (`wait_idle`)."""

    def __init__(self):
        self.condition = threading.Condition()
        self.running = 0

    def __enter__(self):
        with _LOCK:
            with self.condition:
                self.running += 1

    def __exit__(self, *exc):
        with self.condition:
            self.running -= 1
            if not self.running:
                self.condition.notify_all()

    def wait_idle(self) -> None:
        with self.condition:
            self.condition.wait_for(lambda: self.running == 0)


_LOCK = getattr(ffi.lib, "_lock", threading.RLock())
_IN_FLIGHT = _InFlight()


def wait_idle() -> None:
    """Wait until no unlocked call runs (the caller holds llvmlite's lock: none can start)."""
    _IN_FLIGHT.wait_idle()


def _after_fork_in_child() -> None:
    global _IN_FLIGHT
    _IN_FLIGHT = _InFlight()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _raw(name: str):
    """llvmlite's ctypes function `name` (argument types set) without its lock wrapper."""
    wrapped = getattr(ffi.lib, name)
    return getattr(wrapped, "_cfn", wrapped)


def parse_assembly(text: str, context) -> llvm.ModuleRef:
    """llvm.parse_assembly(text, context), unlocked."""
    from llvmlite.binding.module import ModuleRef

    buffer = ctypes.c_char_p(text.encode("utf8"))
    with ffi.OutputString() as message:
        with _IN_FLIGHT:
            module = ModuleRef(_raw("LLVMPY_ParseAssembly")(context, buffer, message), context)
        if message:
            module.close()
            raise RuntimeError(f"LLVM IR parsing error\n{message}")
    return module


def verify(module: llvm.ModuleRef) -> None:
    """module.verify(), unlocked."""
    with ffi.OutputString() as message:
        with _IN_FLIGHT:
            failed = _raw("LLVMPY_VerifyModule")(module, message)
        if failed:
            raise RuntimeError(str(message))


def run_passes(manager: llvm.ModulePassManager, module: llvm.ModuleRef, builder: llvm.PassBuilder) -> None:
    """manager.run(module, builder), unlocked."""
    with _IN_FLIGHT:
        _raw("LLVMPY_RunNewModulePassManager")(manager, module, builder)


def emit_object(machine: llvm.TargetMachine, module: llvm.ModuleRef) -> bytes:
    """machine.emit_object(module), unlocked."""
    with ffi.OutputString() as message:
        with _IN_FLIGHT:
            buffer = _raw("LLVMPY_TargetMachineEmitToMemory")(machine, module, 1, message)
        if not buffer:
            raise RuntimeError(str(message))
    try:
        return ctypes.string_at(ffi.lib.LLVMPY_GetBufferStart(buffer), ffi.lib.LLVMPY_GetBufferSize(buffer))
    finally:
        ffi.lib.LLVMPY_DisposeMemoryBuffer(buffer)
