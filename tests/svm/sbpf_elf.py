"""A small sBPF v0 shared object that LiteSVM and jitvm both load: an ELF header, PT_LOAD and
PT_DYNAMIC segments, .text, and a dynamic symbol table with one R_BPF_64_32 relocation per syscall
call (sBPF v0 resolves a `call -1` through its relocation's symbol name)."""

from __future__ import annotations

import struct

ET_DYN, EM_BPF = 3, 247
PT_LOAD, PT_DYNAMIC = 1, 2
SHT_PROGBITS, SHT_STRTAB, SHT_DYNAMIC, SHT_REL, SHT_DYNSYM = 1, 3, 6, 9, 11
DT_NULL, DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT, DT_REL, DT_RELSZ, DT_RELENT = 0, 5, 6, 10, 11, 17, 18, 19
R_BPF_64_32 = 10
HEADER, PROGRAM_HEADER, SECTION_HEADER = 64, 56, 64


def _align(value: int) -> int:
    return (value + 7) & ~7


def shared_object(code: bytes, syscall_calls: list[tuple[int, str]]) -> bytes:
    """`syscall_calls`: (instruction index, syscall name) of each `call -1` to relocate."""
    if not syscall_calls:
        return _text_only(code)
    names = sorted({name for _, name in syscall_calls})
    dynstr = b"\0" + b"".join(name.encode() + b"\0" for name in names)
    name_offsets, position = {}, 1
    for name in names:
        name_offsets[name] = position
        position += len(name) + 1
    dynsym = bytes(24) + b"".join(struct.pack("<IBBHQQ", name_offsets[name], 0x10, 0, 0, 0, 0) for name in names)
    text_offset = HEADER + 2 * PROGRAM_HEADER
    rel_offset = _align(text_offset + len(code))
    rel = b"".join(struct.pack("<QQ", text_offset + 8 * index, ((names.index(name) + 1) << 32) | R_BPF_64_32)
                   for index, name in syscall_calls)
    dynsym_offset = _align(rel_offset + len(rel))
    dynstr_offset = dynsym_offset + len(dynsym)
    dynamic_offset = _align(dynstr_offset + len(dynstr))
    entries = [(DT_REL, rel_offset), (DT_RELSZ, len(rel)), (DT_RELENT, 16)] if rel else []  # Agave: no empty DT_REL
    entries += [(DT_SYMTAB, dynsym_offset), (DT_SYMENT, 24), (DT_STRTAB, dynstr_offset), (DT_STRSZ, len(dynstr)),
                (DT_NULL, 0)]
    dynamic = b"".join(struct.pack("<QQ", tag, value) for tag, value in entries)
    shstrtab = b"\0.text\0.rel.dyn\0.dynsym\0.dynstr\0.dynamic\0.shstrtab\0"
    shstrtab_offset = dynamic_offset + len(dynamic)
    sections_offset = _align(shstrtab_offset + len(shstrtab))

    header = b"\x7fELF" + bytes((2, 1, 1, 0)) + bytes(8)
    header += struct.pack("<HHIQQQIHHHHHH", ET_DYN, EM_BPF, 1, text_offset, HEADER, sections_offset, 0, HEADER,
                          PROGRAM_HEADER, 2, SECTION_HEADER, 7, 6)
    header += struct.pack("<IIQQQQQQ", PT_LOAD, 5, text_offset, text_offset, text_offset, len(code), len(code), 8)
    header += struct.pack("<IIQQQQQQ", PT_DYNAMIC, 6, dynamic_offset, dynamic_offset, dynamic_offset,
                          len(dynamic), len(dynamic), 8)
    body = bytearray(header + code)
    for offset, chunk in ((rel_offset, rel), (dynsym_offset, dynsym), (dynstr_offset, dynstr),
                          (dynamic_offset, dynamic), (shstrtab_offset, shstrtab)):
        body += bytes(offset - len(body)) + chunk
    body += bytes(sections_offset - len(body))

    def section(name: bytes, kind, flags, offset, size, link=0, info=0, align=8, entry=0):
        return struct.pack("<IIQQQQIIQQ", shstrtab.index(name + b"\0"), kind, flags, offset, offset, size, link,
                           info, align, entry)

    body += bytes(SECTION_HEADER)
    body += section(b".text", SHT_PROGBITS, 6, text_offset, len(code))
    body += section(b".rel.dyn", SHT_REL, 2, rel_offset, len(rel), link=3, entry=16)
    body += section(b".dynsym", SHT_DYNSYM, 2, dynsym_offset, len(dynsym), link=4, info=1, entry=24)
    body += section(b".dynstr", SHT_STRTAB, 2, dynstr_offset, len(dynstr), align=1)
    body += section(b".dynamic", SHT_DYNAMIC, 3, dynamic_offset, len(dynamic), link=4, entry=16)
    body += struct.pack("<IIQQQQIIQQ", shstrtab.index(b".shstrtab\0"), SHT_STRTAB, 0, 0, shstrtab_offset,
                        len(shstrtab), 0, 0, 1, 0)
    return bytes(body)


def _text_only(code: bytes) -> bytes:
    """No syscalls: no dynamic section at all (Agave rejects empty relocation tables)."""
    shstrtab = b"\0.text\0.shstrtab\0"
    text_offset = HEADER + PROGRAM_HEADER
    strings_offset = text_offset + len(code)
    sections_offset = _align(strings_offset + len(shstrtab))
    header = b"\x7fELF" + bytes((2, 1, 1, 0)) + bytes(8)
    header += struct.pack("<HHIQQQIHHHHHH", ET_DYN, EM_BPF, 1, text_offset, HEADER, sections_offset, 0, HEADER,
                          PROGRAM_HEADER, 1, SECTION_HEADER, 3, 2)
    header += struct.pack("<IIQQQQQQ", PT_LOAD, 5, text_offset, text_offset, text_offset, len(code), len(code), 8)
    body = header + code + shstrtab
    body += bytes(sections_offset - len(body)) + bytes(SECTION_HEADER)
    body += struct.pack("<IIQQQQIIQQ", 1, SHT_PROGBITS, 6, text_offset, text_offset, len(code), 0, 0, 8, 0)
    body += struct.pack("<IIQQQQIIQQ", 7, SHT_STRTAB, 0, 0, strings_offset, len(shstrtab), 0, 0, 1, 0)
    return body
