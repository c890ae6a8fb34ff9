"""ELF loading with pyelftools: eBPF objects from `clang -target bpf`, and Solana sBPF programs.

sBPF v0-v2 programs go through the lenient loader (Solana's rules for the legacy format): one
read-only region of .text/.rodata at 0x1_0000_0000 + their addresses, writable .data/.bss rejected,
relocations R_BPF_64_64, R_BPF_64_RELATIVE and R_BPF_64_32 (a syscall by the murmur3 hash of its
name, or a bpf-to-bpf call turned into a registered function key), and relative calls turned into
function keys. sBPF v3 programs go through the strict loader (SIMD-0189): exact headers, .rodata at
vaddr 0 and bytecode at 0x1_0000_0000, no relocations. Rejections are `ElfError`s whose `kind`
uses the name of Solana's error.

eBPF objects (ET_REL) are linked as libbpf links a program: the entry section (named, or the one
executable section other than .text) first, then each executable section it calls, with the
R_BPF_64_32 calls between them made pc relative; maps and global data (R_BPF_64_64) are rejected.
"""

from __future__ import annotations

import io
import struct

from elftools.common.exceptions import ELFError as PyElfError
from elftools.elf.elffile import ELFFile

from jitvm.bpf.errors import ElfError
from jitvm.bpf.helpers import HelperRegistry, syscall_key
from jitvm.bpf.instruction import INSTRUCTION_BYTES
from jitvm.bpf.memory import MM_PROGRAM_START, MM_RODATA_START
from jitvm.bpf.program import Program

EM_BPF = 247
EM_SBPF = 263
CALL_IMM = 0x85
R_BPF_64_64 = 1
R_BPF_64_RELATIVE = 8
R_BPF_64_32 = 10
SECTION_NAME_LENGTH_MAXIMUM = 16
SYMBOL_NAME_LENGTH_MAXIMUM = 64
SHF_WRITE = 0x1
PF_X, PF_R = 0x1, 0x4
ELF64_HEADER_SIZE = 64
PROGRAM_HEADER_SIZE = 56
STRICT_VERSION = 3
ENTRYPOINT = "entrypoint"


def sbpf_function_key(target_pc: int) -> int:
    """The key a legacy loader registers a bpf-to-bpf call target under: the hash of its index."""
    return syscall_key(struct.pack("<Q", target_pc))


def load_elf(data: bytes, source: str = "<elf>", *, syscalls: HelperRegistry | None = None,
             reject_broken_elfs: bool = True, section: str | None = None) -> Program:
    """Load an ELF file: an eBPF relocatable object or an sBPF shared object (version = e_flags).
    `section` names the eBPF object's entry section (by default its one section other than .text)."""
    try:
        elf = ELFFile(io.BytesIO(data))
        header = elf.header
    except (PyElfError, struct.error, ValueError) as exc:
        raise ElfError(source, "InvalidFileHeader", f"not a readable ELF file ({exc})") from None
    machine = header["e_machine"]
    machine = {"EM_BPF": EM_BPF}.get(machine, machine)
    if machine not in (EM_BPF, EM_SBPF):
        raise ElfError(source, "WrongMachine", f"e_machine is {header['e_machine']}, not BPF")
    if elf.elfclass != 64 or not elf.little_endian:
        raise ElfError(source, "WrongClass", "expected a 64-bit little-endian ELF file")
    if header["e_type"] == "ET_REL":
        return _load_ebpf_object(elf, source, section)
    if section is not None:
        raise ElfError(source, "WrongType", "section= chooses the entry of an eBPF object; sBPF programs have e_entry")
    if header["e_type"] != "ET_DYN":
        raise ElfError(source, "WrongType", f"e_type is {header['e_type']}, expected ET_DYN (sBPF) or ET_REL (eBPF)")
    version = header["e_flags"]
    if version > STRICT_VERSION:
        raise ElfError(source, "UnsupportedSBPFVersion", f"sBPF version {version} (e_flags) is not supported")
    if syscalls is None:
        from jitvm.bpf.syscalls import default_syscalls

        syscalls = default_syscalls()
    if version >= STRICT_VERSION:
        return _StrictLoader(elf, data, source, version).load()
    return _LenientLoader(elf, data, source, version, syscalls, reject_broken_elfs).load()


