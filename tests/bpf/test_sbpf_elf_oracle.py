"""Agave's loader and verifier as the oracle: LiteSVM (solders) loads the shipped ELFs and seeded
mutants of them, hand-built v3 layouts, and random programs of every sBPF version wrapped in an ELF;
jitvm must accept exactly what it accepts and reject the rest with the same error (ElfError /
VerifyError kind against Agave's message, and the same instruction for a verifier error)."""

import random
import re
import struct

import pytest

from jitvm.bpf.elf import load_elf
from jitvm.bpf.errors import ElfError, VerifyError
from jitvm.bpf.instruction import Word, encode_words
from jitvm.bpf.syscalls import default_syscalls
from jitvm.bpf.table import profile_table
from jitvm.bpf.verifier import verify

from .fixtures import FIXTURES, SBPF, files
from .test_sbpf_elf_mutants import mutate

litesvm = pytest.importorskip("solders.litesvm")
Pubkey = pytest.importorskip("solders.pubkey").Pubkey

PROGRAMS = files(SBPF, "*.so") + files(FIXTURES.parent / "svm" / "programs", "*.so")
# Agave's syscalls (a program loaded with an unknown one is still accepted: LiteSVM loads with
# reject_broken_elfs off, but a hash collision with one of them is not).
AGAVE_SYSCALLS = ["abort", "sol_panic_", "sol_log_", "sol_log_64_", "sol_log_pubkey", "sol_log_compute_units_", "sol_log_data", "sol_create_program_address", "sol_try_find_program_address", "sol_sha256", "sol_keccak256", "sol_secp256k1_recover", "sol_blake3", "sol_curve_validate_point", "sol_curve_group_op", "sol_curve_multiscalar_mul", "sol_get_clock_sysvar", "sol_get_epoch_schedule_sysvar", "sol_get_fees_sysvar", "sol_get_rent_sysvar", "sol_get_last_restart_slot", "sol_get_epoch_rewards_sysvar", "sol_memcpy_", "sol_memmove_", "sol_memset_", "sol_memcmp_", "sol_get_processed_sibling_instruction", "sol_get_stack_height", "sol_set_return_data", "sol_get_return_data", "sol_invoke_signed_c", "sol_invoke_signed_rust", "sol_alt_bn128_group_op", "sol_big_mod_exp", "sol_poseidon", "sol_remaining_compute_units", "sol_alt_bn128_compression", "sol_get_sysvar", "sol_get_epoch_stake"]
# jitvm's error kind -> the start of Agave's message for it
AGAVE_MESSAGES = {
    "FailedToParse": "Failed to parse ELF file", "EntrypointOutOfBounds": "Entrypoint out of bounds",
    "InvalidEntrypoint": "Invalid entrypoint", "UnresolvedSymbol": "Unresolved symbol",
    "RelativeJumpOutOfBounds": "Relative jump out of bounds", "SymbolHashCollision": "Symbol hash collision",
    "WrongAbi": "Incompatible ELF: wrong ABI", "WrongMachine": "Incompatible ELF: wrong machine",
    "WrongClass": "Incompatible ELF: wrong class", "WrongType": "Incompatible ELF: wrong type",
    "NotOneTextSection": "Multiple or no text sections", "WritableSectionNotSupported": "Found writable section",
    "InvalidVirtualAddress": "Relocation failed, invalid referenced virtual address",
    "UnknownRelocation": "Relocation failed, unknown type", "UnknownSymbol": "Unknown symbol with index",
    "ValueOutOfBounds": "Offset or value is out of bounds", "InvalidProgramHeader": "Invalid ELF program header",
    "UnsupportedSBPFVersion": "Detected sbpf_version required by the executable which are not enabled",
    # the verifier's, after "Verifier error: "
    "ProgramLengthNotMultiple": "program length must be a multiple", "NoProgram": "no program set",
    "DivisionByZero": "division by 0", "UnsupportedLEBEArgument": "unsupported argument for LE/BE",
    "LDDWCannotBeLast": "LD_DW instruction cannot be last", "IncompleteLDDW": "incomplete LD_DW instruction",
    "JumpOutOfCode": "jump out of code to", "JumpToMiddleOfLDDW": "jump to middle of LD_DW",
    "InvalidSourceRegister": "invalid source register", "CannotWriteR10": "cannot write into register r10",
    "InvalidDestinationRegister": "invalid destination register", "UnknownOpCode": "unknown eBPF opcode",
    "ShiftWithOverflow": "Shift with overflow", "InvalidRegister": "Invalid register specified",
    "UnalignedImmediate": "Unaligned immediate",
}
VERIFIER = "Verifier error: "


@pytest.fixture(scope="module")
def agave():
    svm = litesvm.LiteSVM()

    def load(data: bytes) -> str:
        try:
            svm.add_program(Pubkey.new_unique(), data)
            return "ok"
        except Exception as error:  # noqa: BLE001 - LiteSVM raises one error type per binding version
            return str(error)
    return load


