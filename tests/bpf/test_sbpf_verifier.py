"""sBPF verification as Solana's verifier does it (anza-xyz/sbpf `RequisiteVerifier`): each rule, the
name of its error, the instruction it reports, and the fields it leaves alone. Programs that pass
run equal on every engine."""

import pytest

from jitvm.bpf.engines import run
from jitvm.bpf.errors import ErrorCode, VerifyError
from jitvm.bpf.instruction import Word, encode_words
from jitvm.bpf.program import Program
from jitvm.bpf.table import profile_table
from jitvm.bpf.verifier import verify

from .fixtures import private_jit_cache  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_jit_cache")

ENGINES = ("reference", "baseline", "jit")
VERSIONS = ("sbpf-v0", "sbpf-v1", "sbpf-v2", "sbpf-v3")
EXIT = Word(0x95, 0, 0, 0, 0)
MOV64_IMM, ADD32_IMM, ADD64_IMM, LDDW, JEQ_IMM, JA, CALL, CALLX = 0xB7, 0x04, 0x07, 0x18, 0x15, 0x05, 0x85, 0x8D
HOR64 = 0xF7


def program(profile, *words):
    return Program(encode_words(words), profile=profile, source="<test>")


def rejection(profile, *words) -> VerifyError:
    with pytest.raises(VerifyError) as caught:
        verify(program(profile, *words))
    return caught.value


def runs_everywhere(prog, **options):
    results = [run(prog, b"", engine=engine, **options) for engine in ENGINES]
    assert all(result.summary() == results[0].summary() for result in results), [r.summary() for r in results]
    return results[0]


# -- fields Solana never looks at ------------------------------------------------------------------

@pytest.mark.parametrize("profile", VERSIONS)
def test_alu_immediate_ignores_src_and_off(profile):
    result = runs_everywhere(program(profile, Word(ADD32_IMM, 0, 7, 3, 10), EXIT))
    assert result.r0 == 10


@pytest.mark.parametrize("profile", ("sbpf-v0", "sbpf-v1", "sbpf-v3"))
def test_lddw_ignores_src_and_the_second_words_fields(profile):
    result = runs_everywhere(program(profile, Word(LDDW, 0, 5, 9, 0x11), Word(0, 3, 4, 7, 0x22), EXIT))
    assert result.r0 == 0x22_0000_0011


def test_div_ignores_off_in_sbpf():
    result = runs_everywhere(program("sbpf-v0", Word(MOV64_IMM, 0, 0, 0, 9), Word(0x37, 0, 0, 1, 2), EXIT))
    assert result.r0 == 4  # unsigned division even with off = 1 (eBPF's sdiv)


def test_exit_and_jumps_ignore_unused_fields():
    result = runs_everywhere(program("sbpf-v0", Word(JA, 3, 4, 0, 99), Word(0x95, 0, 5, 7, 8)))
    assert result.r0 == 0


# -- r10 and register numbers ----------------------------------------------------------------------

@pytest.mark.parametrize("profile", VERSIONS)
def test_jump_on_r10_is_cannot_write_r10(profile):
    error = rejection(profile, Word(JEQ_IMM, 10, 0, 0, 57), EXIT)
    assert (error.kind, error.pc) == ("CannotWriteR10", 0)


@pytest.mark.parametrize("profile", VERSIONS)
def test_exit_and_call_with_dst_r10_are_rejected(profile):
    assert rejection(profile, Word(0x95, 10, 0, 0, 0)).kind == "CannotWriteR10"
    assert rejection(profile, Word(CALL, 10, 0, 0, 0), EXIT).kind == "CannotWriteR10"


@pytest.mark.parametrize("profile,field", [("sbpf-v0", "imm"), ("sbpf-v1", "imm"), ("sbpf-v2", "src"),
                                           ("sbpf-v3", "dst")])