def load_elf_file(path, **options) -> Program:
    from pathlib import Path

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ElfError(str(path), "Io", exc.strerror or str(exc)) from None
    return load_elf(data, str(path), **options)


# -- sBPF v0-v2: the lenient loader ----------------------------------------------------------------

class _LenientLoader:
    def __init__(self, elf: ELFFile, data: bytes, source: str, version: int, syscalls: HelperRegistry,
                 reject_broken_elfs: bool):
        self.elf, self.data, self.source, self.version = elf, data, source, version
        self.syscalls, self.reject_broken_elfs = syscalls, reject_broken_elfs
        self.functions: dict[int, int] = {}
        self.symbols: dict[int, str] = {}

    def fail(self, kind: str, problem: str) -> ElfError:
        return ElfError(self.source, kind, problem)

    def load(self) -> Program:
        self.check_program_headers()
        sections = self.sections()
        text = sections.get(".text")
        if text is None:
            raise self.fail("NotOneTextSection", "no .text section")
        self.check_writable(sections)
        text_start, text_end = text["sh_addr"], text["sh_addr"] + text["sh_size"]
        entry = self.elf.header["e_entry"]
        if not text_start <= entry < text_end or (entry - text_start) % INSTRUCTION_BYTES:
            raise self.fail("InvalidEntrypoint", f"entry {entry:#x} is not an instruction of .text")
        image = bytearray(self.data)
        self.text_offset, self.text_size = text["sh_offset"], text["sh_size"]
        self.fixup_relative_calls(image)
        self.relocate(image, sections)
        entry_pc = (entry - text_start) // INSTRUCTION_BYTES
        self.register(ENTRYPOINT, syscall_key(ENTRYPOINT), entry_pc)
        low, high, region = self.readonly_region(image, sections)
        code = bytes(image[self.text_offset:self.text_offset + self.text_size])
        profile = f"sbpf-v{self.version}"
        return Program(code, profile=profile, entry=entry_pc, text_address=MM_PROGRAM_START + text_start,
                       readonly=((MM_PROGRAM_START + low, region),), functions=tuple(sorted(self.functions.items())),
                       source=self.source, symbols=self.symbols)

    def check_program_headers(self) -> None:
        for segment in self.elf.iter_segments():
            header = segment.header
            if header["p_type"] != "PT_LOAD":
                continue
            if header["p_vaddr"] + header["p_memsz"] >= 1 << 64 or header["p_offset"] + header["p_filesz"] >= 1 << 64:
                raise self.fail("InvalidProgramHeader", f"segment at {header['p_vaddr']:#x} overflows the address space")
            if header["p_offset"] + header["p_filesz"] > len(self.data):
                raise self.fail("InvalidProgramHeader", "segment extends past the end of the file")

    def sections(self) -> dict:
        sections = {}
        for section in self.elf.iter_sections():
            name = section.name
            if len(name.encode()) > SECTION_NAME_LENGTH_MAXIMUM:
                raise self.fail("StringTooLong", f"section name {name[:40]!r}... is longer than "
                                                 f"{SECTION_NAME_LENGTH_MAXIMUM} bytes")
            sections[name] = section
        return sections

    def check_writable(self, sections: dict) -> None:
        for name, section in sections.items():
            writable_data = name.startswith(".bss") or (name.startswith(".data") and not name.startswith(".data.rel"))
            if writable_data and section["sh_flags"] & SHF_WRITE and section["sh_size"]:
                raise self.fail("WritableSectionNotSupported", f"{name} is writable; sBPF programs have no writable data")

    def register(self, name: str, key: int, target_pc: int) -> int:
        if key in self.functions and self.functions[key] != target_pc:
            raise self.fail("SymbolHashCollision", f"{name} hashes to {key:#x}, already taken")
        if key in self.syscalls:
            raise self.fail("SymbolHashCollision", f"{name} hashes to {key:#x}, the key of a syscall")
        self.functions[key] = target_pc
        self.symbols[key] = name
        return key

    def instructions(self) -> int:
        return self.text_size // INSTRUCTION_BYTES

    def fixup_relative_calls(self, image: bytearray) -> None:
        """Legacy calls carry a relative offset; the loader registers each target as a function."""
        for pc in range(self.instructions()):
            at = self.text_offset + pc * INSTRUCTION_BYTES
            opcode, imm = image[at], struct.unpack_from("<i", image, at + 4)[0]
            if opcode != CALL_IMM or imm == -1:
                continue
            target = pc + 1 + imm
            if not 0 <= target < self.instructions():
                raise self.fail("RelativeJumpOutOfBounds", f"call at instruction {pc} targets {target}")
            key = self.register(f"function_{target}", sbpf_function_key(target), target)
            struct.pack_into("<I", image, at + 4, key)

    def relocate(self, image: bytearray, sections: dict) -> None:
        relocations = sections.get(".rel.dyn")
        if relocations is None:
            return
        symbols = sections.get(".dynsym")
        text = sections[".text"]
        text_start, text_end = text["sh_offset"], text["sh_offset"] + text["sh_size"]
        for relocation in relocations.iter_relocations():
            offset, kind = relocation["r_offset"], relocation["r_info_type"]
            symbol = symbols.get_symbol(relocation["r_info_sym"]) if symbols is not None else None
            if offset + 16 > len(image) and kind != R_BPF_64_RELATIVE:
                raise self.fail("ValueOutOfBounds", f"relocation at {offset:#x} is outside the file")
            if kind == R_BPF_64_64:
                self.relocate_64_64(image, offset, symbol)
            elif kind == R_BPF_64_RELATIVE:
                self.relocate_relative(image, offset, text_start <= offset < text_end)
            elif kind == R_BPF_64_32:
                self.relocate_call(image, offset, symbol, text)
            else:
                raise self.fail("UnknownRelocation", f"relocation type {kind} at {offset:#x}")

    def relocate_64_64(self, image: bytearray, offset: int, symbol) -> None:
        """lddw of a symbol's address: symbol value plus the addend in the low immediate."""
        addend = struct.unpack_from("<I", image, offset + 4)[0]
        address = symbol["st_value"] + addend
        if address < MM_PROGRAM_START:
            address += MM_PROGRAM_START
        _write_lddw(image, offset, address)

    def relocate_relative(self, image: bytearray, offset: int, in_text: bool) -> None:
        if in_text:  # an lddw holding an address relative to the start of the file
            low, high = struct.unpack_from("<I", image, offset + 4)[0], struct.unpack_from("<I", image, offset + 12)[0]
            address = (high << 32) | low
            if address == 0:
                raise self.fail("InvalidVirtualAddress", f"relative relocation at {offset:#x} of address 0")
            if address < MM_PROGRAM_START:
                address += MM_PROGRAM_START
            _write_lddw(image, offset, address)
            return
        if offset + 8 > len(image):
            raise self.fail("ValueOutOfBounds", f"relocation at {offset:#x} is outside the file")
        # a pointer in read-only data: the legacy loader reads 32 bits where an lddw keeps its
        # immediate (4 bytes in) and writes the whole 64-bit address back
        address = struct.unpack_from("<I", image, offset + 4)[0] + MM_PROGRAM_START
        struct.pack_into("<Q", image, offset, address)

    def relocate_call(self, image: bytearray, offset: int, symbol, text) -> None:
        name = symbol.name if symbol is not None else ""
        if len(name.encode()) > SYMBOL_NAME_LENGTH_MAXIMUM:
            raise self.fail("UnknownSymbol", f"symbol name {name[:40]!r}... is longer than "
                                             f"{SYMBOL_NAME_LENGTH_MAXIMUM} bytes")
        defined = symbol is not None and symbol["st_info"]["type"] == "STT_FUNC" and symbol["st_value"] != 0
        if defined:  # a bpf-to-bpf call through a symbol
            target = (symbol["st_value"] - text["sh_addr"]) // INSTRUCTION_BYTES
            if not 0 <= target < self.instructions():
                raise self.fail("RelativeJumpOutOfBounds", f"call to {name} targets instruction {target}")
            key = self.register(name, sbpf_function_key(target), target)
        else:
            key = syscall_key(name)
            if key not in self.syscalls and self.reject_broken_elfs:
                raise self.fail("UnresolvedSymbol", f"{name!r} at instruction {offset // INSTRUCTION_BYTES} "
                                                    f"(offset {offset:#x}) is not a registered syscall")
            self.symbols[key] = name
        struct.pack_into("<I", image, offset + 4, key)

    def readonly_region(self, image: bytearray, sections: dict) -> tuple[int, int, bytes]:
        """.text, .rodata, .data.rel.ro and .eh_frame in one region, at their addresses."""
        mapped = [section for name, section in sections.items()
                  if name == ".text" or name.startswith(".rodata") or name.startswith(".data.rel.ro")
                  or name == ".eh_frame"]
        for section in mapped:
            if section["sh_type"] != "SHT_NOBITS" and section["sh_offset"] + section["sh_size"] > len(image):
                raise self.fail("ValueOutOfBounds", f"section {section.name} extends past the end of the file")
        low = min(section["sh_addr"] for section in mapped)
        high = max(section["sh_addr"] + section["sh_size"] for section in mapped)
        region = bytearray(high - low)
        for section in mapped:
            start = section["sh_addr"] - low
            region[start:start + section["sh_size"]] = image[section["sh_offset"]:section["sh_offset"] + section["sh_size"]]
        return low, high, bytes(region)


