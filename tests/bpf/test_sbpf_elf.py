"""The sBPF ELF files of anza-xyz/sbpf: load or reject, and run results, as their README lists."""

import pytest

from jitvm.bpf.elf import load_elf_file
from jitvm.bpf.engines import run
from jitvm.bpf.errors import ElfError, ErrorCode
from jitvm.bpf.memory import MM_PROGRAM_START, MM_RODATA_START
from jitvm.bpf.syscalls import default_syscalls, sol_log

from .fixtures import SBPF, require

RUNS = {
    "relative_call_sbpfv0.so": 3,
    "relative_call.so": 3,
    "reloc_64_64_sbpfv0.so": MM_PROGRAM_START + 0x120,
    "reloc_64_64.so": MM_PROGRAM_START,
    "reloc_64_relative_sbpfv0.so": MM_PROGRAM_START + 0x138,
    "reloc_64_relative.so": MM_RODATA_START,
    "reloc_64_relative_data_sbpfv0.so": MM_PROGRAM_START + 0x140,
    "reloc_64_relative_data.so": MM_RODATA_START,
    "rodata_section_sbpfv0.so": 42,
    "rodata_section.so": 42,
    "struct_func_pointer_sbpfv0.so": 0x0102030405060708,
    "struct_func_pointer.so": 0x0102030405060708,
    "syscall_reloc_64_32_sbpfv0.so": 0,
    "syscall_static.so": 0,
    "strict_header.so": 42,
}
REJECTS = {
    "data_section_sbpfv0.so": "WritableSectionNotSupported",
    "bss_section_sbpfv0.so": "WritableSectionNotSupported",
    "long_dynamic_symbol_name_sbpfv0.so": "UnknownSymbol",
    "long_section_name.so": "FailedToParse",  # the parser's StringTooLong, as Solana's loader wraps it
    "program_headers_overflow.so": "InvalidProgramHeader",
}
LOADS = ("long_symbol_name_sbpfv0.so", "long_symbol_name.so")


def _syscalls_with_log():
    """The sbpf test suite registers a `log` syscall (a string by pointer and length)."""
    syscalls = default_syscalls()
    syscalls.register_syscall("log", sol_log)
    return syscalls


def test_readme_lists_23_files():
    require(SBPF)
    assert len(RUNS) + len(REJECTS) + len(LOADS) + 1 == 23  # + callx_unaligned.so
    assert len(list(SBPF.glob("*.so"))) == 23


@pytest.mark.parametrize("name,expected", sorted(RUNS.items()))
def test_runs(name, expected):
    syscalls = _syscalls_with_log()
    program = load_elf_file(require(SBPF / name), syscalls=syscalls)
    result = run(program, bytes(range(1, 9)), helpers=syscalls)
    assert result.error is None and result.r0 == expected


@pytest.mark.parametrize("name,kind", sorted(REJECTS.items()))
def test_rejects(name, kind):
    with pytest.raises(ElfError) as caught:
        load_elf_file(require(SBPF / name), syscalls=_syscalls_with_log())
    assert caught.value.kind == kind
    if name == "long_section_name.so":
        assert "StringTooLong" in str(caught.value)


@pytest.mark.parametrize("name", LOADS)
def test_loads(name):
    program = load_elf_file(require(SBPF / name))
    assert program.decoded and 0 <= program.entry < program.instruction_count


def test_unregistered_syscall_is_an_unresolved_symbol():
    with pytest.raises(ElfError) as caught:
        load_elf_file(require(SBPF / "syscall_reloc_64_32_sbpfv0.so"))
    assert caught.value.kind == "UnresolvedSymbol" and "'log'" in str(caught.value)


def test_syscall_logs_and_charges():
    syscalls = _syscalls_with_log()
    result = run(load_elf_file(require(SBPF / "syscall_static.so"), syscalls=syscalls), helpers=syscalls)
    assert result.logs == ["Program log: foo\n"] and result.compute_units == result.instructions + 100


def test_callx_unaligned_exceeds_the_call_depth_after_129_units():
    result = run(load_elf_file(require(SBPF / "callx_unaligned.so")))
    assert result.error.code is ErrorCode.CALL_DEPTH_EXCEEDED and result.error.value == 64
    assert result.compute_units == 129
