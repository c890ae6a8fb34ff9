"""Start the running script again under valgrind's callgrind (instrumentation off until the script
turns it on with jitvm.bench.counting's client requests), unless it already runs there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from jitvm.bench.counting import OUTPUT_DIR_ENV


def rerun_under_callgrind(out_file: str | None = None) -> None:
    """Inside valgrind: return. Outside: run this script with its arguments under callgrind and exit
    with its status. The counts go to `out_file` (for callgrind_annotate), else to a temporary folder."""
    if os.environ.get(OUTPUT_DIR_ENV):
        return
    with tempfile.TemporaryDirectory(prefix="jitvm-callgrind-") as directory:
        out_file = os.path.abspath(out_file) if out_file else f"{directory}/callgrind.out"
        environment = dict(os.environ, PYTHONHASHSEED="0", **{OUTPUT_DIR_ENV: os.path.dirname(out_file)})
        command = [shutil.which("valgrind"), "--tool=callgrind", "--instr-atstart=no", "--dump-instr=no",
                   f"--callgrind-out-file={out_file}", f"--log-file={out_file}.log", sys.executable, *sys.argv]
        sys.exit(subprocess.run(command, env=environment).returncode)


def instructions_per_run(counter, piece, loops: int) -> float:
    """`piece`'s CPU instructions per call (counter: a jitvm.bench.counting.InstructionCounter),
    averaged over `loops` calls after three uncounted ones that warm its caches."""
    for _ in range(3):
        piece()
    with counter.measuring():
        before = counter()
        for _ in range(loops):
            piece()
        return (counter() - before) / loops
