"""jitvm.jit.unlocked: the long LLVM calls of a compile run without llvmlite's lock, on separate
threads at once, and fail as llvmlite's own calls do."""

import threading

import pytest

from jitvm.jit import compiler, unlocked

# A function large enough that its backend takes a while (thousands of i256 operations).
BODY = "\n".join(f"  %v{i + 1} = mul i256 %v{i}, %v{i}" for i in range(1000))
IR = f"define i256 @f(i256 %v0) {{\nentry:\n{BODY}\n  ret i256 %v1000\n}}\n"


def test_the_backend_runs_while_another_thread_holds_llvmlites_lock(monkeypatch):
    """The main thread takes llvmlite's lock once a compile thread has entered an unlocked call (its
    emit); the call still ends (with the lock around it, it would wait for the main thread)."""
    import llvmlite.binding as llvm
    from llvmlite.binding import ffi

    entered, locked, left = threading.Event(), threading.Event(), threading.Event()
    enter, leave = unlocked._InFlight.__enter__, unlocked._InFlight.__exit__

    def entering(self):
        enter(self)
        entered.set()
        locked.wait(60)

    def leaving(self, *exc):
        leave(self, *exc)
        left.set()

    context = llvm.create_context()
    module = compiler.parse(IR, context)
    machine = compiler.target_machine(0)
    monkeypatch.setattr(unlocked._InFlight, "__enter__", entering)
    monkeypatch.setattr(unlocked._InFlight, "__exit__", leaving)
    results = []
    thread = threading.Thread(target=lambda: results.append(unlocked.emit_object(machine, module)))
    thread.start()
    assert entered.wait(60)
    with ffi.lib._lock:
        locked.set()
        finished = left.wait(60)
    thread.join()
    assert finished and results and results[0].startswith(b"\x7fELF")


def test_errors_are_reported_as_by_llvmlite():
    with pytest.raises(RuntimeError, match="parsing error"):
        compiler.compile_module("define i64 @f() {\n  ret i64 %missing\n}\n")
    with pytest.raises(RuntimeError, match="does not dominate all uses"):
        compiler.compile_module("define i64 @f() {\nentry:\n  %a = add i64 %b, 1\n  %b = add i64 %a, 1\n"
                                "  ret i64 %a\n}\n")


def test_no_call_is_in_flight_afterwards():
    compiler.compile_module("define i64 @f(i64 %a) {\n  %b = mul i64 %a, 3\n  ret i64 %b\n}\n", opt_level=1)
    assert unlocked._IN_FLIGHT.running == 0
    unlocked.wait_idle()  # returns at once