def syscalls():
    registry = default_syscalls()
    known = set(registry.names().values())
    for name in AGAVE_SYSCALLS:
        if name not in known:
            registry.register_syscall(name, lambda *arguments: 0)
    return registry


def jitvm(data: bytes) -> tuple[str, str]:
    """("ok", ""), or (kind, message) of the rejection."""
    try:
        verify(load_elf(data, syscalls=syscalls(), reject_broken_elfs=False))
        return "ok", ""
    except ElfError as error:
        return error.kind, str(error)
    except VerifyError as error:
        return "verify:" + str(error.kind), str(error)


def same_outcome(data: bytes, agave) -> None:
    (kind, message), expected = jitvm(data), agave(data)
    if kind == "ok" or expected == "ok":
        assert kind == expected, (kind, message, expected)
        return
    if kind.startswith("verify:"):
        assert expected.startswith(VERIFIER + AGAVE_MESSAGES[kind[len("verify:"):]]), (message, expected)
    else:
        assert expected.startswith(AGAVE_MESSAGES[kind]), (message, expected)


@pytest.mark.parametrize("path", PROGRAMS, ids=lambda path: path.name)
def test_shipped_elfs_and_their_mutants_load_as_in_agave(path, agave):
    original = path.read_bytes()
    same_outcome(original, agave)
    rng = random.Random(f"oracle:{path.name}")
    for _ in range(20):
        same_outcome(mutate(original, rng), agave)


@pytest.mark.slow
@pytest.mark.parametrize("path", PROGRAMS, ids=lambda path: path.name)
def test_many_mutants_load_as_in_agave(path, agave):
    original = path.read_bytes()
    rng = random.Random(f"oracle-slow:{path.name}")
    for _ in range(400):
        same_outcome(mutate(original, rng), agave)


# -- sBPF v3 layouts built by hand (the strict loader) ---------------------------------------------

R, X, PT_LOAD, PT_NULL, PT_DYNAMIC = 4, 1, 1, 0, 2
CODE = bytes([0xB7, 0, 0, 0, 42, 0, 0, 0]) + bytes([0x95]) + bytes(7)


def v3_elf(segments, entry=1 << 32, machine=247, extra=b"", phnum=None, pad=0) -> bytes:
    """A v3 file header, the program headers, then the segments' bytes one after the other.
    A segment is (type, flags, vaddr, payload[, offset]); the offset defaults to where it lands."""
    offset = 64 + 56 * len(segments)
    table, body = b"", b""
    for segment in segments:
        kind, flags, vaddr, payload = segment[:4]
        at = segment[4] if len(segment) > 4 else offset
        table += struct.pack("<IIQQQQQQ", kind, flags, at, vaddr, vaddr, len(payload), len(payload), 8)
        body += payload
        offset += len(payload)
    ident = b"\x7fELF\x02\x01\x01\x00" + bytes([pad]) + bytes(7)
    header = struct.pack("<16sHHIQQQIHHHHHH", ident, 3, machine, 1, entry, 64, 0, 3, 64, 56,
                         len(segments) if phnum is None else phnum, 64, 0, 0)
    return header + table + body + extra


V3_LAYOUTS = {
    "bytecode only": v3_elf([(PT_LOAD, X, 1 << 32, CODE)]),
    "rodata then bytecode": v3_elf([(PT_LOAD, R, 0, b"abcdefgh"), (PT_LOAD, X, 1 << 32, CODE)]),
    "bytecode, then ignored headers": v3_elf([(PT_LOAD, X, 1 << 32, CODE), (PT_LOAD, R, 8, b"abcdefgh"),
                                              (PT_DYNAMIC, 0, 0, bytes(16))]),
    "empty rodata": v3_elf([(PT_LOAD, R, 0, b""), (PT_LOAD, X, 1 << 32, CODE)]),
    "dynamic first": v3_elf([(PT_DYNAMIC, 0, 0, b""), (PT_LOAD, X, 1 << 32, CODE)]),
    "two rodata": v3_elf([(PT_LOAD, R, 0, b"abcdefgh"), (PT_LOAD, R, 8, b"abcdefgh"), (PT_LOAD, X, 1 << 32, CODE)]),
    "rodata of 12 bytes": v3_elf([(PT_LOAD, R, 0, b"abcdefghijkl"), (PT_LOAD, X, 1 << 32, CODE)]),
    "a gap before the bytecode": v3_elf([(PT_LOAD, X, 1 << 32, CODE, 64 + 56 + 8)], extra=bytes(8)),
    "bytecode of 12 bytes": v3_elf([(PT_LOAD, X, 1 << 32, CODE + bytes(4))]),
    "bytecode at +8": v3_elf([(PT_LOAD, X, (1 << 32) + 8, CODE)], entry=(1 << 32) + 8),
    "empty bytecode": v3_elf([(PT_LOAD, X, 1 << 32, b"")], extra=bytes(16)),
    "empty bytecode at the end": v3_elf([(PT_LOAD, X, 1 << 32, b"")]),
    "no program headers": v3_elf([], phnum=0),
    "rodata only": v3_elf([(PT_LOAD, R, 0, b"abcdefgh")], extra=bytes(16)),
    "entry past the bytecode": v3_elf([(PT_LOAD, X, 1 << 32, CODE)], entry=(1 << 32) + 16),
    "EM_SBPF": v3_elf([(PT_LOAD, X, 1 << 32, CODE)], machine=263),
    "padding in e_ident": v3_elf([(PT_LOAD, X, 1 << 32, CODE)], pad=1),
    "more headers than the file": v3_elf([(PT_LOAD, X, 1 << 32, CODE)], phnum=5),
}


