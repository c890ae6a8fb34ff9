"""Syscalls against Agave itself: small sBPF v3 programs calling one syscall run as a transaction in
LiteSVM (solders) and on every jitvm engine; the compute units, the program's log lines and the way
it fails (the syscall error's message, or the address and size of an access violation) must agree."""

import re

import pytest

from jitvm.bpf.elf import load_elf
from jitvm.bpf.engines import run
from jitvm.bpf.errors import ErrorCode
from jitvm.bpf.helpers import syscall_key
from jitvm.bpf.instruction import Word
from jitvm.bpf.memory import MM_HEAP_START

from .fixtures import private_jit_cache  # noqa: F401
from .test_sbpf_elf_oracle import PT_LOAD, R, X, encode_words, v3_elf

litesvm = pytest.importorskip("solders.litesvm")
solders_pubkey = pytest.importorskip("solders.pubkey")
solders_keypair = pytest.importorskip("solders.keypair")
solders_instruction = pytest.importorskip("solders.instruction")
solders_message = pytest.importorskip("solders.message")
solders_transaction = pytest.importorskip("solders.transaction")

pytestmark = pytest.mark.usefixtures("private_jit_cache")
ENGINES = ("reference", "baseline", "jit")
UNMAPPED = 0x7_0000_0000
EXIT = [Word(0xB7, 0, 0, 0, 0), Word(0x95, 0, 0, 0, 0)]


def call(name: str) -> Word:
    key = syscall_key(name)
    return Word(0x85, 0, 0, 0, key - (1 << 32) if key >= 1 << 31 else key)


def lddw(register: int, value: int) -> list:
    return [Word(0x18, register, 0, 0, value & 0xFFFFFFFF), Word(0, 0, 0, 0, value >> 32)]


def mov(register: int, value: int) -> Word:
    return Word(0xB7, register, 0, 0, value)


def hashing(name: str, result: int, slice_address: int) -> list:
    """One slice descriptor (slice_address, 8) on the heap, then the hash into `result`."""
    return [*lddw(6, MM_HEAP_START), *lddw(7, slice_address), Word(0x7B, 6, 7, 0, 0), mov(7, 8),
            Word(0x7B, 6, 7, 8, 0), Word(0xBF, 1, 6, 0, 0), mov(2, 1), *lddw(3, result), call(name), *EXIT]


# name -> (read-only data at vaddr 0, instructions)
CASES = {
    "log": (b"hello wo", [*lddw(1, 0), mov(2, 8), call("sol_log_"), *EXIT]),
    "log of invalid UTF-8": (b"hello \xff\0", [*lddw(1, 0), mov(2, 7), call("sol_log_"), *EXIT]),
    "log of a truncated sequence": (b"caf\xc3\0\0\0\0", [*lddw(1, 0), mov(2, 4), call("sol_log_"), *EXIT]),
    "sha256, result unmapped": (b"abcdefgh", hashing("sol_sha256", UNMAPPED, UNMAPPED + 64)),
    "sha256, slice unmapped": (b"abcdefgh", hashing("sol_sha256", MM_HEAP_START + 64, UNMAPPED)),
    "keccak256": (b"abcdefgh", hashing("sol_keccak256", MM_HEAP_START + 64, 0)),
    "memcpy, both unmapped": (b"abcdefgh", [*lddw(1, UNMAPPED), *lddw(2, UNMAPPED + 0x1000), mov(3, 16),
                                            call("sol_memcpy_"), *EXIT]),
    "memcpy, overlapping": (b"abcdefgh", [*lddw(1, MM_HEAP_START), *lddw(2, MM_HEAP_START + 4), mov(3, 8),
                                          call("sol_memcpy_"), *EXIT]),
    "memmove into read-only data": (b"abcdefgh", [*lddw(1, 0), *lddw(2, MM_HEAP_START), mov(3, 8),
                                                  call("sol_memmove_"), *EXIT]),
    "memset of read-only data": (b"abcdefgh", [*lddw(1, 0), mov(2, 1), mov(3, 4), call("sol_memset_"), *EXIT]),
    "memcmp": (b"abcdefgh", [*lddw(1, 0), *lddw(2, 4), mov(3, 4), *lddw(4, MM_HEAP_START), call("sol_memcmp_"),
                             *lddw(1, MM_HEAP_START), Word(0x61, 0, 1, 0, 0), Word(0x95, 0, 0, 0, 0)]),
    "memcmp, result unmapped": (b"abcdefgh", [*lddw(1, 0), *lddw(2, 4), mov(3, 4), *lddw(4, UNMAPPED),
                                              call("sol_memcmp_"), *EXIT]),
    "panic": (b"file.rs\0", [*lddw(1, 0), mov(2, 7), mov(3, 12), mov(4, 5), call("sol_panic_"), *EXIT]),
    "log_64": (b"abcdefgh", [mov(1, 1), mov(2, 2), mov(3, 3), mov(4, 4), mov(5, 0xFF), call("sol_log_64_"), *EXIT]),
    "log_pubkey": (bytes(range(32)), [*lddw(1, 0), call("sol_log_pubkey"), *EXIT]),
}


def agave(elf: bytes):
    """(compute units, the program's own log lines, None or the failure text)."""
    svm = litesvm.LiteSVM()
    program_id = solders_pubkey.Pubkey.new_unique()
    svm.add_program(program_id, elf)
    payer = solders_keypair.Keypair()
    svm.airdrop(payer.pubkey(), 10**9)
    instruction = solders_instruction.Instruction(program_id, b"", [])
    message = solders_message.Message([instruction], payer.pubkey())
    outcome = svm.send_transaction(solders_transaction.Transaction([payer], message, svm.latest_blockhash()))
    meta = _field(outcome, "meta") if hasattr(outcome, "err") else outcome  # failed, else succeeded
    logs = list(_field(meta, "logs"))
    prefix = f"Program {program_id} "
    failure = next((line[len(prefix + "failed: "):] for line in logs if line.startswith(prefix + "failed: ")), None)
    own = [line for line in logs if not line.startswith(prefix)]
    return _field(meta, "compute_units_consumed"), own, failure


def _field(record, name: str):
    """A field of a solders record (some are properties, some methods, depending on the class)."""
    value = getattr(record, name)
    return value() if callable(value) else value


@pytest.mark.parametrize("name", sorted(CASES))
def test_syscalls_run_as_in_agave(name):
    rodata, words = CASES[name]
    elf = v3_elf([(PT_LOAD, R, 0, rodata), (PT_LOAD, X, 1 << 32, encode_words(words))])
    units, logs, failure = agave(elf)
    for engine in ENGINES:
        result = run(load_elf(elf), b"", engine=engine)
        assert result.compute_units == units and result.logs == logs, (engine, result, units, logs)
        error = result.error
        if error is not None and error.code is ErrorCode.SYSCALL_ERROR:
            assert failure is not None and error.detail.split(": ", 1)[1] == failure, (error.detail, failure)
        elif error is not None and error.code is ErrorCode.ACCESS_VIOLATION:
            where = re.search(r"at address (0x[0-9a-f]+) of size (\d+)$", failure or "")
            assert where and (int(where.group(1), 16), int(where.group(2))) == (error.address, error.size), failure
        elif error is None:
            assert failure is None or failure == f"custom program error: {result.r0:#x}", failure
        else:
            raise AssertionError(f"unexpected {error}")
