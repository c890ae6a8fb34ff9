"""The BPF instruction table: loads `opcodes/bpf.toml`, expands its rows into one entry per encoding,
checks it once, and answers the questions every user of the table asks (what does this byte mean in
this profile, which byte does this mnemonic assemble to, which bytes are valid for a fast engine).

Nothing here knows what an instruction does; that is the interpreters' business, keyed by `semantics`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

import jitvm.tables

# Fields of an instruction word, in encoding order (RFC 9669 section 3).
FIELDS = ("opcode", "dst", "src", "off", "imm")
CLASS_MASK = 0x07
ALU_CLASSES = ("alu", "alu64", "pqr")
JUMP_CLASSES = ("jmp", "jmp32")
MEMORY_SIZES = {"b": 1, "h": 2, "w": 4, "dw": 8}


class TableError(ValueError):
    """opcodes/bpf.toml breaks one of the table's invariants (a bug in the data, not user input)."""


@dataclass(frozen=True)
class Profile:
    """One ISA version: which instructions exist and how the version-dependent ones behave."""

    name: str  # "ebpf-v3", "sbpf-v0" ...
    family: str  # "ebpf" or "sbpf"
    version: int
    division_by_zero: str  # "defined" (RFC 9669 results) or "error"
    signed_division_overflow: str  # "wrap" or "error"
    alu32_sign_extends: frozenset[str]  # 32-bit operations whose result is sign-extended
    mov32_reg_sign_extends: bool
    sub_imm_reversed: bool
    shift_amount: str
    callx_register: str  # the field that names callx's register: "dst", "src" or "imm"
    dynamic_stack_frames: bool
    stack_frame_size: int
    stack_frame_gaps: bool
    max_call_depth: int
    static_syscalls: bool
    metered: bool

    @property
    def is_sbpf(self) -> bool:
        return self.family == "sbpf"


@dataclass(frozen=True)
class Instruction:
    """One encoding: an opcode byte, optionally narrowed by the value of another field."""

    index: int  # position in Table.instructions; fast engines dispatch on it
    mnemonic: str  # as the bpf_conformance assembler writes it: "add32", "ldxdw", "lock fetch or"
    opcode: int
    match: tuple[tuple[str, int], ...]  # (field, value) pairs that must also hold
    semantics: str
    form: str
    syntax: str
    zero_fields: tuple[str, ...]
    source: str | None  # "imm" / "reg" for ALU and JMP rows
    op_class: str
    width: int  # operand width in bits (ALU/JMP), bytes moved (memory), or swap width (le/be)
    slots: int  # 8-byte words; lddw takes two
    ebpf_from: int | None
    sbpf_versions: frozenset[int]
    group: str
    cost: int
    rules: dict = field(default_factory=dict, hash=False, compare=False)
    aliases: tuple[str, ...] = ()
    assemblable: bool = True
    fallback: bool = False  # decodes the byte when no row of it matches (see decode)

    def in_profile(self, profile: Profile) -> bool:
        if profile.family == "ebpf":
            return self.ebpf_from is not None and profile.version >= self.ebpf_from
        return profile.version in self.sbpf_versions

    def matches(self, src: int, off: int, imm: int) -> bool:
        values = {"src": src, "off": off, "imm": imm}
        return all(values[name] == value for name, value in self.match)


