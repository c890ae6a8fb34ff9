"""Syscalls as Agave runs them: strings must be UTF-8, the log keeps 10,000 bytes then says "Log
truncated", hashing checks its result before reading its input and charges a slice after reading it,
memory moves check the destination first. Every case runs equal on every engine."""

import pytest

from jitvm.bpf import Program, run, syscall_key
from jitvm.bpf.errors import ErrorCode
from jitvm.bpf.helpers import LOG_MESSAGES_BYTES_LIMIT, LOG_TRUNCATED, LogCollector
from jitvm.bpf.memory import MM_HEAP_START, MM_INPUT_START

from .fixtures import private_jit_cache  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_jit_cache")

ENGINES = ("reference", "baseline", "jit")
UNMAPPED = 0x7_0000_0000


def assemble(text: str) -> Program:
    for name in ("sol_log_", "sol_sha256", "sol_keccak256", "sol_memcpy_", "sol_memmove_", "sol_memset_", "sol_panic_"):
        key = syscall_key(name)
        text = text.replace(f"call {name}", f"call {key - (1 << 32) if key >= 1 << 31 else key}")
    return Program.from_assembly(text, profile="sbpf-v0")


def same_everywhere(program, data=b""):
    results = [run(program, data, engine=engine) for engine in ENGINES]
    assert all(result.summary() == results[0].summary() for result in results), [r.summary() for r in results]
    return results[0]


def test_invalid_utf8_in_a_log_is_an_error():
    result = same_everywhere(assemble("mov %r2, 3\ncall sol_log_\nexit"), b"ab\xff")
    assert result.error.code is ErrorCode.SYSCALL_ERROR and result.error.pc == 1
    assert result.error.detail == "InvalidString: invalid utf-8 sequence of 1 bytes from index 2: [97, 98, 255]"
    assert result.logs == [] and result.compute_units == 2 + 100  # charged before the string is read


def test_a_truncated_utf8_sequence_is_incomplete():
    result = same_everywhere(assemble("mov %r2, 3\ncall sol_log_\nexit"), b"ab\xe2")
    assert result.error.detail == "InvalidString: incomplete utf-8 byte sequence from index 2: [97, 98, 226]"


def test_valid_utf8_is_logged_as_text():
    result = same_everywhere(assemble("mov %r2, 4\ncall sol_log_\nexit"), "é€".encode()[:4])
    assert result.error.detail.startswith("InvalidString: incomplete utf-8 byte sequence from index 2: [195, 169, 226")
    result = same_everywhere(assemble("mov %r2, 5\ncall sol_log_\nexit"), "é€".encode())
    assert result.ok and result.logs == ["Program log: é€"]


def test_the_log_is_cut_at_10000_bytes():
    """Twelve messages of 1,013 bytes ("Program log: " + 1,000): nine fit, the tenth would reach
    the cap and becomes "Log truncated", the rest are dropped; each still costs its units."""
    program = assemble("""
        mov %r6, 12
        mov %r7, %r1
    loop:
        mov %r1, %r7
        mov %r2, 1000
        call sol_log_
        sub %r6, 1
        jne %r6, 0, loop
        exit""")
    result = same_everywhere(program, b"x" * 1000)
    assert result.ok
    assert result.logs == ["Program log: " + "x" * 1000] * 9 + [LOG_TRUNCATED]
    assert result.compute_units == result.instructions + 12 * 1000


def test_log_collector_counts_bytes_not_characters():
    logs = LogCollector(bytes_limit=10)
    logs.log("ééé")  # 6 bytes
    logs.log("abc")  # 9 < 10
    logs.log("d")  # 10: truncated
    logs.log("e")  # 10 again: dropped, no second notice
    logs.log("")  # 9 still fits
    assert logs == ["ééé", "abc", LOG_TRUNCATED, ""] and LOG_MESSAGES_BYTES_LIMIT == 10_000


def hash_program(name: str, slices: int, result_address: int, slice_address: int) -> Program:
    """One slice descriptor on the heap (address, length 8), then the hash syscall."""
    return assemble(f"""
        lddw %r6, {MM_HEAP_START}
        lddw %r7, {slice_address}
        stxdw [%r6], %r7
        mov %r7, 8
        stxdw [%r6+8], %r7
        mov %r1, %r6
        mov %r2, {slices}
        lddw %r3, {result_address}
        call {name}
        exit""")


