"""A dependency-free 64-bit ELF parser with Solana's rules (anza-xyz/sbpf `elf_parser::Elf64`).

It reads headers and tables from the raw bytes with `struct`, checks every offset, size and overlap
before it reads, and fails with an `ElfParserError` whose `kind` is the name of Solana's parser
error (`OutOfBounds`, `InvalidSize`, `Overlap`, `StringTooLong`...). Nothing here raises anything else
on malformed input: the loaders map these errors to `ElfError`s as Solana's loader maps them.

What the parser establishes: the file header (64-bit, little-endian, current version, standard
entry sizes); the program header table and the section header table (inside the file, not
overlapping the file header or each other, aligned to 8 bytes); the first section is SHT_NULL;
loadable segments ascend by address and lie in the file; sections (other than SHT_NOBITS) lie in the
file, in ascending order, clear of the header tables; every section name is a NUL-terminated string
of at most 15 bytes inside the section-name table; `.symtab`, `.strtab` and `.dynstr` appear at most
once; and the dynamic table (PT_DYNAMIC, else the SHT_DYNAMIC section) gives the relocation table
(DT_REL, DT_RELSZ, DT_RELENT) and the dynamic symbol table (DT_SYMTAB), found by address, not by name.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

U64_MAX = (1 << 64) - 1
SECTION_NAME_LENGTH_MAXIMUM = 16  # bytes read for a name, its NUL included
SYMBOL_NAME_LENGTH_MAXIMUM = 64
TABLE_ALIGNMENT = 8  # every ELF64 table entry holds 8-byte fields

ELFMAG = b"\x7fELF"
ELFCLASS64, ELFDATA2LSB, EV_CURRENT = 2, 1, 1
ET_REL, ET_DYN = 1, 3
PT_LOAD, PT_DYNAMIC = 1, 2
SHT_NULL, SHT_SYMTAB, SHT_STRTAB, SHT_DYNAMIC, SHT_NOBITS, SHT_DYNSYM = 0, 2, 3, 6, 8, 11
SHF_WRITE, SHF_ALLOC = 0x1, 0x2
STT_FUNC = 2
DT_NULL, DT_SYMTAB, DT_REL, DT_RELSZ, DT_RELENT = 0, 6, 17, 18, 19
DT_NUM = 34  # tags at or above are not read

_FILE_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")
_PROGRAM_HEADER = struct.Struct("<IIQQQQQQ")
_SECTION_HEADER = struct.Struct("<IIQQQQIIQQ")
_SYMBOL = struct.Struct("<IBBHQQ")
_PAIR = struct.Struct("<QQ")  # a relocation (r_offset, r_info) or a dynamic entry (d_tag, d_val)


class ElfParserError(Exception):
    """`kind` is the name of Solana's ElfParserError variant."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class FileHeader:
    e_ident: bytes
    e_type: int
    e_machine: int
    e_version: int
    e_entry: int
    e_phoff: int
    e_shoff: int
    e_flags: int
    e_ehsize: int
    e_phentsize: int
    e_phnum: int
    e_shentsize: int
    e_shnum: int
    e_shstrndx: int

    @property
    def ei_class(self) -> int:
        return self.e_ident[4]

    @property
    def ei_data(self) -> int:
        return self.e_ident[5]

    @property
    def ei_version(self) -> int:
        return self.e_ident[6]

    @property
    def ei_osabi(self) -> int:
        return self.e_ident[7]


@dataclass(frozen=True)
class ProgramHeader:
    p_type: int
    p_flags: int
    p_offset: int
    p_vaddr: int
    p_paddr: int
    p_filesz: int
    p_memsz: int
    p_align: int

    def file_range(self) -> range:
        """The bytes of a loadable segment in the file (empty for other segments)."""
        return range(self.p_offset, _saturating(self.p_offset + self.p_filesz)) if self.p_type == PT_LOAD else range(0)


