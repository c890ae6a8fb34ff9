"""Instruction counting (`jitvm bench --timer instructions`): the CPU instructions the timed calls
execute, counted by valgrind's callgrind, as CodSpeed's "CPU simulation" does. The count of a call
does not depend on what else the machine runs, so a regression gate on counts works on a noisy,
shared CI runner where times do not (hardware counters are not available in most VMs).

How: `jitvm bench` starts itself again under valgrind (`reexec_under_valgrind`), with
instrumentation off, so imports and compiles run at valgrind's un-instrumented speed. Around each
timed sample the harness turns instrumentation on (`InstructionCounter.measuring`), and reads the
counter by asking callgrind, through a client request, to dump its counts since the last reading.
Client requests are a magic instruction sequence that is a no-op outside valgrind; the few bytes of
machine code that issue it are assembled with llvmlite (x86-64 only).

A count is deterministic up to what Python itself does differently from run to run; the child runs
with PYTHONHASHSEED=0 so that hashing, set and dict order do not vary.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jitvm.errors import InputError

OUTPUT_DIR_ENV = "JITVM_BENCH_CALLGRIND_DIR"  # set in the child that runs under valgrind

# valgrind.h / callgrind.h request codes
RUNNING_ON_VALGRIND = 0x1001
_CALLGRIND = (ord("C") << 24) | (ord("T") << 16)
DUMP_STATS, ZERO_STATS = _CALLGRIND + 0, _CALLGRIND + 1
START_INSTRUMENTATION, STOP_INSTRUMENTATION = _CALLGRIND + 4, _CALLGRIND + 5

# The amd64 client-request sequence of valgrind.h: rotating rdi by 3+13+61+51 = 128 bits leaves it
# unchanged on a real CPU; valgrind recognises the sequence and reads the request from [rax].
_CLIENT_REQUEST_IR = r"""
define i64 @client_request(i64* %args) {
  %result = call i64 asm sideeffect "rolq $$3, %rdi ; rolq $$13, %rdi ; rolq $$61, %rdi ; rolq $$51, %rdi ; xchgq %rbx, %rbx", "={dx},{ax},0,~{memory},~{cc},~{dirflag},~{fpsr},~{flags}"(i64* %args, i64 0)
  ret i64 %result
}
"""


def running_under_counter() -> bool:
    return bool(os.environ.get(OUTPUT_DIR_ENV))


def reexec_under_valgrind(argv: list[str], script: list[str] | None = None) -> int:
    """Run `python -m jitvm <argv>` (or `python <script>`, a script's sys.argv) under callgrind and
    return its exit status."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        raise InputError("--timer instructions", f"counting needs an x86-64 machine, not {platform.machine()}")
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise InputError("--timer instructions", "valgrind not found; install it (e.g. apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="jitvm-callgrind-") as directory:
        environment = dict(os.environ, PYTHONHASHSEED="0", **{OUTPUT_DIR_ENV: directory})
        command = [valgrind, "--tool=callgrind", "--instr-atstart=no", "--dump-instr=no", "--dump-line=no",
                   f"--callgrind-out-file={directory}/callgrind.out", f"--log-file={directory}/valgrind.log",
                   sys.executable, *(script or ["-m", "jitvm", *argv])]
        try:
            status = subprocess.run(command, env=environment).returncode
        except KeyboardInterrupt:
            return 130
        log = Path(directory, "valgrind.log")
        if status not in (0, 1, 2, 130) and log.is_file():
            sys.stderr.write(log.read_text()[-2000:])
        return status


class InstructionCounter:
    """A clock whose unit is one executed instruction (only meaningful under callgrind)."""

    def __init__(self, directory: str | None = None):
        import llvmlite.binding as llvm

        self.directory = Path(directory or os.environ[OUTPUT_DIR_ENV])
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        llvm.initialize_native_asmparser()
        module = llvm.parse_assembly(_CLIENT_REQUEST_IR)
        machine = llvm.Target.from_default_triple().create_target_machine()
        self._engine = llvm.create_mcjit_compiler(module, machine)  # kept: it owns the code
        self._engine.finalize_object()
        prototype = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.POINTER(ctypes.c_uint64))
        self._request = prototype(self._engine.get_function_address("client_request"))
        self._arguments = (ctypes.c_uint64 * 6)()
        self._dumps = 0
        self._total = 0
        self._per_burn_iteration: float | None = None
        if not self.request(RUNNING_ON_VALGRIND):
            raise InputError("--timer instructions", "not running under valgrind")

    def request(self, code: int) -> int:
        self._arguments[0] = code
        return self._request(self._arguments)

    def __call__(self) -> int:
        """Instructions executed (with instrumentation on) since the counter was made."""
        self.request(DUMP_STATS)  # writes the counts since the last reading, and zeroes them
        self._dumps += 1
        path = self.directory / f"callgrind.out.{self._dumps}"
        self._total += _total_instructions(path)
        path.unlink()
        self.request(ZERO_STATS)  # the reading above is not counted
        return self._total

    @contextlib.contextmanager
    def measuring(self):
        """Instrumentation on while timed calls run (it slows the guest about 50-fold)."""
        self.request(START_INSTRUMENTATION)
        try:
            yield
        finally:
            self.request(STOP_INSTRUMENTATION)

    def burn(self, instructions: float) -> None:
        """Execute about `instructions` more instructions (JITVM_BENCH_SLOWDOWN in this mode)."""
        if self._per_burn_iteration is None:
            started = self()
            _spin(100_000)
            spent = self() - started
            self._total -= spent  # calibrating is not part of the sample being slowed
            self._per_burn_iteration = max(1.0, spent / 100_000)
        _spin(int(instructions / self._per_burn_iteration))


def _spin(iterations: int) -> None:
    for _ in range(iterations):
        pass


def _total_instructions(path: Path) -> int:
    with open(path) as dump:
        for line in dump:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    return 0