def test_callx_r10_is_an_invalid_register(profile, field):
    fields = {"dst": 0, "src": 0, "imm": 0, field: 10}
    error = rejection(profile, Word(CALLX, fields["dst"], fields["src"], 0, fields["imm"]), EXIT)
    assert (error.kind, error.pc) == ("InvalidRegister", 0)


def test_callx_v0_checks_dst_like_any_instruction():
    assert rejection("sbpf-v0", Word(CALLX, 10, 0, 0, 1), EXIT).kind == "CannotWriteR10"


def test_stores_may_address_through_r10():
    prog = program("sbpf-v0", Word(0x7A, 10, 0, -8, 5), Word(0x79, 0, 10, -8, 0), EXIT)  # stdw, ldxdw
    assert runs_everywhere(prog).r0 == 5


def test_register_numbers_above_r10():
    assert rejection("sbpf-v0", Word(0x79, 0, 11, 0, 0), EXIT).kind == "InvalidSourceRegister"
    assert rejection("sbpf-v0", Word(0x7A, 11, 0, 0, 0), EXIT).kind == "InvalidDestinationRegister"
    assert rejection("sbpf-v0", Word(MOV64_IMM, 12, 0, 0, 0), EXIT).kind == "InvalidDestinationRegister"


def test_lddw_into_r10_is_reported_at_its_second_word():
    error = rejection("sbpf-v0", Word(LDDW, 10, 0, 0, 1), Word(0, 0, 0, 0, 0), EXIT)
    assert (error.kind, error.pc) == ("CannotWriteR10", 1)


@pytest.mark.parametrize("profile", ("sbpf-v1", "sbpf-v2"))
def test_dynamic_frames_bump_r10_by_multiples_of_64(profile):
    assert program(profile, Word(ADD64_IMM, 10, 0, 0, -64), EXIT).decoded
    error = rejection(profile, Word(ADD64_IMM, 10, 0, 0, 32), EXIT)
    assert (error.kind, error.pc) == ("UnalignedImmediate", 0)
    assert rejection(profile, Word(ADD32_IMM, 10, 0, 0, 64), EXIT).kind == "CannotWriteR10"


@pytest.mark.parametrize("profile", ("sbpf-v0", "sbpf-v3"))
def test_fixed_frames_never_write_r10(profile):
    assert rejection(profile, Word(ADD64_IMM, 10, 0, 0, 64), EXIT).kind == "CannotWriteR10"


def test_hor64_into_r10_v2():
    assert rejection("sbpf-v2", Word(HOR64, 10, 0, 0, 1), EXIT).kind == "CannotWriteR10"


# -- immediates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("profile,opcode", [("sbpf-v0", 0x37), ("sbpf-v0", 0x94), ("sbpf-v2", 0x46), ("sbpf-v2", 0xE6)])
def test_constant_zero_divisor(profile, opcode):
    assert rejection(profile, Word(opcode, 0, 0, 0, 0), EXIT).kind == "DivisionByZero"


@pytest.mark.parametrize("opcode,imm", [(0x64, 32), (0x67, 64), (0x77, -1), (0xC4, 40)])
def test_constant_shift_beyond_the_width(opcode, imm):
    error = rejection("sbpf-v0", Word(opcode, 0, 0, 0, imm), EXIT)
    assert error.kind == "ShiftWithOverflow"


@pytest.mark.parametrize("opcode", (0xD4, 0xDC))
def test_byte_swap_width(opcode):
    assert rejection("sbpf-v0", Word(opcode, 0, 0, 0, 17), EXIT).kind == "UnsupportedLEBEArgument"


# -- lddw, jumps, opcodes, lengths ---------------------------------------------------------------------

def test_lddw_rules():
    assert rejection("sbpf-v0", EXIT, Word(LDDW, 0, 0, 0, 1)).kind == "LDDWCannotBeLast"
    error = rejection("sbpf-v0", Word(LDDW, 0, 0, 0, 1), EXIT, EXIT)
    assert (error.kind, error.pc) == ("IncompleteLDDW", 0)


