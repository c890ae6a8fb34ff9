"""ELF loading: Solana sBPF programs with Solana's own rules, and eBPF objects from `clang -target bpf`.

sBPF (any file that is not ET_REL) is parsed from the raw bytes by `jitvm.bpf.elf_parser` and loaded
as anza-xyz/sbpf's `Executable::load` does, and rejections are `ElfError`s whose `kind` is the name
of Solana's ElfError (`FailedToParse` carries the parser's error, `ValueOutOfBounds`...). Malformed
files never raise anything else.

- The version is e_flags (0..3); v0-v2 go through the lenient loader: the file must have exactly
  one `.text`, no `.bss*` and no writable `.data*` (other than `.data.rel*`), every section inside the
  file, the entry inside `.text`; `.text`, `.rodata`, `.data.rel.ro` and `.eh_frame` (every section of
  those names, duplicates included) are copied at their addresses into one read-only region at
  0x1_0000_0000. A `.text` of type SHT_NOBITS has no bytes. Calls with a relative immediate are
  turned into function keys (the hash of the target's index); relocations come from the dynamic
  table (DT_REL/DT_RELSZ, symbols from DT_SYMTAB): R_BPF_64_64, R_BPF_64_RELATIVE and R_BPF_64_32 (a
  syscall by the hash of its name, a bpf-to-bpf call by the target's key; a call against the symbol
  `entrypoint` gets the entry point's key, so it reaches the real entry point, e_entry).
- v3 goes through the strict loader (SIMD-0189): exact headers, .rodata at vaddr 0 and bytecode at
  0x1_0000_0000 (which a program cannot read), no relocations.

eBPF objects (ET_REL) are linked as libbpf links a program: the entry section (named, or the one
executable section other than .text) first, then each executable section it calls, with the
R_BPF_64_32 calls between them made pc relative; maps and global data (R_BPF_64_64) are rejected.
"""

from __future__ import annotations

import io
import struct

from elftools.elf.elffile import ELFFile

from jitvm.bpf.elf_parser import ET_DYN, ET_REL, Elf64, ElfParserError, SectionHeader
from jitvm.bpf.errors import ElfError
from jitvm.bpf.helpers import HelperRegistry, syscall_key
from jitvm.bpf.instruction import INSTRUCTION_BYTES
from jitvm.bpf.memory import MM_PROGRAM_START, MM_RODATA_START, MM_STACK_START
from jitvm.bpf.program import Program

EM_BPF = 247
EM_SBPF = 263
CALL_IMM = 0x85
R_BPF_64_64 = 1
R_BPF_64_RELATIVE = 8
R_BPF_64_32 = 10
IMMEDIATE_OFFSET = 4  # bytes into an instruction word
PF_X, PF_R = 0x1, 0x4
ELF64_HEADER_SIZE = 64
PROGRAM_HEADER_SIZE = 56
E_TYPE_OFFSET, E_FLAGS_OFFSET = 16, 48
STRICT_VERSION = 3
ENTRYPOINT = b"entrypoint"
READONLY_SECTIONS = (b".text", b".rodata", b".data.rel.ro", b".eh_frame")
ELFOSABI_NONE = 0
# Solana's loader names a parser error by the ElfError it becomes.
_PARSER_ERROR_KINDS = {"OutOfBounds": "ValueOutOfBounds", "InvalidProgramHeader": "InvalidProgramHeader"}


def sbpf_function_key(target_pc: int) -> int:
    """The key a legacy loader registers a bpf-to-bpf call target under: the hash of its index."""
    return syscall_key(struct.pack("<Q", target_pc))


