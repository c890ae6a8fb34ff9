"""The `native` row of the BPF table: a BPF program that was written in C, compiled for this machine
with `clang -O2` and called through ctypes. It is the physical limit a BPF engine can approach (no
bounds checks, no instruction metering), so `×native` says how close the JIT gets.

Only cases with a C source take part (`BpfCase.c_source`: the bundled xxh32_c.c, whose BPF build is
xxh32_c.bin); the C function is `u64 entry(u8 *p, u64 len)`, the calling convention of the BPF
programs (r1 = the buffer, r2 = its length, r0 = the answer). Native code counts no BPF
instructions, so this row's work is not checked, only its answer.

Shared objects are cached by the hash of the source and of the compiler's version, next to the JIT
cache (jitvm.jit.cache.default_directory()/native).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from jitvm.bench.runners import Observation, Runner, Unavailable

ENTRY = "entry"
FLAGS = ("-O2", "-shared", "-fPIC")


def make_native_runner() -> Runner:
    compiler = shutil.which("clang")
    if compiler is None:
        raise Unavailable("clang not found (the native row compiles the programs' C sources with clang -O2)")
    return NativeRunner(compiler)


class NativeRunner(Runner):
    name = "native"
    kind = "bpf"
    peer = True
    counts_work = False

    def __init__(self, compiler: str):
        self.compiler = compiler

    def applies_to(self, case) -> bool:
        return getattr(case, "c_source", None) is not None

    def prepare(self, case):
        entry = _load(self.compiler, Path(case.c_source))
        data = case.memory.build()

        def call() -> Observation:
            return Observation(entry(data, len(data)), None)

        return call


@functools.cache
def _load(compiler: str, source: Path):
    library = ctypes.CDLL(str(_compiled(compiler, source)))
    entry = getattr(library, ENTRY)
    entry.argtypes = (ctypes.c_char_p, ctypes.c_uint64)  # bytes are passed without a copy
    entry.restype = ctypes.c_uint64
    return entry


def _compiled(compiler: str, source: Path) -> Path:
    from jitvm.jit.cache import default_directory

    version = subprocess.run([compiler, "--version"], capture_output=True, text=True, check=True).stdout
    key = hashlib.sha256("\0".join((source.read_text(), version, *FLAGS)).encode()).hexdigest()[:24]
    directory = default_directory() / "native"
    target = directory / f"{source.stem}-{key}.so"
    if target.is_file():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        built = Path(scratch) / target.name
        done = subprocess.run([compiler, *FLAGS, "-o", str(built), str(source)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"clang failed on {source.name}: {done.stderr.strip()[:300]}")
        os.replace(built, target)  # atomic: a concurrent run sees the whole file or none
    return target
