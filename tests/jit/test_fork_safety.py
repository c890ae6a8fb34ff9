"""A fork while the JIT compiles in the background (Sealevel's worker processes, multiprocessing's
fork start method): the child must be able to call into LLVM. It inherits no threads, so a lock a
compile thread held at the fork would stay held in the child for ever (jitvm.jit.layer's at-fork
hooks)."""

from __future__ import annotations

import os
import sys
import threading
import time

import llvmlite.binding as llvm
import pytest

from jitvm.jit import layer

IR = """
define i64 @f(i64 %x) {
  %y = mul i64 %x, 3
  ret i64 %y
}
"""

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs os.fork (POSIX, not macOS)")


def test_a_child_forked_during_a_background_compile_can_use_llvm():
    started = threading.Event()

    def busy_in_llvm():  # a background job that is inside LLVM nearly all the time
        started.set()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            llvm.parse_assembly(IR).close()

    layer.WORKER.submit(("test_fork_safety", object()), busy_in_llvm)
    assert started.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: one LLVM call, then out without the parent's exit handlers
        try:
            llvm.parse_assembly(IR).close()
        finally:
            os._exit(0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung on llvmlite's lock")