def load_elf(data: bytes, source: str = "<elf>", *, syscalls: HelperRegistry | None = None,
             reject_broken_elfs: bool = True, section: str | None = None) -> Program:
    """Load an ELF file: an eBPF relocatable object or an sBPF shared object (version = e_flags).
    `section` names the eBPF object's entry section (by default its one section other than .text)."""
    data = bytes(data)
    if _is_ebpf_object(data):
        return _load_ebpf_file(data, source, section)
    if section is not None:
        raise ElfError(source, "WrongType", "section= chooses the entry of an eBPF object; sBPF programs have e_entry")
    if len(data) < E_FLAGS_OFFSET + 4:
        raise ElfError(source, "ValueOutOfBounds", f"{len(data)} bytes is too short for an ELF file header")
    version = struct.unpack_from("<I", data, E_FLAGS_OFFSET)[0]
    if version > STRICT_VERSION:
        raise ElfError(source, "UnsupportedSBPFVersion", f"sBPF version {version} (e_flags) is not supported")
    if syscalls is None:
        from jitvm.bpf.syscalls import default_syscalls

        syscalls = default_syscalls()
    try:
        if version >= STRICT_VERSION:
            return _StrictLoader(data, source, version).load()
        return _LenientLoader(Elf64(data), source, version, syscalls, reject_broken_elfs).load()
    except ElfParserError as error:
        raise ElfError(source, _PARSER_ERROR_KINDS.get(error.kind, "FailedToParse"), str(error)) from None


def _is_ebpf_object(data: bytes) -> bool:
    """A relocatable object (ET_REL) without program headers, as clang writes them; anything else
    (an sBPF program, however damaged its e_type) is loaded by Solana's rules."""
    if len(data) < ELF64_HEADER_SIZE:
        return False
    return struct.unpack_from("<H", data, E_TYPE_OFFSET)[0] == ET_REL and struct.unpack_from("<H", data, 56)[0] == 0


def load_elf_file(path, **options) -> Program:
    from pathlib import Path

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ElfError(str(path), "Io", exc.strerror or str(exc)) from None
    return load_elf(data, str(path), **options)


# -- sBPF v0-v2: the lenient loader ----------------------------------------------------------------

