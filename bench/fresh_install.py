"""What a new user waits for: the first `jitvm run` of a small contract and the first `jitvm bench
--quick` on a fresh install, with every compile cache empty.

    python bench/fresh_install.py                      # venv in /tmp/jitvm-fresh-venv, then both timings
    python bench/fresh_install.py --venv /tmp/v --reuse   # keep the venv's dependencies, reinstall jitvm only

It creates a virtual environment, installs this checkout into it with pip (dependencies from pip's
cache or index: their download is not what is timed), then runs each command with JITVM_CACHE_DIR and
NUMBA_CACHE_DIR pointing at new empty folders, from an empty working folder, and prints the wall
time and CPU time of each. docs/compile-cache.md quotes its output.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Sums 100..1 in a loop and returns 5050 (0x13ba): a small contract with a loop (5,244 gas).
SMALL_CONTRACT = "600060645b801560155780910190600190036004565b5060005260206000f3"
EXPECTED_OUTPUT = "0x" + (5050).to_bytes(32, "big").hex()


def install(venv: Path, reuse: bool) -> None:
    if not (reuse and (venv / "bin" / "python").exists()):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT)], check=True)
    else:
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-deps", "--force-reinstall", str(ROOT)],
                       check=True)


def timed(label: str, command: list[str], environment: dict[str, str], folder: Path) -> str:
    """Run `command`; print its wall time and its CPU time (user + system, with its own children): on a
    machine shared with other jobs the wall time grows with their load, the CPU time much less."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    completed = subprocess.run(command, env=environment, cwd=folder, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    print(f"{label:40} {seconds:7.1f} s wall {cpu:7.1f} s CPU  (exit {completed.returncode})", flush=True)
    if completed.returncode != 0:
        print(completed.stdout[-2000:], completed.stderr[-2000:], sep="\n", file=sys.stderr)
    return completed.stdout


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "jitvm-fresh-venv")
    parser.add_argument("--reuse", action="store_true", help="keep an existing venv's dependencies")
    parser.add_argument("--skip-bench", action="store_true", help="time only the first `jitvm run`")
    args = parser.parse_args()
    install(args.venv, args.reuse)
    jitvm = str(args.venv / "bin" / "jitvm")
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONPATH", "JITVM_TIER0_GAS", "JITVM_PROGRESS")}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        environment.update(JITVM_CACHE_DIR=str(folder / "jitvm-cache"), NUMBA_CACHE_DIR=str(folder / "numba-cache"))
        output = timed("jitvm run SMALL_CONTRACT (first)", [jitvm, "run", SMALL_CONTRACT], environment, folder)
        if EXPECTED_OUTPUT not in output:
            print(f"unexpected output: {output}", file=sys.stderr)
            return 1
        timed("jitvm run SMALL_CONTRACT (second)", [jitvm, "run", SMALL_CONTRACT], environment, folder)
        if not args.skip_bench:
            timed("jitvm bench --quick (first)", [jitvm, "bench", "--quick"], environment, folder)
        # The baseline interpreter, with caches of its own (empty at first): built by Numba the first
        # time, then loaded as object code without Numba (jitvm.evm.baseline.native_entry).
        environment.update(JITVM_CACHE_DIR=str(folder / "baseline-cache"), NUMBA_CACHE_DIR=str(folder / "baseline-numba"))
        for attempt in ("first", "second"):
            output = timed(f"jitvm run SMALL_CONTRACT --engine baseline ({attempt})",
                           [jitvm, "run", SMALL_CONTRACT, "--engine", "baseline"], environment, folder)
            if EXPECTED_OUTPUT not in output:
                print(f"unexpected output: {output}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
