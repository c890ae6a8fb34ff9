"""Solana's ELF loader rules, each shown on a shipped ELF edited in place: tables found through the
dynamic table, every section of a name kept, an SHT_NOBITS .text, the entrypoint symbol, section-name
lengths, and parser errors named as Solana names them."""

import struct

import pytest

from jitvm.bpf.elf import load_elf
from jitvm.bpf.elf_parser import Elf64
from jitvm.bpf.engines import run
from jitvm.bpf.errors import ElfError, ErrorCode, VerifyError
from jitvm.bpf.helpers import syscall_key
from jitvm.bpf.memory import MM_PROGRAM_START
from jitvm.bpf.syscalls import default_syscalls, sol_log

from .fixtures import SBPF, private_jit_cache, require  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_jit_cache")

ENGINES = ("reference", "baseline", "jit")
SECTION_HEADER_SIZE, SYMBOL_SIZE = 64, 24


def fixture(name: str) -> bytearray:
    return bytearray(require(SBPF / name).read_bytes())


def syscalls_with_log():
    syscalls = default_syscalls()
    syscalls.register_syscall("log", sol_log)
    return syscalls


def rename(data: bytearray, old: bytes, new: bytes) -> bytearray:
    """Replace a section name in .shstrtab (same length, NULs included)."""
    assert len(old) == len(new)
    table = Elf64(bytes(data)).section_names
    start = data.index(old, table.sh_offset)
    data[start:start + len(old)] = new
    return data


def section(data: bytes, name: bytes):
    elf = Elf64(bytes(data))
    return next(header for header in elf.section_headers if elf.section_name(header) == name)


def set_section_field(data: bytearray, index: int, offset: int, fmt: str, value: int) -> None:
    shoff = struct.unpack_from("<Q", data, 40)[0]
    struct.pack_into(fmt, data, shoff + index * SECTION_HEADER_SIZE + offset, value)


def same_on_every_engine(program, **options):
    results = [run(program, b"", engine=engine, **options) for engine in ENGINES]
    assert all(result.summary() == results[0].summary() for result in results)
    return results[0]


def test_relocations_and_symbols_come_from_the_dynamic_table():
    """Section names do not matter: .rel.dyn and .dynsym renamed, the syscall is still relocated."""
    data = rename(rename(fixture("syscall_reloc_64_32_sbpfv0.so"), b".rel.dyn\0", b".rel.xyz\0"),
                  b".dynsym\0", b".dynxyz\0")
    program = load_elf(bytes(data), syscalls=syscalls_with_log())
    original = load_elf(bytes(fixture("syscall_reloc_64_32_sbpfv0.so")), syscalls=syscalls_with_log())
    assert program.code == original.code
    result = same_on_every_engine(program, helpers=syscalls_with_log())
    assert result.ok and result.r0 == 0 and result.logs


def test_sections_with_the_same_name_do_not_shadow_each_other():
    """.dynamic renamed .rodata: both .rodata sections are mapped at their addresses."""
    data = rename(fixture("rodata_section_sbpfv0.so"), b".dynamic\0", b".rodata\0\0")
    program = load_elf(bytes(data))
    (address, region), = program.readonly
    assert address == MM_PROGRAM_START
    for name_section in (section(fixture("rodata_section_sbpfv0.so"), b".rodata"),
                         section(fixture("rodata_section_sbpfv0.so"), b".dynamic")):
        span = name_section.file_range()
        assert region[name_section.sh_addr:name_section.sh_addr + len(span)] == bytes(data[span.start:span.stop])
    assert same_on_every_engine(program).r0 == 42


def test_two_text_sections_are_not_one():
    data = rename(fixture("rodata_section_sbpfv0.so"), b".rodata\0", b".text\0\0\0")
    with pytest.raises(ElfError) as caught:
        load_elf(bytes(data))
    assert caught.value.kind == "NotOneTextSection"


