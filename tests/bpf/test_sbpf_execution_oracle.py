"""Execution against Agave itself: random straight-line programs of every sBPF version (ALU, byte
swaps, stack loads and stores, forward jumps) and calls that show the frame pointer, run as LiteSVM
transactions and on jitvm's engines. A program that exits gives r0 (masked to 16 bits, Agave's
custom error code) and the compute units; one that fails must fail as Agave names it. (Agave's
runtime charges the whole budget after a VM error; that is the runtime's rule, not the VM's, so
units are compared for programs that exit.)"""

import random

import pytest

from jitvm.bpf.elf import load_elf
from jitvm.bpf.engines import run
from jitvm.bpf.errors import ErrorCode, VerifyError
from jitvm.bpf.table import profile_table
from jitvm.bpf.verifier import verify

from .fixtures import private_jit_cache  # noqa: F401
from .test_sbpf_elf_oracle import Word, encode_words, v0_elf, v3_elf
from .test_sbpf_syscall_oracle import agave

pytest.importorskip("solders.litesvm")
pytestmark = pytest.mark.usefixtures("private_jit_cache")

_SEMANTICS = {"add", "sub", "mul", "div", "mod", "or", "and", "xor", "lsh", "rsh", "arsh", "neg", "mov", "le", "be",
              "hor", "uhmul", "shmul", "sdiv", "smod", "load", "store_imm", "store_reg", "ja", "jeq", "jne", "jgt",
              "jge", "jlt", "jle", "jset", "jsgt", "jsge", "jslt", "jsle", "lddw"}
_AGAVE_FAILURES = {ErrorCode.DIVIDE_BY_ZERO: "divide by zero at BPF instruction",
                   ErrorCode.DIVIDE_OVERFLOW: "division overflow at BPF instruction",
                   ErrorCode.ACCESS_VIOLATION: "Access violation in"}
_JUMPS = ("jump", "jump_imm", "jump_reg")
EXIT = Word(0x95, 0, 0, 0, 0)
AND32_IMM, MOV64_IMM = 0x54, 0xB7


def random_program(version: int, rng: random.Random) -> list:
    table = profile_table(f"sbpf-v{version}")
    rows = [row for row in table.instructions if row.semantics in _SEMANTICS]
    words = [Word(MOV64_IMM, register, 0, 0, rng.choice((0, 1, -1, 7, 0x7FFFFFFF, -0x80000000, rng.getrandbits(31))))
             for register in range(10) if register != 1]
    body = []
    count = rng.randint(3, 12)
    for index in range(count):
        row = rng.choice(rows)
        dst, src, off = rng.randrange(10), rng.randrange(10), 0
        imm = rng.choice((0, 1, -1, 2, 3, 16, 31, 32, 63, 64, 0x7FFFFFFF, rng.getrandbits(31)))
        if row.semantics in ("le", "be"):
            imm = rng.choice((16, 32, 64))
        if row.source == "imm" and row.rules.get("sbpf_shift_imm"):
            imm = rng.randrange(row.width)
        if row.source == "imm" and row.rules.get("nonzero_imm_sbpf") and imm == 0:
            imm = 3
        if row.semantics == "load":
            src, off = 10, -8 * rng.randint(1, 8)
        elif row.semantics in ("store_imm", "store_reg"):
            dst, off = 10, -8 * rng.randint(1, 8)
        elif row.form in _JUMPS:
            off = rng.randint(0, count - index - 1)
        if row.slots == 2:
            body += [Word(row.opcode, dst, 0, 0, imm), Word(0, 0, 0, 0, rng.getrandbits(31))]
        else:
            body.append(Word(row.opcode, dst, src, off, imm))
    # jumps go forward, at most to the masking instruction after the body
    body = [Word(word.opcode, word.dst, word.src, min(word.off, len(body) - position - 1), word.imm)
            if (row := table.decode(word.opcode, word.src, word.off, word.imm)) is not None and row.form in _JUMPS
            else word for position, word in enumerate(body)]
    return words + body + [Word(AND32_IMM, 0, 0, 0, 0xFFFF), EXIT]


