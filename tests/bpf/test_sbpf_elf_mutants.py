"""Malformed ELFs: the shipped sBPF programs, truncated, with bytes flipped, header fields overwritten
and section headers duplicated (a seeded generator), must either load or fail with jitvm's own
errors (ElfError, or VerifyError when the bytecode is checked), never anything else; and those that
load run within their budget without escaping their memory, equal on every engine."""

import random
import struct

import pytest

from jitvm.bpf.elf import load_elf
from jitvm.bpf.engines import run
from jitvm.bpf.errors import ElfError, VerifyError
from jitvm.bpf.syscalls import default_syscalls, sol_log
from jitvm.bpf.verifier import verify

from .fixtures import FIXTURES, SBPF, files, private_jit_cache  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_jit_cache")

PROGRAMS = FIXTURES.parent / "svm" / "programs"
SMALL = files(SBPF, "*.so")
LARGE = files(PROGRAMS, "*.so")
BUDGET = 3_000
FILE_HEADER_SIZE, SECTION_HEADER_SIZE = 64, 64
INTERESTING = (0, 1, 7, 8, 0x40, 0x120, 0x7FFF_FFFF, 0xFFFF_FFFF, 1 << 63, (1 << 64) - 1)


def syscalls():
    registry = default_syscalls()
    registry.register_syscall("log", sol_log)
    return registry


def section_headers(data: bytes) -> tuple[int, int]:
    """(e_shoff, e_shnum) as the file says, whatever they are."""
    if len(data) < FILE_HEADER_SIZE:
        return 0, 0
    return struct.unpack_from("<Q", data, 40)[0], struct.unpack_from("<H", data, 60)[0]


def mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    kind = rng.choice(("truncate", "flip", "flip_header", "field", "duplicate_section", "duplicate_section"))
    shoff, shnum = section_headers(bytes(data))
    headers_in_file = 0 < shnum and shoff + shnum * SECTION_HEADER_SIZE <= len(data)
    if kind == "truncate":
        return bytes(data[:rng.randrange(len(data))])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= rng.randint(1, 255)
    elif kind == "flip_header" or not headers_in_file:
        tables = [(0, FILE_HEADER_SIZE)] + ([(shoff, shoff + shnum * SECTION_HEADER_SIZE)] if headers_in_file else [])
        start, stop = rng.choice(tables)
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(start, stop)] ^= 1 << rng.randrange(8)
    elif kind == "field":  # one 8-byte field of a section header: offset, size, address...
        at = shoff + rng.randrange(shnum) * SECTION_HEADER_SIZE + rng.choice((0, 8, 16, 24, 32, 40))
        struct.pack_into("<Q", data, at, rng.choice(INTERESTING) if rng.random() < 0.7 else rng.getrandbits(64))
    else:  # a section header copied over another: two sections of one name, one kind, one place
        source, target = rng.randrange(shnum), rng.randrange(shnum)
        entry = data[shoff + source * SECTION_HEADER_SIZE:shoff + (source + 1) * SECTION_HEADER_SIZE]
        data[shoff + target * SECTION_HEADER_SIZE:shoff + (target + 1) * SECTION_HEADER_SIZE] = entry
    return bytes(data)


def load_or_reject(data: bytes, rng: random.Random):
    """The program, or None after one of jitvm's own errors; anything else fails the test."""
    try:
        program = load_elf(data, "<mutant>", syscalls=syscalls(), reject_broken_elfs=rng.random() < 0.5)
        verify(program)
        return program
    except (ElfError, VerifyError):
        return None


def check_mutants(path, seed: int, count: int, engines=("reference",)) -> int:
    original = path.read_bytes()
    rng = random.Random(f"{path.name}:{seed}")
    loaded = 0
    for number in range(count):
        mutant = mutate(original, rng)
        program = load_or_reject(mutant, rng)
        if program is None:
            continue
        loaded += 1
        results = [run(program, bytes(64), engine=engine, helpers=syscalls(), compute_budget=BUDGET)
                   for engine in engines]
        for result in results:
            assert result.compute_units <= BUDGET, (path.name, number)
            assert (result.error is None) != (result.r0 is None), (path.name, number)
        assert all(result.summary() == results[0].summary() for result in results), (path.name, number)
    return loaded


@pytest.mark.parametrize("path", SMALL, ids=lambda path: path.name)
def test_mutants_of_the_sbpf_test_programs(path):
    check_mutants(path, seed=0, count=12, engines=("reference", "baseline", "jit"))


@pytest.mark.parametrize("path", LARGE, ids=lambda path: path.name)
def test_mutants_of_the_solana_programs(path):
    check_mutants(path, seed=0, count=4)


@pytest.mark.slow
@pytest.mark.parametrize("path", SMALL + LARGE, ids=lambda path: path.name)
def test_many_mutants(path):
    check_mutants(path, seed=1, count=200 if path in SMALL else 25, engines=("reference", "baseline"))


def test_the_generator_produces_loading_and_rejected_mutants():
    """The mutations are neither all fatal nor all harmless (so the checks above see both)."""
    outcomes = set()
    for path in SMALL:
        rng = random.Random(path.name)
        for _ in range(10):
            outcomes.add(load_or_reject(mutate(path.read_bytes(), rng), rng) is None)
    assert outcomes == {True, False} or not SMALL
