"""Reading and rewriting the parts of a Wasm binary module that metering touches.

A module is a header and a list of sections (id, bytes). `Module.parse` keeps every section as raw
bytes, decodes only what metering needs (types, imports, functions, globals, exports, code bodies),
and `Module.encode` writes the sections back in order, so whatever jitvm does not rewrite stays
byte-for-byte as it was. Malformed input raises `InvalidModule` (never IndexError or struct.error).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAGIC = b"\x00asm\x01\x00\x00\x00"

TYPE_SECTION, IMPORT_SECTION, FUNCTION_SECTION, GLOBAL_SECTION = 1, 2, 3, 6
EXPORT_SECTION, CODE_SECTION = 7, 10
# Where a section may stand: the order of known sections (custom sections, id 0, go anywhere).
SECTION_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

FUNC_KIND, TABLE_KIND, MEMORY_KIND, GLOBAL_KIND = 0, 1, 2, 3
I32, I64 = 0x7F, 0x7E


class InvalidModule(Exception):
    """The bytes are not a Wasm module jitvm accepts; the message says where and why."""


class Reader:
    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise InvalidModule(f"unexpected end of data at byte {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def bytes(self, count: int) -> bytes:
        if count < 0 or self.pos + count > self.end:
            raise InvalidModule(f"unexpected end of data at byte {self.pos} (wanted {count} bytes)")
        value = self.data[self.pos:self.pos + count]
        self.pos += count
        return value

    def u32(self) -> int:
        return self._leb(32, signed=False)

    def s33(self) -> int:
        return self._leb(33, signed=True)

    def s32(self) -> int:
        return self._leb(32, signed=True)

    def s64(self) -> int:
        return self._leb(64, signed=True)

    def _leb(self, bits: int, signed: bool) -> int:
        result = shift = 0
        for _ in range((bits + 6) // 7):
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                if signed and byte & 0x40:
                    result -= 1 << shift
                return result
        raise InvalidModule(f"LEB128 integer longer than {bits} bits at byte {self.pos}")

    def name(self) -> str:
        raw = self.bytes(self.u32())
        try:
            return raw.decode()
        except UnicodeDecodeError:
            raise InvalidModule(f"a name is not UTF-8 at byte {self.pos}") from None

    @property
    def done(self) -> bool:
        return self.pos >= self.end


def uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def sleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def vector(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


@dataclass(slots=True)
class FunctionBody:
    locals_bytes: bytes  # the local declarations, verbatim
    local_count: int
    code: bytes  # the instructions, ending with `end`


@dataclass(slots=True)
class Module:
    sections: list[tuple[int, bytes]]
    imported_functions: list[tuple[str, str, int]] = field(default_factory=list)  # module, name, type
    imported_globals: int = 0
    defined_globals: int = 0
    exports: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (kind, index)
    bodies: list[FunctionBody] = field(default_factory=list)

    @classmethod
    def parse(cls, data: bytes) -> "Module":
        if data[:8] != MAGIC:
            raise InvalidModule("not a Wasm module (bad magic number or version)")
        reader = Reader(data, 8)
        sections: list[tuple[int, bytes]] = []
        last_order = 0
        while not reader.done:
            section_id = reader.byte()
            size = reader.u32()
            payload = reader.bytes(size)
            if section_id != 0:
                order = SECTION_ORDER.get(section_id)
                if order is None:
                    raise InvalidModule(f"unknown section id {section_id}")
                if order <= last_order:
                    raise InvalidModule(f"section {section_id} out of order or repeated")
                last_order = order
            sections.append((section_id, payload))
        module = cls(sections)
        for section_id, payload in sections:
            module._decode(section_id, payload)
        return module

    def _decode(self, section_id: int, payload: bytes) -> None:
        reader = Reader(payload)
        if section_id == IMPORT_SECTION:
            for _ in range(reader.u32()):
                module_name, name, kind = reader.name(), reader.name(), reader.byte()
                if kind == FUNC_KIND:
                    self.imported_functions.append((module_name, name, reader.u32()))
                elif kind == TABLE_KIND:
                    reader.byte()
                    _limits(reader)
                elif kind == MEMORY_KIND:
                    _limits(reader)
                elif kind == GLOBAL_KIND:
                    reader.bytes(2)
                    self.imported_globals += 1
                else:
                    raise InvalidModule(f"unknown import kind {kind}")
        elif section_id == GLOBAL_SECTION:
            self.defined_globals = reader.u32()
        elif section_id == EXPORT_SECTION:
            for _ in range(reader.u32()):
                name, kind, index = reader.name(), reader.byte(), reader.u32()
                self.exports[name] = (kind, index)
        elif section_id == CODE_SECTION:
            for _ in range(reader.u32()):
                size = reader.u32()
                body = Reader(payload, reader.pos, reader.pos + size)
                if body.end > len(payload):
                    raise InvalidModule("a function body runs past the code section")
                reader.pos = body.end
                start = body.pos
                local_count = 0
                for _ in range(body.u32()):
                    local_count += body.u32()
                    body.byte()
                if local_count > 50_000:
                    raise InvalidModule(f"a function declares {local_count} locals")
                locals_bytes = payload[start:body.pos]
                self.bodies.append(FunctionBody(locals_bytes, local_count, payload[body.pos:body.end]))

    def replace_section(self, section_id: int, payload: bytes) -> None:
        """Put `payload` in place of section `section_id`, or insert it where the order wants it."""
        for index, (existing, _) in enumerate(self.sections):
            if existing == section_id:
                self.sections[index] = (section_id, payload)
                return
        order = SECTION_ORDER[section_id]
        position = len(self.sections)
        for index, (existing, _) in enumerate(self.sections):
            if existing != 0 and SECTION_ORDER[existing] > order:
                position = index
                break
        self.sections.insert(position, (section_id, payload))

    def section(self, section_id: int) -> bytes | None:
        return next((payload for existing, payload in self.sections if existing == section_id), None)

    def encode(self) -> bytes:
        return MAGIC + b"".join(bytes([sid]) + uleb(len(payload)) + payload for sid, payload in self.sections)


def _limits(reader: Reader) -> None:
    flags = reader.byte()
    reader.u32()
    if flags & 1:
        reader.u32()