class ProfileTable:
    """The table seen through one profile: decoding, assembling and arrays for fast engines."""

    def __init__(self, table: Table, profile: Profile):
        self.profile = profile
        self.instructions = [row for row in table.instructions if row.in_profile(profile)]
        self.by_opcode: dict[int, list[Instruction]] = {}
        self.by_mnemonic: dict[str, list[Instruction]] = {}
        for row in self.instructions:
            self.by_opcode.setdefault(row.opcode, []).append(row)
            for name in (row.mnemonic, *row.aliases):
                self.by_mnemonic.setdefault(name, []).append(row)
        self._check_unambiguous()
        # Per opcode byte: is it valid at all, and how many 8-byte slots does it take.
        self.valid_opcode = np.zeros(256, dtype=np.bool_)
        self.slots = np.ones(256, dtype=np.uint8)
        for opcode, rows in self.by_opcode.items():
            self.valid_opcode[opcode] = True
            self.slots[opcode] = rows[0].slots

    def _check_unambiguous(self) -> None:
        for opcode, rows in self.by_opcode.items():
            if sum(row.fallback for row in rows) > 1:
                raise TableError(f"{self.profile.name}: byte {opcode:#04x} has several fallback rows")
            unmatched = [row for row in rows if not row.match and not row.fallback]
            if unmatched and len(rows) > 1:
                raise TableError(
                    f"{self.profile.name}: byte {opcode:#04x} has a row without `match` among "
                    f"{[row.mnemonic for row in rows]}"
                )
            seen = set()
            for row in rows:
                if row.match in seen:
                    raise TableError(f"{self.profile.name}: byte {opcode:#04x} {row.match} twice")
                seen.add(row.match)
        for name, rows in self.by_mnemonic.items():
            sources = [row.source for row in rows if row.assemblable]
            if len(sources) != len(set(sources)):
                raise TableError(f"{self.profile.name}: mnemonic {name!r} is ambiguous")

    def decode(self, opcode: int, src: int, off: int, imm: int) -> Instruction | None:
        """The row an instruction word belongs to, or None if the profile has no such instruction.

        sBPF decodes as Solana's verifier and interpreter do, by the opcode byte alone: where a byte
        has one row, its `match` (kept for eBPF, where `off` tells div from sdiv) is not checked;
        where a byte has several (byte-swap widths, v3's syscall and local call), the field decides,
        and a `fallback` row takes what no other row matches."""
        rows = self.by_opcode.get(opcode, ())
        if self.profile.is_sbpf and len(rows) == 1:
            return rows[0]
        for row in rows:
            if not row.fallback and row.matches(src, off, imm):
                return row
        return next((row for row in rows if row.fallback), None)

    def lookup(self, mnemonic: str, source: str | None) -> Instruction | None:
        """The row to assemble: by mnemonic, and by operand kind where imm and reg both exist."""
        rows = [row for row in self.by_mnemonic.get(mnemonic, ()) if row.assemblable]
        if len(rows) == 1:
            return rows[0]
        return next((row for row in rows if row.source == source), None)