@pytest.mark.parametrize("name", ("sol_sha256", "sol_keccak256"))
def test_hashing_checks_the_result_before_reading_the_slices(name):
    result = same_everywhere(hash_program(name, 1, UNMAPPED, UNMAPPED + 64))
    error = result.error
    assert error.code is ErrorCode.ACCESS_VIOLATION and error.write and error.address == UNMAPPED and error.size == 32
    assert result.compute_units == result.instructions + 85  # the base cost only


@pytest.mark.parametrize("name", ("sol_sha256", "sol_keccak256"))
def test_hashing_reads_a_slice_before_charging_for_it(name):
    result = same_everywhere(hash_program(name, 1, MM_HEAP_START + 64, UNMAPPED))
    error = result.error
    assert error.code is ErrorCode.ACCESS_VIOLATION and not error.write and error.address == UNMAPPED
    assert result.compute_units == result.instructions + 85  # the slice's 10 units never charged


def test_hashing_too_many_slices_logs_and_charges_nothing():
    result = same_everywhere(hash_program("sol_sha256", 20_001, MM_HEAP_START + 64, MM_INPUT_START))
    assert result.error.detail.startswith("TooManySlices")
    assert result.logs == ["Sha256 Hashing 20001 sequences in one syscall is over the limit 20000"]
    assert result.compute_units == result.instructions


def test_hashing_a_valid_slice():
    import hashlib

    program = assemble(f"""
        lddw %r6, {MM_HEAP_START}
        lddw %r7, {MM_INPUT_START}
        stxdw [%r6], %r7
        mov %r7, 8
        stxdw [%r6+8], %r7
        mov %r1, %r6
        mov %r2, 1
        lddw %r3, {MM_HEAP_START + 64}
        call sol_sha256
        lddw %r1, {MM_HEAP_START + 64}
        ldxdw %r0, [%r1]
        exit""")
    result = same_everywhere(program, b"abcdefgh")
    assert result.r0 == int.from_bytes(hashlib.sha256(b"abcdefgh").digest()[:8], "little")
    assert result.compute_units == result.instructions + 85 + 10


@pytest.mark.parametrize("name", ("sol_memcpy_", "sol_memmove_"))
def test_memory_moves_check_the_destination_first(name):
    program = assemble(f"""
        lddw %r1, {UNMAPPED}
        lddw %r2, {UNMAPPED + 0x1000}
        mov %r3, 16
        call {name}
        exit""")
    result = same_everywhere(program)
    assert result.error.code is ErrorCode.ACCESS_VIOLATION and result.error.write
    assert result.error.address == UNMAPPED and result.error.size == 16


def test_syscall_failures_start_with_agaves_names():
    overlapping = assemble(f"lddw %r1, {MM_HEAP_START}\nlddw %r2, {MM_HEAP_START + 4}\nmov %r3, 8\n"
                           "call sol_memcpy_\nexit")
    assert same_everywhere(overlapping).error.detail.startswith("CopyOverlapping:")
    panic = assemble("mov %r2, 3\nmov %r3, 7\nmov %r4, 9\ncall sol_panic_\nexit")
    assert same_everywhere(panic, b"a.r").error.detail == "Panic: SBF program Panicked in a.r at 7:9"


@pytest.mark.parametrize("engine", ENGINES + ("auto",))
def test_run_takes_direct_mapping(engine):
    """Through `run`: memset past the input's end writes what fits under direct mapping only, and
    sBPF v0 loses its stack gaps there."""
    program = assemble("mov %r6, %r1\nadd %r1, 2\nmov %r2, 0x41\nmov %r3, 10\ncall sol_memset_\nexit")
    direct = run(program, b"abcd", engine=engine, direct_mapping=True)
    assert direct.error.code is ErrorCode.ACCESS_VIOLATION
    assert direct.memory.region(MM_INPUT_START).data.tobytes() == b"abAA"
    plain = run(program, b"abcd", engine=engine)
    assert plain.memory.region(MM_INPUT_START).data.tobytes() == b"abcd"
    gap = assemble("stb [%r10+0], 1\nexit")
    assert run(gap, engine=engine).error is not None and run(gap, engine=engine, direct_mapping=True).ok


@pytest.mark.parametrize("engine", ENGINES + ("auto",))
def test_a_run_adds_to_the_log_collector_it_is_given(engine):
    """One collector per transaction in Solana: the runtime's lines count towards the cap too."""
    program = assemble("mov %r2, 3\ncall sol_log_\nexit")
    logs = LogCollector(["Program X invoke [1]", "x" * 9970])  # 9,990 bytes: 16 more reach the cap
    result = run(program, b"hey", engine=engine, logs=logs)
    assert result.logs is logs and logs[-1] == LOG_TRUNCATED and len(logs) == 3