class _LenientLoader:
    def __init__(self, elf: Elf64, source: str, version: int, syscalls: HelperRegistry, reject_broken_elfs: bool):
        self.elf, self.source, self.version = elf, source, version
        self.syscalls, self.reject_broken_elfs = syscalls, reject_broken_elfs
        self.image = bytearray(elf.data)
        self.functions: dict[int, int] = {}
        self.symbols: dict[int, str] = {}
        self.names = {section.index: elf.section_name(section) for section in elf.section_headers}

    def fail(self, kind: str, problem: str) -> ElfError:
        return ElfError(self.source, kind, problem)

    def load(self) -> Program:
        text = self.validate()
        if self.reject_broken_elfs and text.sh_addr != text.sh_offset:
            raise self.fail("ValueOutOfBounds", f".text at address {text.sh_addr:#x} but file offset {text.sh_offset:#x}")
        if MM_PROGRAM_START + text.sh_addr > MM_STACK_START:
            raise self.fail("ValueOutOfBounds", f".text at {text.sh_addr:#x} reaches the stack")
        self.fixup_relative_calls(text)
        self.relocate(text)
        offset = max(self.elf.header.e_entry - text.sh_addr, 0)
        if offset % INSTRUCTION_BYTES:
            raise self.fail("InvalidEntrypoint", f"entry {self.elf.header.e_entry:#x} is not on an instruction")
        entry_pc = offset // INSTRUCTION_BYTES
        self.functions.pop(syscall_key(ENTRYPOINT), None)  # the entry point's key names e_entry, whatever came before
        self.register(ENTRYPOINT, entry_pc)
        region = self.readonly_region()
        # The bytecode is read from the read-only region, where a section copied later at an
        # overlapping address (only with reject_broken_elfs off) may have overwritten it.
        code = region[text.sh_addr:text.sh_addr + len(text.file_range())]
        return Program(code, profile=f"sbpf-v{self.version}", entry=entry_pc,
                       text_address=min(MM_PROGRAM_START + text.sh_addr, (1 << 64) - 1),
                       readonly=((MM_PROGRAM_START, region),), functions=tuple(sorted(self.functions.items())),
                       source=self.source, symbols=self.symbols)

    def validate(self) -> SectionHeader:
        """Solana's `Executable::validate`: the file's kind, one .text, no writable data, every
        section inside the file, the entry inside .text. Returns .text."""
        header, sections = self.elf.header, self.elf.section_headers
        if header.ei_osabi != ELFOSABI_NONE:
            raise self.fail("WrongAbi", f"EI_OSABI is {header.ei_osabi}, not 0")
        if header.e_machine not in (EM_BPF, EM_SBPF):
            raise self.fail("WrongMachine", f"e_machine is {header.e_machine}, not BPF")
        if header.e_type != ET_DYN:
            raise self.fail("WrongType", f"e_type is {header.e_type}, expected ET_DYN (sBPF) or ET_REL (eBPF)")
        texts = [section for section in sections if self.names[section.index] == b".text"]
        if len(texts) != 1:
            raise self.fail("NotOneTextSection", f"{len(texts)} sections named .text")
        for section in sections:
            name = self.names[section.index]
            if name.startswith(b".bss") or (section.is_writable() and name.startswith(b".data")
                                             and not name.startswith(b".data.rel")):
                raise self.fail("WritableSectionNotSupported",
                                f"{name.decode('utf-8', 'replace')}: sBPF programs have no writable data")
        for section in sections:
            if section.sh_offset + section.sh_size > len(self.image):
                raise self.fail("ValueOutOfBounds", f"section {section.index} extends past the end of the file")
        if header.e_entry not in texts[0].vm_range():
            raise self.fail("EntrypointOutOfBounds", f"entry {header.e_entry:#x} is outside .text")
        return texts[0]

    def register(self, name: bytes, target_pc: int) -> int:
        """Register a bpf-to-bpf call target under its legacy key (the entry point's under its name)."""
        key = syscall_key(ENTRYPOINT if name == ENTRYPOINT else struct.pack("<Q", target_pc & ((1 << 64) - 1)))
        if key in self.syscalls:
            raise self.fail("SymbolHashCollision", f"{name!r} hashes to {key:#x}, the key of a syscall")
        if self.functions.get(key, target_pc) != target_pc:
            raise self.fail("SymbolHashCollision", f"{name!r} hashes to {key:#x}, already taken")
        self.functions[key] = target_pc
        self.symbols[key] = name.decode("utf-8", "replace")
        return key

    def read_u32(self, offset: int) -> int:
        if offset + 4 > len(self.image):
            raise self.fail("ValueOutOfBounds", f"4 bytes at {offset:#x} are outside the file")
        return struct.unpack_from("<I", self.image, offset)[0]

    def write(self, offset: int, payload: bytes) -> None:
        if offset + len(payload) > len(self.image):
            raise self.fail("ValueOutOfBounds", f"{len(payload)} bytes at {offset:#x} are outside the file")
        self.image[offset:offset + len(payload)] = payload

    def fixup_relative_calls(self, text: SectionHeader) -> None:
        """Legacy calls carry a relative offset; the loader registers each target as a function."""
        span = text.file_range()
        count = len(span) // INSTRUCTION_BYTES
        for pc in range(count):
            at = span.start + pc * INSTRUCTION_BYTES
            opcode, imm = self.image[at], struct.unpack_from("<i", self.image, at + IMMEDIATE_OFFSET)[0]
            if opcode != CALL_IMM or imm == -1:
                continue
            target = pc + 1 + imm
            if not 0 <= target < count:
                raise self.fail("RelativeJumpOutOfBounds", f"call at instruction {pc} targets {target}")
            key = self.register(f"function_{target}".encode(), target)
            struct.pack_into("<I", self.image, at + IMMEDIATE_OFFSET, key)

    def relocate(self, text: SectionHeader) -> None:
        in_text = text.file_range()
        for relocation in self.elf.dynamic_relocations or ():
            offset, kind = relocation.r_offset, relocation.r_type
            if kind == R_BPF_64_64:
                self.relocate_64_64(offset, self.dynamic_symbol(relocation.r_sym))
            elif kind == R_BPF_64_RELATIVE:
                self.relocate_relative(offset, offset in in_text)
            elif kind == R_BPF_64_32:
                self.relocate_call(offset, self.dynamic_symbol(relocation.r_sym), text)
            else:
                raise self.fail("UnknownRelocation", f"relocation type {kind} at {offset:#x}")

    def dynamic_symbol(self, index: int):
        symbols = self.elf.dynamic_symbols
        if symbols is None or index >= len(symbols):
            raise self.fail("UnknownSymbol", f"no dynamic symbol {index}")
        return symbols[index]

    def relocate_64_64(self, offset: int, symbol) -> None:
        """lddw of a symbol's address: symbol value plus the addend in the low immediate."""
        at = offset + IMMEDIATE_OFFSET
        address = min(symbol.st_value + self.read_u32(at), (1 << 64) - 1)
        if address < MM_PROGRAM_START:
            address += MM_PROGRAM_START
        self.write_lddw(at, address)

    def relocate_relative(self, offset: int, in_text: bool) -> None:
        at = offset + IMMEDIATE_OFFSET
        if in_text:  # an lddw holding an address relative to the start of the file
            address = (self.read_u32(offset + INSTRUCTION_BYTES + IMMEDIATE_OFFSET) << 32) | self.read_u32(at)
            if address == 0:
                raise self.fail("InvalidVirtualAddress", f"relative relocation at {offset:#x} of address 0")
            if address < MM_PROGRAM_START:
                address += MM_PROGRAM_START
            self.write_lddw(at, address)
            return
        # a pointer in read-only data: the legacy loader reads 32 bits where an lddw keeps its
        # immediate (4 bytes in) and writes the whole 64-bit address back
        address = self.read_u32(at) + MM_PROGRAM_START
        self.write(offset, struct.pack("<Q", address))

    def relocate_call(self, offset: int, symbol, text: SectionHeader) -> None:
        try:
            name = self.elf.dynamic_symbol_name(symbol)
        except ElfParserError as error:
            raise self.fail("UnknownSymbol", f"name of symbol at string offset {symbol.st_name}: {error}") from None
        if symbol.is_function() and symbol.st_value != 0:  # a bpf-to-bpf call through a symbol
            if symbol.st_value not in text.vm_range():
                raise self.fail("ValueOutOfBounds", f"call to {name!r} at {symbol.st_value:#x}, outside .text")
            key = self.register(name, (symbol.st_value - text.sh_addr) // INSTRUCTION_BYTES)
        else:
            key = syscall_key(name)
            if key not in self.syscalls and self.reject_broken_elfs:
                shown = name.decode("utf-8", "replace")
                raise self.fail("UnresolvedSymbol", f"{shown!r} at instruction {offset // INSTRUCTION_BYTES} "
                                                    f"(offset {offset:#x}) is not a registered syscall")
            self.symbols[key] = name.decode("utf-8", "replace")
        self.write(offset + IMMEDIATE_OFFSET, struct.pack("<I", key))

    def write_lddw(self, at: int, address: int) -> None:
        self.write(at, struct.pack("<I", address & 0xFFFFFFFF))
        self.write(at + INSTRUCTION_BYTES, struct.pack("<I", address >> 32))

    def readonly_region(self) -> bytes:
        """Every section named .text, .rodata, .data.rel.ro or .eh_frame, at its address, in one
        region mapped from 0x1_0000_0000 (Solana's loader with `optimize_rodata` off)."""
        pieces, filled, highest, lowest, shifted = [], 0, 0, None, False
        for section in self.elf.section_headers:
            if self.names[section.index] not in READONLY_SECTIONS:
                continue
            shifted = shifted or section.sh_addr != section.sh_offset
            if (self.reject_broken_elfs and shifted) or MM_PROGRAM_START + section.sh_addr > MM_STACK_START:
                raise self.fail("ValueOutOfBounds", f"section {section.index} at address {section.sh_addr:#x}, "
                                                    f"file offset {section.sh_offset:#x}")
            span = section.file_range()  # relocated bytes; none for SHT_NOBITS
            if span.stop > len(self.image):
                raise self.fail("ValueOutOfBounds", f"section {section.index} extends past the end of the file")
            payload = bytes(self.image[span.start:span.stop])
            lowest = section.sh_addr if lowest is None else min(lowest, section.sh_addr)
            highest = max(highest, section.sh_addr + len(payload))
            filled += len(payload)
            pieces.append((section.sh_addr, payload))
        if self.reject_broken_elfs and (lowest or 0) + filled > highest:
            raise self.fail("ValueOutOfBounds", "read-only sections overlap")
        if highest > len(self.image):
            raise self.fail("ValueOutOfBounds", f"read-only data up to {highest:#x} is larger than the file")
        region = bytearray(highest)
        for address, payload in pieces:
            region[address:address + len(payload)] = payload
        return bytes(region)


# -- sBPF v3: the strict loader (SIMD-0189) --------------------------------------------------------

REGION_SIZE = 1 << 32


class _StrictLoader:
    """Solana's strict parser, as Agave applies it (checked field by field against LiteSVM): the
    file header exact (System V ABI, zero padding, EM_BPF, version 1, program headers right after
    it); then an optional read-only segment (PF_R) at vaddr 0 and the bytecode segment (PT_LOAD,
    PF_X) at 0x1_0000_0000, laid out one after the other right after the program header table,
    8-byte aligned, wholly in the file, file size equal to memory size; later program headers,
    e_type and the section headers are not looked at. The entry is an instruction of the bytecode."""

    def __init__(self, data: bytes, source: str, version: int):
        self.data, self.source, self.version = data, source, version

    def fail(self, kind: str, problem: str) -> ElfError:
        return ElfError(self.source, kind, problem)

    def header_error(self, problem: str) -> ElfError:
        return self.fail("FailedToParse", f"InvalidFileHeader: {problem}")

    def load(self) -> Program:
        data = self.data
        if len(data) < ELF64_HEADER_SIZE:
            raise self.fail("ValueOutOfBounds", f"{len(data)} bytes is shorter than an ELF64 file header")
        ident = data[:16]
        _type, e_machine, e_version, e_entry, e_phoff = struct.unpack_from("<HHIQQ", data, 16)
        e_ehsize, e_phentsize, e_phnum = struct.unpack_from("<HHH", data, 52)
        table_end = ELF64_HEADER_SIZE + e_phnum * PROGRAM_HEADER_SIZE
        if ident[:8] != b"\x7fELF\x02\x01\x01" + bytes([ELFOSABI_NONE]) or any(ident[8:]) or e_machine != EM_BPF \
                or e_version != 1:
            raise self.header_error("e_ident, e_machine or e_version")
        if e_phoff != ELF64_HEADER_SIZE or e_ehsize != ELF64_HEADER_SIZE or e_phentsize != PROGRAM_HEADER_SIZE \
                or table_end > len(data):
            raise self.header_error("program headers must follow the 64-byte file header directly")
        headers = [struct.unpack_from("<IIQQQQQQ", data, ELF64_HEADER_SIZE + index * PROGRAM_HEADER_SIZE)
                   for index in range(e_phnum)]
        rodata_header = headers.pop(0) if headers and headers[0][1] == PF_R else None
        if not headers:
            raise self.header_error("no bytecode segment")
        expected_offset, rodata = table_end, b""
        if rodata_header is not None:
            rodata = self.segment(rodata_header, PF_R, MM_RODATA_START, expected_offset)
            expected_offset += len(rodata)
        bytecode = self.segment(headers[0], PF_X, MM_PROGRAM_START, expected_offset)
        if len(bytecode) % INSTRUCTION_BYTES:
            raise self.fail("InvalidProgramHeader", "the bytecode segment is not whole instructions")
        entry = e_entry - MM_PROGRAM_START
        if not 0 <= entry < len(bytecode) or entry % INSTRUCTION_BYTES:
            raise self.header_error(f"entry {e_entry:#x} is not an instruction of the bytecode")
        # Only the read-only data is mapped: the bytecode runs but cannot be read (as in Agave).
        return Program(bytecode, profile=f"sbpf-v{self.version}", entry=entry // INSTRUCTION_BYTES,
                       text_address=MM_PROGRAM_START, readonly=((MM_RODATA_START, rodata),), source=self.source)

    def segment(self, header: tuple, flags: int, address: int, offset: int) -> bytes:
        p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, _align = header
        if p_type != 1 or p_flags != flags or p_vaddr != address or p_paddr != address or p_offset != offset \
                or p_offset % INSTRUCTION_BYTES or p_offset >= len(self.data) or p_filesz != p_memsz \
                or p_filesz > len(self.data) - p_offset or p_memsz >= REGION_SIZE:
            raise self.fail("InvalidProgramHeader", f"segment at {p_vaddr:#x} (flags {p_flags}, offset {p_offset:#x}) "
                                                    f"is not the expected one at {address:#x}, offset {offset:#x}")
        return self.data[p_offset:p_offset + p_filesz]


# -- eBPF: relocatable objects from clang -target bpf ----------------------------------------------

SHF_EXECINSTR = 0x4
TEXT = ".text"
CALL_LOCAL_SOURCE = 1  # src of a bpf-to-bpf call: imm is pc relative
_RELOCATION_NAMES = {R_BPF_64_64: "R_BPF_64_64", 2: "R_BPF_64_ABS64", 3: "R_BPF_64_ABS32", 4: "R_BPF_64_NODYLD32",
                     R_BPF_64_RELATIVE: "R_BPF_64_RELATIVE", R_BPF_64_32: "R_BPF_64_32"}


def _load_ebpf_file(data: bytes, source: str, section: str | None) -> Program:
    """An ET_REL file through pyelftools; whatever pyelftools raises on a malformed file becomes an
    ElfError (it raises its own errors, struct errors, IndexError...)."""
    try:
        elf = ELFFile(io.BytesIO(data))
        header = elf.header
        machine = {"EM_BPF": EM_BPF}.get(header["e_machine"], header["e_machine"])
        if machine not in (EM_BPF, EM_SBPF):
            raise ElfError(source, "WrongMachine", f"e_machine is {header['e_machine']}, not BPF")
        if elf.elfclass != 64 or not elf.little_endian:
            raise ElfError(source, "WrongClass", "expected a 64-bit little-endian ELF file")
        return _load_ebpf_object(elf, source, section)
    except ElfError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyelftools has no single error type for malformed input
        raise ElfError(source, "FailedToParse", f"not a readable ELF object ({type(exc).__name__}: {exc})") from None


def _load_ebpf_object(elf: ELFFile, source: str, section: str | None = None) -> Program:
    """The entry section laid out first, then every executable section it calls (transitively),
    with the calls between them (R_BPF_64_32) made pc relative. Each STT_FUNC symbol becomes a
    function start; an eBPF `functions` key is the start itself, since a local call is pc relative
    and never looked up by key. Maps and global data need a loader that owns them: rejected."""
    linker = _EbpfLinker(elf, source)
    return linker.link(linker.entry_section(section))


class _EbpfLinker:
    """Lays executable sections out one after another, the entry first, as libbpf appends the
    subprograms a program calls after it."""

    def __init__(self, elf: ELFFile, source: str):
        self.elf, self.source = elf, source
        self.executable = {index: section for index, section in enumerate(elf.iter_sections())
                           if section["sh_type"] == "SHT_PROGBITS" and section["sh_flags"] & SHF_EXECINSTR
                           and section["sh_size"]}
        self.relocations = {section["sh_info"]: section for section in elf.iter_sections()
                            if section["sh_type"] in ("SHT_REL", "SHT_RELA")}
        self.base: dict[int, int] = {}  # section index -> the pc of its first instruction in the program
        self.layout: list[int] = []  # section indices in program order
        self.code = bytearray()

    def fail(self, kind: str, problem: str) -> ElfError:
        return ElfError(self.source, kind, problem)

    def entry_section(self, name: str | None) -> int:
        """`name` if given; else the one executable section other than .text; else .text."""
        names = {section.name: index for index, section in self.executable.items()}
        if name is not None:
            if name not in names:
                raise self.fail("NoSuchSection", f"no executable section {name!r} "
                                                 f"(executable sections: {', '.join(names) or 'none'})")
            return names[name]
        programs = [section_name for section_name in names if section_name != TEXT]
        if len(programs) > 1:
            raise self.fail("SeveralPrograms", f"several entry sections ({', '.join(programs)}): "
                                               "name one with section=")
        if programs or TEXT in names:
            return names[programs[0] if programs else TEXT]
        raise self.fail("NotOneTextSection", "no executable section with instructions")

    def link(self, entry: int) -> Program:
        self.place(entry)
        for index in self.layout:  # grows as calls into further sections are found
            self.relocate(index)
        starts = sorted({0, *self.function_starts()})
        return Program(bytes(self.code), profile="ebpf-v4", functions=tuple((pc, pc) for pc in starts),
                       source=self.source)

    def place(self, index: int) -> int:
        """The pc where section `index` starts, appending it to the program on first use."""
        if index not in self.base:
            section = self.executable[index]
            payload = section.data()
            if len(payload) % INSTRUCTION_BYTES:
                raise self.fail("InvalidSection", f"{section.name} is {len(payload)} bytes, not whole instructions")
            self.base[index] = len(self.code) // INSTRUCTION_BYTES
            self.layout.append(index)
            self.code += payload
        return self.base[index]

    def relocate(self, index: int) -> None:
        relocations = self.relocations.get(index)
        if relocations is None:
            return
        section = self.executable[index]
        if relocations["sh_type"] == "SHT_RELA":
            raise self.fail("UnsupportedRelocation", f"{relocations.name}: BPF objects use REL, not RELA")
        symbols = self.elf.get_section(relocations["sh_link"])
        for relocation in relocations.iter_relocations():
            symbol = symbols.get_symbol(relocation["r_info_sym"])
            kind, offset = relocation["r_info_type"], relocation["r_offset"]
            home = symbol["st_shndx"] if isinstance(symbol["st_shndx"], int) and symbol["st_shndx"] else None
            home_name = self.elf.get_section(home).name if home is not None else None
            name, where = symbol.name or home_name or "?", f"{section.name}+{offset:#x}"
            if kind != R_BPF_64_32:
                owner = f" in {home_name}" if symbol.name and home_name else ""
                raise self.fail("UnsupportedRelocation",
                                f"{_RELOCATION_NAMES.get(kind, f'relocation type {kind}')} of {name!r}{owner} at "
                                f"{where}: maps and global data need a loader that owns them")
            at = self.base[index] * INSTRUCTION_BYTES + offset
            if offset % INSTRUCTION_BYTES or offset >= section["sh_size"] or self.code[at] != CALL_IMM:
                raise self.fail("UnsupportedRelocation", f"R_BPF_64_32 of {name!r} at {where} is not on a call")
            if home is None:
                raise self.fail("UnresolvedSymbol", f"call to {name!r} at {where}: not defined in this object")
            if home not in self.executable:
                raise self.fail("UnsupportedRelocation", f"call to {name!r} at {where}: {home_name} is not executable")
            self.resolve_call(at, home, symbol["st_value"], f"call to {name!r} at {where}")

    def resolve_call(self, at: int, home: int, value: int, call: str) -> None:
        """clang's (and libbpf's) rule: the callee is instruction value / 8 + imm + 1 of its section
        (against a section symbol imm carries the offset, against a function symbol it is -1)."""
        within = value // INSTRUCTION_BYTES + struct.unpack_from("<i", self.code, at + 4)[0] + 1
        if not 0 <= within < self.executable[home]["sh_size"] // INSTRUCTION_BYTES:
            raise self.fail("RelativeJumpOutOfBounds", f"{call} targets instruction {within} "
                                                       f"of {self.executable[home].name}")
        target = self.place(home) + within
        self.code[at + 1] = (self.code[at + 1] & 0x0F) | (CALL_LOCAL_SOURCE << 4)
        struct.pack_into("<i", self.code, at + 4, target - at // INSTRUCTION_BYTES - 1)

    def function_starts(self) -> list[int]:
        symbols = self.elf.get_section_by_name(".symtab")
        if symbols is None:
            return []
        return [self.base[symbol["st_shndx"]] + symbol["st_value"] // INSTRUCTION_BYTES
                for symbol in symbols.iter_symbols()
                if symbol["st_info"]["type"] == "STT_FUNC" and symbol["st_shndx"] in self.base]
