"""Scenarios for tests/jit/test_linker_locks.py, each run in a process of its own (a deadlock there
must not hang the test run: a watchdog ends the process and says what hung).

    python tests/jit/linker_race.py deadlock drop|collect
    python tests/jit/linker_race.py stress SECONDS

`deadlock`: the interleaving a statetest worker once deadlocked in, made certain. A "compile" thread
holds llvmlite's lock (inside a lock callback, where Numba's event hook allocates and so may run the
collector) and, while the main thread is linking, frees a library: by dropping its last reference
(`drop`) or by collecting the reference cycle it is in (`collect`). Both threads must finish.

`stress`: threads link, call, keep, drop, close and collect libraries (some in reference cycles)
while a compile thread works in LLVM, and a lock callback runs the collector now and then on every
thread that calls LLVM; generations of 4 libraries, so LLJITs are retired and disposed all along.
Every call must return its library's value; at the end every LLJIT but the current one is disposed.
"""

from __future__ import annotations

import ctypes
import gc
import os
import random
import sys
import threading
import time


def _watchdog(seconds: float, what: str) -> None:
    def expire() -> None:
        print(f"HUNG: {what} did not finish within {seconds:.0f} s", flush=True)
        os._exit(3)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


def _constant(name: str, value: int) -> str:
    return f"define i64 @{name}() {{\n  ret i64 {value}\n}}\n"


def deadlock(how: str) -> None:
    import llvmlite.binding as llvm
    from llvmlite.binding import ffi

    from jitvm.jit import compile_module, linker

    code = compile_module(_constant("seven", 7))
    engine = linker.Engine()
    doomed = [engine.load_objects([code], ["seven"], imports={})]  # its generation is the one linked into next
    if how == "collect":
        gc.disable()  # it must be collected where the scenario says, not before
        doomed[0].cycle = doomed  # the list and the library: a cycle only the collector frees
        doomed = None
    holding, linking = threading.Event(), threading.Event()

    original_link = llvm.JITLibraryBuilder.link

    def link(builder, lljit, name):  # the main thread, about to wait for llvmlite's lock
        linking.set()
        return original_link(builder, lljit, name)

    llvm.JITLibraryBuilder.link = link
    armed = [True]

    def on_acquire() -> None:  # runs with llvmlite's lock held
        if threading.current_thread().name != "compile" or not armed[0]:
            return
        armed[0] = False
        holding.set()
        linking.wait(30)
        time.sleep(0.2)  # (the main thread is inside link now, waiting for this thread's lock)
        if how == "collect":
            gc.collect()
        else:
            doomed.clear()

    ffi.register_lock_callback(on_acquire, lambda: None)
    compile_thread = threading.Thread(target=lambda: llvm.parse_assembly(_constant("nine", 9)).close(), name="compile")
    _watchdog(60, f"the link on the main thread and the free on the compile thread ({how})")
    compile_thread.start()
    assert holding.wait(30)
    loaded = engine.load_objects([code], ["seven"], imports={})
    compile_thread.join()
    assert loaded.function("seven", ctypes.c_int64)() == 7
    print("ok", flush=True)


def stress(seconds: float) -> None:
    import llvmlite.binding as llvm
    from llvmlite.binding import ffi

    from jitvm.jit import compile_module, linker

    linker.LIBRARIES_PER_JIT = 4
    engine = linker.Engine()
    objects = [compile_module(_constant(f"value_{index}", 1000 + index)) for index in range(16)]
    calls = [0]
    lock_calls = [0]

    def on_acquire() -> None:  # like Numba's event hook, it allocates: here it collects outright now and then
        lock_calls[0] += 1
        if lock_calls[0] % 7 == 0:
            gc.collect(0)
        elif lock_calls[0] % 97 == 0:
            gc.collect()

    ffi.register_lock_callback(on_acquire, lambda: None)
    deadline = time.monotonic() + seconds
    errors: list[BaseException] = []
    kept: list = []  # libraries shared between the threads (each may call or drop any of them)
    kept_lock = threading.Lock()

    def linking(seed: int) -> None:
        chance = random.Random(seed)
        try:
            while time.monotonic() < deadline:
                index = chance.randrange(len(objects))
                loaded = engine.load_objects([objects[index]], [f"value_{index}"], imports={})
                function = loaded.function(f"value_{index}", ctypes.c_int64)
                assert function() == 1000 + index, loaded.name
                calls[0] += 1
                choice = chance.random()
                if choice < 0.3:
                    with kept_lock:
                        kept.append((index, function))
                        dropped = kept.pop(chance.randrange(len(kept))) if len(kept) > 24 else None
                    del dropped  # maybe the last reference: freed on this thread
                elif choice < 0.5:
                    loaded.cycle = [loaded, function]  # freed by whichever thread collects next
                    loaded.cycle.append(loaded.cycle)
                elif choice < 0.6:
                    function = None
                    loaded.close()
                loaded = function = None
                with kept_lock:
                    sample = chance.sample(kept, min(3, len(kept)))
                for value, other in sample:  # another thread may hold the last other reference meanwhile
                    assert other() == 1000 + value
                    calls[0] += 1
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def compiling() -> None:
        try:
            while time.monotonic() < deadline:
                module = llvm.parse_assembly(_constant("busy", 1))
                module.close()
                compile_module(_constant("busy", 2))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    _watchdog(seconds + 90, "the stress threads")
    threads = [threading.Thread(target=linking, args=(seed,), name=f"link-{seed}") for seed in range(3)]
    threads.append(threading.Thread(target=compiling, name="compile"))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    kept.clear()
    gc.collect()
    engine.load_objects([objects[0]], ["value_0"], imports={}).close()  # counts what was freed
    generations = engine._retired + [engine._current]
    assert engine._retired == [], [(g.linked, g.alive) for g in generations]
    assert engine._current.alive == 0, engine._current.alive
    print(f"ok: {calls[0]} calls, {next(engine._library_numbers)} libraries, "
          f"{lock_calls[0]} LLVM calls", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "deadlock":
        deadlock(sys.argv[2])
    else:
        stress(float(sys.argv[2]))