class Table:
    """All rows of opcodes/bpf.toml, expanded, plus the profiles."""

    def __init__(self, data: dict):
        self.encoding = data["encoding"]
        self.forms = data["forms"]
        self.defaults = data["defaults"]
        self.class_availability = data.get("class_availability", {})
        self.profiles = _load_profiles(data["profile"])
        self.instructions: list[Instruction] = []
        for spec in data["instruction"]:
            for row in self._expand(spec):
                self.instructions.append(row)
        self.semantics = sorted({row.semantics for row in self.instructions})
        self._views: dict[str, ProfileTable] = {}
        for name in self.profiles:
            self._views[name] = ProfileTable(self, self.profiles[name])

    def for_profile(self, name: str) -> ProfileTable:
        try:
            return self._views[name]
        except KeyError:
            raise KeyError(f"unknown BPF profile {name!r} (known: {', '.join(self.profiles)})") from None

    # -- expansion of one [[instruction]] entry into encodings --------------------------------------

    def _value(self, field_name: str, key: str) -> int:
        try:
            return self.encoding[field_name][key]
        except KeyError:
            raise TableError(f"unknown {field_name} {key!r}") from None

    def _expand(self, spec: dict):
        for op_class in spec["classes"]:
            class_bits = self._value("class", op_class)
            if "moved_sizes" in spec:  # sBPF v2 memory rows encoded in ALU classes
                source = spec["sources"][0]
                for size, operation in spec["moved_sizes"].items():
                    opcode = class_bits | self._value("source", source) | self._value("operation", operation)
                    yield self._row(spec, op_class, opcode, spec["name"] + size, None, MEMORY_SIZES[size], ())
            elif "sizes" in spec or "atomic_sizes" in spec or op_class == "ld":
                yield from self._expand_memory(spec, op_class, class_bits)
            elif op_class == "pqr":
                for source in spec["sources"]:
                    for width in spec["pqr_widths"]:
                        opcode = (class_bits | self._value("source", source)
                                  | self._value("pqr_operation", spec["pqr_operation"])
                                  | self._value("pqr_width", width))
                        yield self._row(spec, op_class, opcode, spec["name"] + width, source, int(width),
                                        _match(spec))
            else:
                yield from self._expand_alu_jump(spec, op_class, class_bits)

    def _expand_alu_jump(self, spec: dict, op_class: str, class_bits: int):
        width = 32 if op_class in ("alu", "jmp32") else 64
        for source in spec["sources"]:
            opcode = class_bits | self._value("source", source) | self._value("operation", spec["operation"])
            if "widths" in spec:  # byte swaps: one row per width, told apart by imm
                for swap_width in spec["widths"]:
                    yield self._row(spec, op_class, opcode, f"{spec['name']}{swap_width}", source, swap_width,
                                    (("imm", swap_width),),
                                    aliases=tuple(f"{alias}{swap_width}" for alias in spec.get("aliases", ())))
                continue
            plain = spec.get("plain_name", False)
            mnemonic = spec["name"] if plain or width == 64 else spec["name"] + "32"
            yield self._row(spec, op_class, opcode, mnemonic, source, width, _match(spec),
                            aliases=tuple(spec.get("aliases", ())))

    def _expand_memory(self, spec: dict, op_class: str, class_bits: int):
        mode_bits = self._value("mode", spec["mode"])
        if op_class == "ld":
            opcode = class_bits | mode_bits | self._value("size", spec["size"])
            yield self._row(spec, op_class, opcode, spec["name"], None, 8, _match(spec))
            return
        if "atomic_sizes" in spec:
            for size in spec["atomic_sizes"]:
                opcode = class_bits | mode_bits | self._value("size", size)
                suffix = "32" if size == "w" else ""
                yield self._row(spec, op_class, opcode, f"lock {spec['name']}{suffix}", None, MEMORY_SIZES[size],
                                _match(spec))
            return
        for size in spec["sizes"]:
            opcode = class_bits | mode_bits | self._value("size", size)
            yield self._row(spec, op_class, opcode, spec["name"] + size, None, MEMORY_SIZES[size], _match(spec))

    def _row(self, spec, op_class, opcode, mnemonic, source, width, match, aliases=()) -> Instruction:
        form = spec.get("form") or ("alu_" if op_class in ALU_CLASSES else "jump_") + source
        if form not in self.forms:
            raise TableError(f"{mnemonic}: unknown form {form!r}")
        if not 0 <= opcode <= 0xFF:
            raise TableError(f"{mnemonic}: opcode {opcode:#x} does not fit a byte")
        available = self.class_availability.get(op_class, {})
        ebpf_from = spec.get("ebpf")
        if ebpf_from is not None and "ebpf" in available:
            ebpf_from = max(ebpf_from, available["ebpf"])
        sbpf = set(spec.get("sbpf", ()))
        if "sbpf" in available:
            sbpf &= set(available["sbpf"])
        group = spec["group"]
        if group in ("base", "divmul"):
            group += "32" if width == 32 or (op_class in ("ldx", "st", "stx") and width < 8) else "64"
        elif group == "atomic":
            group += "32" if width == 4 else "64"
        return Instruction(
            index=len(self.instructions),
            mnemonic=mnemonic,
            opcode=opcode,
            match=match,
            semantics=spec["semantics"],
            form=form,
            syntax=self.forms[form]["syntax"],
            zero_fields=tuple(name for name in self.forms[form]["zero"] if name not in dict(match)),
            source=source,
            op_class=op_class,
            width=width,
            slots=spec.get("slots", 1),
            ebpf_from=ebpf_from,
            sbpf_versions=frozenset(sbpf),
            group=group,
            cost=spec.get("cost", self.defaults["cost"]),
            rules=dict(spec.get("rules", {})),
            aliases=aliases,
            assemblable=spec.get("assemblable", True),
            fallback=spec.get("fallback", False),
        )


def _match(spec: dict) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(spec.get("match", {}).items()))


def _load_profiles(specs: dict) -> dict[str, Profile]:
    """Resolve each profile's `base` chain: a profile states only what differs from its base."""
    resolved: dict[str, dict] = {}

    def resolve(name: str, seen: tuple[str, ...] = ()) -> dict:
        if name in seen:
            raise TableError(f"profile {name!r} is its own base")
        if name not in resolved:
            spec = dict(specs[name])
            base = spec.pop("base", None)
            resolved[name] = {**(resolve(base, seen + (name,)) if base else {}), **spec}
        return resolved[name]

    profiles = {}
    for name in specs:
        values = resolve(name)
        values["alu32_sign_extends"] = frozenset(values["alu32_sign_extends"])
        try:
            profiles[name] = Profile(name=name, **values)
        except TypeError as exc:
            raise TableError(f"profile {name!r}: {exc}") from None
    return profiles


@functools.cache
def load_table() -> Table:
    """The validated table (loaded once per process)."""
    return Table(jitvm.tables.load_table("bpf.toml"))


def profile_table(name: str) -> ProfileTable:
    return load_table().for_profile(name)


def profile_name(family: str, version: int) -> str:
    return f"{family}-v{version}"