def _write_lddw(image: bytearray, offset: int, address: int) -> None:
    struct.pack_into("<I", image, offset + 4, address & 0xFFFFFFFF)
    struct.pack_into("<I", image, offset + 12, address >> 32)


# -- sBPF v3: the strict loader (SIMD-0189) --------------------------------------------------------

class _StrictLoader:
    def __init__(self, elf: ELFFile, data: bytes, source: str, version: int):
        self.elf, self.data, self.source, self.version = elf, data, source, version

    def fail(self, kind: str, problem: str) -> ElfError:
        return ElfError(self.source, kind, problem)

    def load(self) -> Program:
        header = self.elf.header
        ident = header["e_ident"]
        if ident["EI_OSABI"] != "ELFOSABI_SYSV" or ident["EI_VERSION"] != "EV_CURRENT":
            raise self.fail("InvalidFileHeader", "e_ident must name System V and the current version")
        if header["e_phoff"] != ELF64_HEADER_SIZE or header["e_phentsize"] != PROGRAM_HEADER_SIZE \
                or header["e_ehsize"] != ELF64_HEADER_SIZE:
            raise self.fail("InvalidFileHeader", "program headers must follow the 64-byte file header directly")
        loads = [segment.header for segment in self.elf.iter_segments() if segment.header["p_type"] == "PT_LOAD"]
        rodata, bytecode = b"", None
        for segment in loads:
            payload = self.segment_bytes(segment)
            if segment["p_flags"] == PF_R and segment["p_vaddr"] == MM_RODATA_START and bytecode is None:
                rodata = payload
            elif segment["p_flags"] == PF_X and segment["p_vaddr"] == MM_PROGRAM_START and bytecode is None:
                bytecode = payload
            else:
                raise self.fail("InvalidProgramHeader", f"unexpected segment at {segment['p_vaddr']:#x} "
                                                        f"(flags {segment['p_flags']})")
        if not bytecode or len(bytecode) % INSTRUCTION_BYTES:
            raise self.fail("InvalidProgramHeader", "the bytecode segment is missing or not whole instructions")
        entry = header["e_entry"] - MM_PROGRAM_START
        if not 0 <= entry < len(bytecode) or entry % INSTRUCTION_BYTES:
            raise self.fail("InvalidFileHeader", f"entry {header['e_entry']:#x} is not an instruction of the bytecode")
        return Program(bytecode, profile=f"sbpf-v{self.version}", entry=entry // INSTRUCTION_BYTES,
                       text_address=MM_PROGRAM_START,
                       readonly=((MM_RODATA_START, rodata), (MM_PROGRAM_START, bytecode)), source=self.source)

    def segment_bytes(self, segment) -> bytes:
        start, size = segment["p_offset"], segment["p_filesz"]
        if segment["p_memsz"] != size or start + size > len(self.data):
            raise self.fail("InvalidProgramHeader", f"segment at {segment['p_vaddr']:#x} is not fully in the file")
        return self.data[start:start + size]


# -- eBPF: relocatable objects from clang -target bpf ----------------------------------------------

SHF_EXECINSTR = 0x4
TEXT = ".text"
CALL_LOCAL_SOURCE = 1  # src of a bpf-to-bpf call: imm is pc relative
_RELOCATION_NAMES = {R_BPF_64_64: "R_BPF_64_64", 2: "R_BPF_64_ABS64", 3: "R_BPF_64_ABS32", 4: "R_BPF_64_NODYLD32",
                     R_BPF_64_RELATIVE: "R_BPF_64_RELATIVE", R_BPF_64_32: "R_BPF_64_32"}


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