@dataclass(frozen=True)
class SectionHeader:
    index: int
    sh_name: int
    sh_type: int
    sh_flags: int
    sh_addr: int
    sh_offset: int
    sh_size: int
    sh_link: int
    sh_info: int
    sh_addralign: int
    sh_entsize: int

    def file_range(self) -> range:
        """The section's bytes in the file; an SHT_NOBITS section has none."""
        if self.sh_type == SHT_NOBITS:
            return range(0)
        return range(self.sh_offset, _saturating(self.sh_offset + self.sh_size))

    def vm_range(self) -> range:
        return range(self.sh_addr, _saturating(self.sh_addr + self.sh_size))

    def is_writable(self) -> bool:
        return self.sh_flags & (SHF_ALLOC | SHF_WRITE) == SHF_ALLOC | SHF_WRITE


@dataclass(frozen=True)
class Symbol:
    st_name: int
    st_info: int
    st_other: int
    st_shndx: int
    st_value: int
    st_size: int

    def is_function(self) -> bool:
        return self.st_info & 0xF == STT_FUNC


@dataclass(frozen=True)
class Relocation:
    r_offset: int
    r_info: int

    @property
    def r_type(self) -> int:
        return self.r_info & 0xFFFFFFFF

    @property
    def r_sym(self) -> int:
        return self.r_info >> 32


def _saturating(value: int) -> int:
    return min(value, U64_MAX)


def checked_add(a: int, b: int) -> int:
    """Rust's checked addition of two usize values: overflow is OutOfBounds."""
    if a + b > U64_MAX:
        raise ElfParserError("OutOfBounds", "offset arithmetic overflows")
    return a + b


def _no_overlap(a: range, b: range) -> None:
    if not (a.stop <= b.start or b.stop <= a.start):
        raise ElfParserError("Overlap", f"bytes {a.start:#x}..{a.stop:#x} overlap {b.start:#x}..{b.stop:#x}")


def slice_entries(data: bytes, start: int, stop: int, entry: struct.Struct) -> list[tuple]:
    """The table of `entry`s at data[start:stop], as Solana's `slice_from_bytes` checks it."""
    length = max(stop - start, 0)
    if length % entry.size:
        raise ElfParserError("InvalidSize", f"{length} bytes is not a whole number of {entry.size}-byte entries")
    if start > stop or stop > len(data):
        raise ElfParserError("OutOfBounds", f"table at {start:#x}..{stop:#x} is outside the file ({len(data)} bytes)")
    if start % TABLE_ALIGNMENT:
        raise ElfParserError("InvalidAlignment", f"table at {start:#x} is not 8-byte aligned")
    return list(entry.iter_unpack(data[start:stop]))