def test_a_nobits_text_has_no_bytes():
    data = fixture("rodata_section_sbpfv0.so")
    set_section_field(data, section(data, b".text").index, 4, "<I", 8)  # sh_type = SHT_NOBITS
    program = load_elf(bytes(data))
    assert program.code == b""
    with pytest.raises(VerifyError) as caught:
        run(program)
    assert caught.value.kind == "NoProgram"


def test_a_call_relocated_against_entrypoint_reaches_the_entry_point():
    """The `log` symbol turned into a function named `entrypoint` at another address: the call gets
    the entry point's key, and the entry point is e_entry, so the program recurses until the limit."""
    data = fixture("syscall_reloc_64_32_sbpfv0.so")
    elf = Elf64(bytes(data))
    dynsym = next(header for header in elf.section_headers if header.sh_type == 11)
    entry_symbol, log_symbol = elf.dynamic_symbols[1], elf.dynamic_symbols[2]
    at = dynsym.sh_offset + 2 * SYMBOL_SIZE
    struct.pack_into("<IBBHQQ", data, at, entry_symbol.st_name, 0x12, 0, 1, elf.header.e_entry + 8, 8)
    program = load_elf(bytes(data))
    key = syscall_key("entrypoint")
    assert program.function_map[key] == program.entry == 0
    call_pc = (elf.dynamic_relocations[1].r_offset - section(data, b".text").sh_offset) // 8
    assert struct.unpack_from("<I", program.code, call_pc * 8 + 4)[0] == key
    assert log_symbol.st_value == 0
    result = same_on_every_engine(program)
    assert result.error.code is ErrorCode.CALL_DEPTH_EXCEEDED


def test_section_names_hold_15_bytes_and_their_nul():
    """Solana reads at most 16 bytes of a name, the NUL included: 15 bytes load, 16 do not."""
    fifteen = rename(fixture("rodata_section_sbpfv0.so"), b".dynsym\0.dynstr\0", b".dynsymX.dynstr\0")
    assert same_on_every_engine(load_elf(bytes(fifteen))).r0 == 42  # .dynsym is now ".dynsymX.dynstr"
    sixteen = rename(fixture("rodata_section_sbpfv0.so"), b".rodata\0.dynamic\0", b".rodataX.dynamic\0")
    with pytest.raises(ElfError) as caught:
        load_elf(bytes(sixteen))
    assert caught.value.kind == "FailedToParse" and "StringTooLong" in str(caught.value)


def test_section_names_are_bytes_not_text():
    data = rename(fixture("rodata_section_sbpfv0.so"), b".comment\0", b".c\xff\xfement\0")
    assert same_on_every_engine(load_elf(bytes(data))).r0 == 42


@pytest.mark.parametrize("edit,kind", [
    (lambda data: data[:40], "ValueOutOfBounds"),            # no e_flags
    (lambda data: data[:60], "ValueOutOfBounds"),            # half a file header
    (lambda data: data[:4] + b"\x01" + data[5:], "FailedToParse"),  # 32-bit class
    (lambda data: data[:0x130], "ValueOutOfBounds"),         # sections cut off
    (lambda data: data[:7] + b"\x03" + data[8:], "WrongAbi"),
    (lambda data: data[:18] + b"\x3e\x00" + data[20:], "WrongMachine"),
    (lambda data: data[:48] + b"\x07\x00\x00\x00" + data[52:], "UnsupportedSBPFVersion"),
])
def test_parser_and_loader_errors_are_named_as_solana_names_them(edit, kind):
    data = bytes(fixture("rodata_section_sbpfv0.so"))
    with pytest.raises(ElfError) as caught:
        load_elf(edit(data))
    assert caught.value.kind == kind


def test_a_duplicated_symbol_table_name_is_an_invalid_section_header():
    data = rename(fixture("rodata_section_sbpfv0.so"), b".strtab\0", b".symtab\0")
    with pytest.raises(ElfError) as caught:
        load_elf(bytes(data))
    assert caught.value.kind == "FailedToParse" and "InvalidSectionHeader" in str(caught.value)