def test_jump_rules():
    error = rejection("sbpf-v0", Word(JA, 0, 0, 5, 0), EXIT)
    assert (error.kind, error.pc) == ("JumpOutOfCode", 0)
    error = rejection("sbpf-v0", Word(JA, 0, 0, 1, 0), Word(LDDW, 0, 0, 0, 1), Word(0, 0, 0, 0, 0), EXIT)
    assert (error.kind, error.pc) == ("JumpToMiddleOfLDDW", 0)


def test_rules_apply_in_program_order():
    assert rejection("sbpf-v0", Word(JA, 0, 0, 9, 0), Word(0xFF, 0, 0, 0, 0)).kind == "JumpOutOfCode"
    error = rejection("sbpf-v0", Word(0xFF, 0, 0, 0, 0), Word(JA, 0, 0, 9, 0))
    assert (error.kind, error.pc) == ("UnknownOpCode", 0)


@pytest.mark.parametrize("profile,opcode", [("sbpf-v2", LDDW), ("sbpf-v2", 0x84), ("sbpf-v0", HOR64),
                                            ("sbpf-v0", 0x16), ("sbpf-v1", 0xFF)])
def test_opcodes_outside_the_version(profile, opcode):
    assert rejection(profile, Word(opcode, 0, 0, 0, 1), EXIT, EXIT).kind == "UnknownOpCode"


def test_lengths():
    with pytest.raises(VerifyError) as caught:
        verify(Program(b"\x95" + bytes(8), profile="sbpf-v0"))
    assert caught.value.kind == "ProgramLengthNotMultiple"
    with pytest.raises(VerifyError) as caught:
        verify(Program(b"", profile="sbpf-v0"))
    assert caught.value.kind == "NoProgram"


# -- calls: checked when they run, not by the verifier ------------------------------------------------

def test_v3_call_with_another_src_is_unsupported_when_it_runs():
    result = runs_everywhere(program("sbpf-v3", Word(MOV64_IMM, 0, 0, 0, 1), Word(CALL, 0, 5, 0, 0), EXIT))
    assert result.error.code is ErrorCode.INVALID_INSTRUCTION and result.error.pc == 1
    assert "UnsupportedInstruction" in result.error.detail


def test_v3_local_call_outside_the_program_fails_before_pushing_a_frame():
    result = runs_everywhere(program("sbpf-v3", Word(CALL, 0, 1, 0, 50), EXIT))
    assert result.error.code is ErrorCode.INVALID_INSTRUCTION and result.error.pc == 0
    assert result.instructions == 1 and "UnsupportedInstruction" in result.error.detail


# -- random words: only VerifyError, and what passes runs equal everywhere ----------------------------

@pytest.mark.parametrize("profile", VERSIONS)
def test_random_words_verify_or_are_rejected_and_run_equal(profile):
    import random

    rng = random.Random(profile)
    opcodes = sorted({row.opcode for row in profile_table(profile).instructions})
    accepted = 0
    for number in range(150):
        words = []
        for _ in range(rng.randint(1, 4)):
            opcode = rng.choice(opcodes) if rng.random() < 0.9 else rng.randrange(256)
            words.append(Word(opcode, rng.randrange(16) if rng.random() < 0.2 else rng.randrange(10),
                              rng.randrange(16) if rng.random() < 0.2 else rng.randrange(10),
                              rng.randint(-4, 4), rng.choice((0, 1, 8, 16, 32, 64, -1, rng.getrandbits(31)))))
        words.append(EXIT)
        prog = program(profile, *words)
        try:
            verify(prog)
        except VerifyError as error:
            assert error.kind is not None
            continue
        accepted += 1
        engines = ENGINES if number % 5 == 0 else ("reference", "baseline")
        results = [run(prog, b"\x01" * 16, engine=engine, compute_budget=50) for engine in engines]
        assert all(result.summary() == results[0].summary() for result in results), (profile, words)
    assert accepted > 10
