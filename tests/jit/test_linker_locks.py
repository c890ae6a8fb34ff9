"""The linker's locks: a library freed by the collector on a thread inside llvmlite's lock (whose
callbacks allocate, so the collector runs there) must not wait for a thread that is linking and
waiting for llvmlite's lock (a `jitvm statetest --engine jit -j 2` worker deadlocked so, once).

The scenarios run in a process of their own (tests/jit/linker_race.py): a deadlock would otherwise
hang this test run, llvmlite's lock held for ever. Before the fix both deadlock cases hung every
time and a 20 s stress run hung."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).with_name("linker_race.py")
ROOT = Path(__file__).parents[2]


def run_scenario(*arguments: str, timeout: float) -> str:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    finished = subprocess.run([sys.executable, "-X", "faulthandler", str(SCENARIOS), *arguments], check=False,
                              capture_output=True,
                              text=True, timeout=timeout, env=environment)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout


@pytest.mark.parametrize("how", ["drop", "collect"])
def test_a_library_freed_inside_llvmlites_lock_while_another_thread_links(how):
    """`drop`: the last reference goes on the compile thread; `collect`: the library is in a reference
    cycle and the collector frees it there (the deadlock's way)."""
    assert run_scenario("deadlock", how, timeout=240).strip() == "ok"


def test_threads_link_call_and_free_libraries_while_the_collector_runs_inside_llvm():
    assert run_scenario("stress", "8", timeout=300).startswith("ok")


@pytest.mark.slow
def test_threads_link_call_and_free_libraries_while_the_collector_runs_inside_llvm_long():
    assert run_scenario("stress", "180", timeout=600).startswith("ok")


def test_a_freed_library_is_counted_at_the_next_link_and_its_spent_llvm_jit_disposed(monkeypatch):
    """A library dropped without close() (its finalizer takes no engine lock) is only queued; the
    next link counts it, and disposes of the retired LLJIT it was the last library of."""
    import ctypes

    from jitvm.jit import compile_module, linker

    monkeypatch.setattr(linker, "LIBRARIES_PER_JIT", 2)
    engine = linker.Engine()
    code = compile_module("define i64 @eight() {\n  ret i64 8\n}\n")
    first = engine.load_objects([code], ["eight"], imports={})
    old = first._generation
    second = engine.load_objects([code], ["eight"], imports={})
    third = engine.load_objects([code], ["eight"], imports={})  # a new LLJIT; the old one is retired
    assert engine._retired == [old] and third._generation is not old
    del first, second
    assert list(engine._freed) == [old, old] and not old.jit.closed
    fourth = engine.load_objects([code], ["eight"], imports={})
    assert not engine._freed and engine._retired == [] and old.jit.closed
    assert fourth.function("eight", ctypes.c_int64)() == third.function("eight", ctypes.c_int64)() == 8


def test_a_failed_link_gives_its_count_back(monkeypatch):
    from jitvm.jit import compile_module, linker

    engine = linker.Engine()
    calls_missing = compile_module("declare i64 @nowhere()\ndefine i64 @f() {\n  %x = call i64 @nowhere()\n  ret i64 %x\n}\n")
    ok = engine.load_objects([compile_module("define i64 @g() {\n  ret i64 1\n}\n")], ["g"], imports={})
    with pytest.raises(linker.JitLinkError):
        engine.load_objects([calls_missing], ["f"], imports={})
    ok.close()
    assert engine._current.alive == 0
