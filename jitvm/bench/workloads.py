"""What `jitvm bench` runs: benchmark cases (one program with one input, and the answer it must
give), the bundled ones read from jitvm/bench/data (a copy of the shared fixtures), and which of them a default or quick run takes.

An EVM case is a message call into a contract (`EvmCase`); its work is counted in gas. A BPF case is
one run of a program on an input buffer (`BpfCase`); its work is counted in executed instructions.
Every case carries its expected answer, so that a wrong engine is reported and never timed.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from jitvm.errors import InputError

GAS = 10**9  # gas given to every EVM call (the largest bundled input uses 236 M)

# One input per bundled EVM contract for the default run: the main benchmarks' mid-size inputs, so
# that the reference interpreter's share stays within minutes. Contracts not listed take their first.
DEFAULT_EVM_INPUTS = {
    "snailtracer": "benchmark", "blake2b_huff": "2805nulls", "blake2b_shifts": "2805nulls",
    "sha1_divs": "1351", "sha1_shifts": "1351", "weierstrudel": "15", "structarray_alloc": "nfts_rank",
    "swap_math": "spent", "memory_grow_mload": "by16", "memory_grow_mstore": "by16", "signextend": "one",
}
# --quick: the main benchmarks only, each on its smallest input.
QUICK_EVM_INPUTS = {
    "snailtracer": "benchmark", "blake2b_huff": "empty", "blake2b_shifts": "2805nulls",
    "sha1_divs": "empty", "sha1_shifts": "empty", "weierstrudel": "1", "structarray_alloc": "nfts_rank",
    "swap_math": "spent",
}


@dataclass(frozen=True, slots=True)
class PreAccount:
    """An account to put in the state before an EVM call (a user workload's `pre_state`)."""

    address: bytes
    balance: int = 0
    nonce: int = 0
    code: bytes = b""
    storage: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class EvmCase:
    """A call into `code` at CONTRACT_ADDRESS (jitvm.evm.calls) with `calldata`, under the default
    fork's rules (jitvm.evm.DEFAULT_FORK)."""

    name: str  # contract/input
    group: str  # main, micro, analysis or user
    code: bytes
    calldata: bytes
    expected_output: bytes
    expected_gas: int | None  # gas charged inside the call; None: engines must agree with the peers
    gas: int = GAS
    pre_state: tuple[PreAccount, ...] = ()

    kind = "evm"
    unit = "gas"

    @property
    def key(self) -> str:
        return f"evm/{self.name}"

    @property
    def expected_units(self) -> int | None:
        return self.expected_gas

    def describe_answer(self) -> str:
        return f"output 0x{_short(self.expected_output)}"


@dataclass(frozen=True, slots=True)
class Memory:
    """A BPF input buffer: literal bytes, or `size` bytes of a fill the fixtures README defines."""

    fill: str  # "bytes", "zero" or "seq" (the README's xorshift64 generator)
    size: int
    data: bytes = b""

    def build(self) -> bytes:
        if self.fill == "bytes":
            return self.data
        return bytes(self.size) if self.fill == "zero" else xorshift_bytes(self.size)

    def describe(self) -> str:
        return f"{self.size} bytes" + ("" if self.fill == "bytes" else f" ({self.fill})")


@dataclass(frozen=True, slots=True)
class BpfCase:
    """One run of `program` with r1 = the input buffer, r2 = its length; the answer is r0."""

    name: str  # program/size
    group: str  # bpf or user
    program: object = field(repr=False)  # jitvm.bpf.Program
    memory: Memory
    expected_r0: int
    expected_instructions: int | None
    c_source: Path | None = None  # the C the program was compiled from (for the `native` row)

    kind = "bpf"
    unit = "instructions"

    @property
    def key(self) -> str:
        return f"bpf/{self.name}"

    @property
    def expected_units(self) -> int | None:
        return self.expected_instructions

    def describe_answer(self) -> str:
        return f"r0 {self.expected_r0}"


Case = EvmCase | BpfCase


@functools.cache
def xorshift_bytes(count: int) -> bytes:
    """The fixtures README's `seq` input: x = 0x9E3779B97F4A7C15; x ^= x<<13, x>>7, x<<17; byte = x & 0xff."""
    mask = (1 << 64) - 1
    x, out = 0x9E3779B97F4A7C15, bytearray(count)
    for index in range(count):
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        out[index] = x & 0xFF
    return bytes(out)


def _short(data: bytes, limit: int = 8) -> str:
    text = data.hex()
    return text if len(text) <= 2 * limit else f"{text[:2 * limit]}... ({len(data)} bytes)"


# -- where the fixtures are -----------------------------------------------------------------------

def find_fixtures(explicit: str | os.PathLike | None = None) -> Path:
    """The folder the bundled workloads are read from: `explicit` (--fixtures, e.g. the shared
    fixtures folder), else the copy inside the package (jitvm/bench/data)."""
    if explicit is None:
        from jitvm.bench.evm_contracts import BUNDLED_DATA

        if not _has_bench_fixtures(BUNDLED_DATA):
            raise InputError(str(BUNDLED_DATA), "the bundled benchmark workloads are missing (a broken install?)")
        return BUNDLED_DATA
    path = Path(explicit)
    if not path.is_dir():
        raise InputError("--fixtures", f"no such folder: {path}")
    if not _has_bench_fixtures(path):
        raise InputError("--fixtures", f"{path} holds neither evm/benchmarks nor bpf/bench")
    return path


def _has_bench_fixtures(path: Path) -> bool:
    return (path / "evm" / "benchmarks").is_dir() or (path / "bpf" / "bench").is_dir()


# -- the bundled cases ----------------------------------------------------------------------------

def bundled_evm_cases(fixtures: Path) -> list[EvmCase]:
    """Every input of every EVM benchmark contract (fixtures/evm/benchmarks/*.json)."""
    from jitvm.bench.evm_contracts import load_benchmarks

    directory = fixtures / "evm" / "benchmarks"
    if not directory.is_dir():
        return []
    return [
        EvmCase(w.name, w.group, w.code, w.calldata, w.expected_output, w.expected_gas)
        for w in load_benchmarks(directory)
    ]


# The BPF benchmark programs, as the fixtures README tabulates them (the "full" size), plus a
# "small" size of each (about 150 k instructions) that the reference interpreter runs in a fraction
# of a second. Small answers were checked against independent Python code (tests/bpf/test_bench.py).
# program file, loop-bound text to replace, full: (bound, memory, r0, instructions), small: the same
BPF_PROGRAMS = (
    ("sum_loop.asm", "10000000",
     ("10000000", Memory("zero", 0), 49999995000000, 30_000_003),
     ("50000", Memory("zero", 0), 1249975000, 150_003)),
    ("fib_loop.asm", "10000000",
     ("10000000", Memory("zero", 0), 10047910021417012027, 60_000_004),
     ("25000", Memory("zero", 0), 10864066887504831947, 150_004)),
    ("fnv1a.asm", None,
     (None, Memory("seq", 4194304), 4324633664114419725, 25_165_830),
     (None, Memory("seq", 24576), 14681291008177937736, 147_462)),
    ("sieve.asm", None,
     (None, Memory("zero", 1000000), 78498, 20_046_258),
     (None, Memory("zero", 10000), 1229, 176_780)),
    ("bubble32.asm", None,
     (None, Memory("seq", 8000), 2577093695, 18_026_484),
     (None, Memory("seq", 800), 722160368, 182_744)),
    ("call_local.asm", "1000000",
     ("1000000", Memory("zero", 0), 4500339045783072515, 16_000_004),
     ("10000", Memory("zero", 0), 9883090658687375934, 160_004)),
    ("xxh32_c.bin", None,
     (None, Memory("seq", 4194304), 2690364203, 20_971_571),
     (None, Memory("seq", 32768), 876328346, 163_891)),
)


def bundled_bpf_cases(fixtures: Path) -> list[BpfCase]:
    """Each BPF benchmark program at its full size (README figures) and at its small size."""
    from jitvm.bpf import Program

    directory = fixtures / "bpf" / "bench"
    cases = []
    for file_name, bound_text, *sizes in BPF_PROGRAMS:
        path = directory / file_name
        if not path.is_file():
            continue
        stem = path.stem
        for size_name, (bound, memory, r0, instructions) in zip(("full", "small"), sizes):
            if path.suffix == ".bin":
                program = Program(path.read_bytes(), source=file_name)
            else:
                text = path.read_text()
                if bound_text is not None:
                    if bound_text not in text:
                        raise InputError(str(path), f"loop bound {bound_text} not found (fixture changed?)")
                    text = text.replace(bound_text, bound)
                program = Program.from_assembly(text, source=file_name)
            c_source = directory / f"{stem}.c"
            cases.append(BpfCase(f"{stem}/{size_name}", "bpf", program, memory, r0, instructions,
                                 c_source if c_source.is_file() else None))
    return cases


def bundled_cases(fixtures: Path, *, quick: bool = False, every_input: bool = False) -> list[Case]:
    """The bundled cases a run takes: every input (every_input), the quick set, or the default set.
    The Wasm group joins where MultiversX's test contracts are found (jitvm.bench.wasm_cases)."""
    from jitvm.bench.realworld import realworld_cases
    from jitvm.bench.svm_cases import QUICK_WORKLOADS, svm_cases
    from jitvm.bench.wasm_cases import bundled_wasm_cases

    evm = bundled_evm_cases(fixtures)
    bpf = bundled_bpf_cases(fixtures)
    realworld = [] if quick else realworld_cases()  # sessions of short transactions (realworld.py)
    wasm = bundled_wasm_cases(fixtures)
    svm = svm_cases()  # Solana transactions next to LiteSVM (svm_cases.py)
    if every_input:
        return [*evm, *realworld, *bpf, *wasm, *svm]
    if quick:
        wanted = QUICK_EVM_INPUTS
    else:
        wanted = {}
        for case in evm:
            wanted.setdefault(*case.name.split("/", 1))  # a contract's first input, unless listed
        wanted.update(DEFAULT_EVM_INPUTS)
    evm = [case for case in evm if wanted.get(case.name.split("/", 1)[0]) == case.name.split("/", 1)[1]]
    bpf = [case for case in bpf if case.name.endswith("/small" if quick else "/full")]
    if quick:
        svm = [case for case in svm if case.name in QUICK_WORKLOADS]
    return [*evm, *realworld, *bpf, *wasm, *svm]


def filter_cases(cases: list[Case], patterns: str | None) -> list[Case]:
    """Cases whose key (evm/contract/input, bpf/program/size) matches any comma-separated pattern:
    a glob if it has wildcards, else a substring (case-insensitive)."""
    if not patterns:
        return cases
    wanted = [pattern.strip().lower() for pattern in patterns.split(",") if pattern.strip()]

    def matches(key: str) -> bool:
        key = key.lower()
        return any(fnmatchcase(key, p) if any(c in p for c in "*?[") else p in key for p in wanted)

    return [case for case in cases if matches(case.key)]