@pytest.mark.parametrize("name", sorted(V3_LAYOUTS))
def test_v3_layouts_load_as_in_agave(name, agave):
    same_outcome(V3_LAYOUTS[name], agave)


# -- the verifier: random programs in every version ---------------------------------------------------

EXIT_WORD = Word(0x95, 0, 0, 0, 0)


def v0_elf(code: bytes, version: int = 0) -> bytes:
    """The smallest file the lenient loader takes: .text at offset 64 (= its address), .shstrtab."""
    names = b"\0.text\0.shstrtab\0"
    names_at = 64 + len(code)
    headers_at = (names_at + len(names) + 7) // 8 * 8
    header = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + bytes(9), 3, 247, 1, 64, 0, headers_at,
                         version, 64, 56, 0, 64, 3, 2)
    body = header + code + names
    body += bytes(headers_at - len(body))
    return body + bytes(64) + struct.pack("<IIQQQQIIQQ", 1, 1, 6, 64, 64, len(code), 0, 0, 8, 0) \
        + struct.pack("<IIQQQQIIQQ", 7, 3, 0, 0, names_at, len(names), 0, 0, 1, 0)


def elf_of(words, version: int) -> bytes:
    code = encode_words(words)
    return v3_elf([(PT_LOAD, X, 1 << 32, code)]) if version == 3 else v0_elf(code, version)


def same_verdict(words, version: int, agave) -> None:
    """Same outcome, and a verifier error at the same instruction."""
    data = elf_of(words, version)
    same_outcome(data, agave)
    kind, message = jitvm(data)
    where = re.search(r"(?:insn #|at instruction )(\d+)\)?$", agave(data))
    if kind.startswith("verify:") and where:
        assert f"instruction {where.group(1)}:" in message, (words, message, agave(data))


def random_words(rng: random.Random, opcodes: list[int]) -> list:
    words = []
    for _ in range(rng.randint(1, 4)):
        opcode = rng.choice(opcodes) if rng.random() < 0.9 else rng.randrange(256)
        register = (lambda: rng.randrange(16)) if rng.random() < 0.2 else (lambda: rng.randrange(11))
        words.append(Word(opcode, register(), register(), rng.randint(-4, 4),
                          rng.choice((0, 1, 8, 16, 31, 32, 63, 64, -1, rng.getrandbits(31)))))
    return words + [EXIT_WORD]


@pytest.mark.parametrize("version", (0, 1, 2, 3))
def test_random_programs_verify_as_in_agave(version, agave):
    rng = random.Random(f"verifier:{version}")
    opcodes = sorted({row.opcode for row in profile_table(f"sbpf-v{version}").instructions})
    for _ in range(150):
        same_verdict(random_words(rng, opcodes), version, agave)


@pytest.mark.slow
@pytest.mark.parametrize("version", (0, 1, 2, 3))
def test_many_random_programs_verify_as_in_agave(version, agave):
    rng = random.Random(f"verifier-slow:{version}")
    opcodes = sorted({row.opcode for row in profile_table(f"sbpf-v{version}").instructions})
    for _ in range(3000):
        same_verdict(random_words(rng, opcodes), version, agave)


@pytest.mark.parametrize("version", (0, 1, 2, 3))
@pytest.mark.parametrize("words", [
    [Word(0x04, 0, 3, 0, 10)],               # add32 r0, 10 with src 3: runs
    [Word(0x18, 0, 5, 0, 1), Word(0, 0, 0, 0, 0)],  # lddw with src 5 (v2: no lddw)
    [Word(0x15, 10, 0, 0, 57)],              # jeq r10, 57
    [Word(0x8D, 0, 0, 0, 10)],               # callx r10 (v0/v1: imm)
    [Word(0x8D, 10, 10, 0, 0)],              # callx r10 (v2: src, v3: dst)
    [Word(0x07, 10, 0, 0, -64)],             # add r10, -64
    [Word(0x07, 10, 0, 0, -32)],
], ids=lambda value: str(value))
def test_the_issues_cases_verify_as_in_agave(words, version, agave):
    same_verdict([*words, EXIT_WORD], version, agave)