class Elf64:
    """A parsed ELF64 file; the constructor applies every rule listed in the module docstring."""

    def __init__(self, data: bytes):
        self.data = data
        if len(data) < _FILE_HEADER.size:
            raise ElfParserError("OutOfBounds", f"{len(data)} bytes is shorter than an ELF64 file header")
        header = self.header = FileHeader(*_FILE_HEADER.unpack_from(data))
        if header.e_ident[:4] != ELFMAG or header.ei_class != ELFCLASS64 or header.ei_data != ELFDATA2LSB \
                or header.ei_version != EV_CURRENT or header.e_version != EV_CURRENT \
                or header.e_ehsize != _FILE_HEADER.size or header.e_phentsize != _PROGRAM_HEADER.size \
                or header.e_shentsize != _SECTION_HEADER.size or header.e_shstrndx >= header.e_shnum:
            raise ElfParserError("InvalidFileHeader")
        file_header_range = range(_FILE_HEADER.size)
        phdrs = range(header.e_phoff, checked_add(_PROGRAM_HEADER.size * header.e_phnum, header.e_phoff))
        _no_overlap(file_header_range, phdrs)
        self.program_headers = [ProgramHeader(*fields)
                                for fields in slice_entries(data, phdrs.start, phdrs.stop, _PROGRAM_HEADER)]
        shdrs = range(header.e_shoff, checked_add(_SECTION_HEADER.size * header.e_shnum, header.e_shoff))
        _no_overlap(file_header_range, shdrs)
        _no_overlap(phdrs, shdrs)
        self.section_headers = [SectionHeader(index, *fields) for index, fields
                                in enumerate(slice_entries(data, shdrs.start, shdrs.stop, _SECTION_HEADER))]
        if not self.section_headers or self.section_headers[0].sh_type != SHT_NULL:
            raise ElfParserError("InvalidSectionHeader", "the first section is not SHT_NULL")
        self._check_segments()
        self._check_sections(file_header_range, phdrs, shdrs)
        self.section_names = self.section_headers[header.e_shstrndx] if header.e_shstrndx else None
        self.symbol_table_section = self.symbol_names_section = self.dynamic_symbol_names_section = None
        self._find_named_sections()
        self.dynamic = [0] * DT_NUM
        self.dynamic_relocations: list[Relocation] | None = None
        self.dynamic_symbols: list[Symbol] | None = None
        self._parse_dynamic()

    # -- the rules ---------------------------------------------------------------------------------

    def _check_segments(self) -> None:
        lowest = 0
        for segment in self.program_headers:
            if segment.p_type != PT_LOAD:
                continue
            if segment.p_vaddr < lowest:
                raise ElfParserError("InvalidProgramHeader", "loadable segments are not in ascending order")
            if checked_add(segment.p_offset, segment.p_filesz) > len(self.data):
                raise ElfParserError("OutOfBounds", f"segment at {segment.p_vaddr:#x} extends past the end of the file")
            lowest = segment.p_vaddr

    def _check_sections(self, file_header_range: range, phdrs: range, shdrs: range) -> None:
        offset = 0
        for section in self.section_headers:
            if section.sh_type == SHT_NOBITS:
                continue
            span = range(section.sh_offset, checked_add(section.sh_offset, section.sh_size))
            for other in (file_header_range, phdrs, shdrs):
                _no_overlap(span, other)
            if span.start < offset:
                raise ElfParserError("SectionNotInOrder", f"section {section.index} starts before the one before it ends")
            offset = span.stop
            if offset > len(self.data):
                raise ElfParserError("OutOfBounds", f"section {section.index} extends past the end of the file")

    def _find_named_sections(self) -> None:
        if self.section_names is None:
            raise ElfParserError("NoSectionNameStringTable")
        slots = {b".symtab": "symbol_table_section", b".strtab": "symbol_names_section",
                 b".dynstr": "dynamic_symbol_names_section"}
        for section in self.section_headers:
            slot = slots.get(self.section_name(section))
            if slot is None:
                continue
            if getattr(self, slot) is not None:
                raise ElfParserError("InvalidSectionHeader", f"a second {self.section_name(section).decode()} section")
            setattr(self, slot, section)

    def _parse_dynamic(self) -> None:
        entries = None
        segment = next((header for header in self.program_headers if header.p_type == PT_DYNAMIC), None)
        if segment is not None:
            try:
                entries = self._slice(segment.p_offset, checked_add(segment.p_offset, segment.p_filesz), _PAIR)
            except ElfParserError:
                entries = None  # an unusable PT_DYNAMIC falls back to the SHT_DYNAMIC section
        if entries is None:
            section = next((header for header in self.section_headers if header.sh_type == SHT_DYNAMIC), None)
            if section is None:
                return  # a static file
            try:  # here even an overflowing size is an invalid dynamic table
                entries = self._slice(section.sh_offset, checked_add(section.sh_offset, section.sh_size), _PAIR)
            except ElfParserError as error:
                raise ElfParserError("InvalidDynamicSectionTable", error.kind) from None
        for tag, value in entries:
            if tag == DT_NULL:
                break
            if tag < DT_NUM:
                self.dynamic[tag] = value
        self.dynamic_relocations = self._dynamic_relocations()
        self.dynamic_symbols = self._dynamic_symbols()

    def _dynamic_relocations(self) -> list[Relocation] | None:
        address = self.dynamic[DT_REL]
        if address == 0:
            return None
        if self.dynamic[DT_RELENT] != _PAIR.size:
            raise ElfParserError("InvalidDynamicSectionTable", f"DT_RELENT is {self.dynamic[DT_RELENT]}, not 16")
        size = self.dynamic[DT_RELSZ]
        if size == 0:
            raise ElfParserError("InvalidDynamicSectionTable", "DT_RELSZ is 0")
        segment = self._segment_containing(address)
        if segment is not None:
            if address < segment.p_vaddr:
                raise ElfParserError("OutOfBounds", "offset arithmetic underflows")
            offset = checked_add(address - segment.p_vaddr, segment.p_offset)
        else:  # older toolchains put DT_REL outside every segment: the section at that address
            section = next((header for header in self.section_headers if header.sh_addr == address), None)
            if section is None:
                raise ElfParserError("InvalidDynamicSectionTable", f"no segment or section holds DT_REL {address:#x}")
            offset = section.sh_offset
        stop = checked_add(offset, size)
        try:
            return [Relocation(*fields) for fields in self._slice(offset, stop, _PAIR)]
        except ElfParserError as error:
            raise ElfParserError("InvalidDynamicSectionTable", error.kind) from None

    def _dynamic_symbols(self) -> list[Symbol] | None:
        address = self.dynamic[DT_SYMTAB]
        if address == 0:
            return None
        section = next((header for header in self.section_headers if header.sh_addr == address), None)
        if section is None:
            raise ElfParserError("InvalidDynamicSectionTable", f"no section at DT_SYMTAB {address:#x}")
        return self.symbols_of(section)

    def _segment_containing(self, address: int) -> ProgramHeader | None:
        for segment in self.program_headers:
            if segment.p_vaddr <= address < checked_add(segment.p_vaddr, segment.p_memsz):
                return segment
        return None

    def _slice(self, start: int, stop: int, entry: struct.Struct) -> list[tuple]:
        return slice_entries(self.data, start, stop, entry)

    # -- queries -----------------------------------------------------------------------------------

    def string_in(self, section: SectionHeader, offset: int, maximum: int) -> bytes:
        """The NUL-terminated string at `offset` of a string table, within `maximum` bytes (the NUL
        included) and within the section."""
        if section.sh_type != SHT_STRTAB:
            raise ElfParserError("InvalidSectionHeader", f"section {section.index} is not a string table")
        start = checked_add(section.sh_offset, offset)
        stop = min(checked_add(section.sh_offset, section.sh_size), checked_add(start, maximum))
        if start > stop or stop > len(self.data):
            raise ElfParserError("OutOfBounds", f"string at {start:#x} is outside the file")
        raw = self.data[start:stop]
        end = raw.find(b"\0")
        if end < 0:
            raise ElfParserError("StringTooLong", f"name {raw.decode('utf-8', 'replace')!r} is longer than "
                                                  f"{maximum} bytes")
        return raw[:end]

    def section_name(self, section: SectionHeader) -> bytes:
        if self.section_names is None:
            raise ElfParserError("NoSectionNameStringTable")
        return self.string_in(self.section_names, section.sh_name, SECTION_NAME_LENGTH_MAXIMUM)

    def dynamic_symbol_name(self, symbol: Symbol) -> bytes:
        if self.dynamic_symbol_names_section is None:
            raise ElfParserError("NoDynamicStringTable")
        return self.string_in(self.dynamic_symbol_names_section, symbol.st_name, SYMBOL_NAME_LENGTH_MAXIMUM)

    def symbols_of(self, section: SectionHeader) -> list[Symbol]:
        if section.sh_type not in (SHT_SYMTAB, SHT_DYNSYM):
            raise ElfParserError("InvalidSectionHeader", f"section {section.index} is not a symbol table")
        stop = checked_add(section.sh_offset, section.sh_size)
        return [Symbol(*fields) for fields in self._slice(section.sh_offset, stop, _SYMBOL)]