def elf_of(words, version: int) -> bytes:
    code = encode_words(words)
    return v3_elf([(1, 1, 1 << 32, code)]) if version == 3 else v0_elf(code, version)


def same_as_agave(words, version: int, engines=("reference", "baseline")) -> bool:
    """False if jitvm's verifier rejects the program (the oracle tests that part elsewhere)."""
    elf = elf_of(words, version)
    program = load_elf(elf)
    try:
        verify(program)
    except VerifyError:
        return False
    units, _logs, failure = agave(elf)
    results = [run(program, b"", engine=engine) for engine in engines]
    result = results[0]
    assert all(other.summary() == result.summary() for other in results), results
    if result.error is None:
        assert result.compute_units == units, (words, result, units)
        assert failure == (None if result.r0 == 0 else f"custom program error: {result.r0:#x}"), (result, failure)
    else:
        assert failure is not None and failure.startswith(_AGAVE_FAILURES[result.error.code]), (result, failure)
    return True


@pytest.mark.parametrize("version", (0, 1, 2, 3))
def test_random_programs_run_as_in_agave(version):
    rng = random.Random(f"execution:{version}")
    checked = sum(same_as_agave(random_program(version, rng), version, ("reference", "baseline", "jit")
                                if number % 8 == 0 else ("reference", "baseline")) for number in range(40))
    assert checked >= 30


@pytest.mark.slow
@pytest.mark.parametrize("version", (0, 1, 2, 3))
def test_many_random_programs_run_as_in_agave(version):
    rng = random.Random(f"execution-slow:{version}")
    for _ in range(600):
        same_as_agave(random_program(version, rng), version)


@pytest.mark.parametrize("version", (0, 1, 2, 3))
def test_the_callee_sees_r10_as_in_agave(version):
    """v0: the next frame after a gap; v1/v2: where `add r10, -64` left it; v3: the next frame."""
    bump = [Word(0x07, 10, 0, 0, -64)] if version in (1, 2) else []
    call = Word(0x85, 0, 1 if version == 3 else 0, 0, 2)  # two words ahead (v0-v2: turned into a key)
    words = [*bump, call, EXIT, EXIT, Word(0xBF, 0, 10, 0, 0), Word(0x57, 0, 0, 0, 0xFFFFF), EXIT]
    assert same_as_agave(words, version, ("reference", "baseline", "jit"))


@pytest.mark.parametrize("address", (0, 8, 1 << 32))
def test_v3_maps_its_read_only_data_but_not_its_bytecode(address):
    words = [Word(0x18, 1, 0, 0, address & 0xFFFFFFFF), Word(0, 0, 0, 0, address >> 32), Word(0x71, 0, 1, 0, 0), EXIT]
    elf = v3_elf([(1, 4, 0, b"\x05" * 8), (1, 1, 1 << 32, encode_words(words))])
    _units, _logs, failure = agave(elf)
    result = run(load_elf(elf), b"")
    if address == 0:
        assert (result.r0, failure) == (5, "custom program error: 0x5")
    else:
        assert failure.startswith("Access violation") and result.error.code is ErrorCode.ACCESS_VIOLATION


@pytest.mark.parametrize("offset", (0, 64, 70, 200))
def test_v0_maps_its_read_only_region_from_the_region_start(offset):
    """The lenient loader maps 0x1_0000_0000 up to the end of the last read-only section, zeros
    where no section is (here .text is at 64): reads of those succeed, past the end they fail."""
    address = (1 << 32) + offset
    words = [Word(0x18, 1, 0, 0, address & 0xFFFFFFFF), Word(0, 0, 0, 0, address >> 32), Word(0x71, 0, 1, 0, 0), EXIT]
    assert same_as_agave(words, 0, ("reference", "baseline", "jit"))
