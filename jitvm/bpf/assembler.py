"""Assembler for the bpf_conformance assembly syntax.

    mov32 %r0, 0            add %r1, %r2            neg %r3             be16 %r0
    ldxw %r0, [%r1+4]       stb [%r10-8], 7         stxdw [%r1], %r2    lddw %r0, 0x1122334455667788
    jeq %r1, 5, label       ja +3                   ja32 label          exit
    call 5   (helper)       call local label        call %r2  (callx)
    lock add [%r10-8], %r1  lock fetch xor32 [%r1+4], %r2               lock cmpxchg [%r1], %r3

Labels are `name:` on their own line; `exit` also names the first exit instruction. `#` starts a
comment. Which instructions exist, their bytes and which fields stay zero all come from the table.
"""

from __future__ import annotations

import re

from jitvm.bpf.errors import AssemblyError
from jitvm.bpf.instruction import Word, encode_words
from jitvm.bpf.table import Instruction, ProfileTable, profile_table

DEFAULT_PROFILE = "ebpf-v4"
REGISTER_COUNT = 11  # r0-r9 general, r10 frame pointer
_REGISTER = re.compile(r"^%?r(\d+)$")
_MEMORY = re.compile(r"^\[\s*(%?r\d+)\s*(?:([+-])\s*(\w+))?\s*\]$")
_LABEL = re.compile(r"^[A-Za-z_.][\w.]*$")
_LABEL_DEFINITION = re.compile(r"^([A-Za-z_.][\w.]*):\s*(.*)$")
INT32 = (-(1 << 31), (1 << 31) - 1)


def assemble(text: str, profile: str = DEFAULT_PROFILE, source: str = "<assembly>") -> bytes:
    """Assemble `text` into bytecode for `profile`; raises AssemblyError naming the line."""
    return encode_words(_Assembler(profile_table(profile), source).run(text))


class _Assembler:
    def __init__(self, table: ProfileTable, source: str):
        self.table = table
        self.source = source
        self.labels: dict[str, int] = {}
        self.words: list[Word] = []
        self.fixups: list[tuple[int, int, str, str]] = []  # (word index, line, label, field)

    def error(self, line: int, problem: str) -> AssemblyError:
        return AssemblyError(self.source, line, problem)

    def run(self, text: str) -> list[Word]:
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            label = _LABEL_DEFINITION.match(line)
            if label:
                self.define_label(number, label.group(1))
                line = label.group(2)
            if line:
                self.instruction(number, line)
        for index, number, label, field in self.fixups:
            if label not in self.labels:
                raise self.error(number, f"unknown label {label!r}")
            relative = self.labels[label] - index - 1
            word = self.words[index]
            if field == "off":
                self.check_range(number, relative, -(1 << 15), (1 << 15) - 1, "jump offset")
                self.words[index] = word._replace(off=relative)
            else:
                self.words[index] = word._replace(imm=relative)
        return self.words

    def define_label(self, number: int, label: str) -> None:
        if label in self.labels:
            raise self.error(number, f"label {label!r} defined twice")
        self.labels[label] = len(self.words)

    # -- one instruction ----------------------------------------------------------------------------

    def instruction(self, number: int, line: str) -> None:
        mnemonic, _, operand_text = line.partition(" ")
        operands = [part.strip() for part in operand_text.split(",")] if operand_text.strip() else []
        if mnemonic == "lock":
            mnemonic, operands = self.split_lock(number, operands)
        elif mnemonic == "call":
            mnemonic, operands = self.split_call(number, operands)
        if mnemonic == "exit" and "exit" not in self.labels:
            self.labels["exit"] = len(self.words)
        source = "reg" if len(operands) >= 2 and _REGISTER.match(operands[1]) else "imm"
        row = self.table.lookup(mnemonic, source)
        if row is None:
            if self.table.by_mnemonic.get(mnemonic):
                raise self.error(number, f"{mnemonic} does not take a {'register' if source == 'reg' else 'constant'}"
                                         " as its second operand")
            raise self.error(number, f"unknown mnemonic {mnemonic!r} in {self.table.profile.name}")
        self.encode(number, row, operands)

    def split_lock(self, number: int, operands: list[str]) -> tuple[str, list[str]]:
        # "lock fetch add [%r1+0], %r2" arrives as ["fetch add [%r1+0]", "%r2"]
        if len(operands) != 2 or "[" not in operands[0]:
            raise self.error(number, "invalid number of operands for lock: expected lock [fetch] OP [dst+off], src")
        words, _, memory = operands[0].partition("[")
        return "lock " + " ".join(words.split()), ["[" + memory, operands[1]]

    def split_call(self, number: int, operands: list[str]) -> tuple[str, list[str]]:
        if len(operands) != 1:
            raise self.error(number, "call takes one operand: a helper number, `local LABEL` or a register")
        target = operands[0]
        if target.startswith("local "):
            return "call local", [target[len("local "):].strip()]
        if _REGISTER.match(target):
            return "callx", [target]
        return "call", [target]

    def encode(self, number: int, row: Instruction, operands: list[str]) -> None:
        syntax = [part.strip() for part in row.syntax.split(",")] if row.syntax else []
        if len(operands) != len(syntax):
            raise self.error(number, f"{row.mnemonic} takes {len(syntax)} operand(s) ({row.syntax or 'none'}), "
                                     f"got {len(operands)}")
        fields = {"dst": 0, "src": 0, "off": 0, "imm": 0, **dict(row.match)}
        high = 0
        for kind, text in zip(syntax, operands):
            if kind in ("dst", "src"):
                fields[kind] = self.register(number, text)
            elif kind == "reg":  # callx: the profile says which field holds the register
                fields[self.table.profile.callx_register] = self.register(number, text)
            elif kind == "imm":
                if row.form in ("jump_long",) or row.semantics == "call_local":
                    fields["imm"] = self.jump_target(number, text, "imm")
                else:
                    fields["imm"] = self.immediate(number, text)
            elif kind == "imm64":
                value = self.number(number, text, -(1 << 63), (1 << 64) - 1, "64-bit immediate")
                value &= (1 << 64) - 1
                fields["imm"], high = _signed32(value & 0xFFFFFFFF), _signed32(value >> 32)
            elif kind == "off":
                fields["off"] = self.jump_target(number, text, "off")
            elif kind in ("[src+off]", "[dst+off]"):
                register, offset = self.memory(number, text)
                fields[kind[1:4]] = register
                fields["off"] = offset
        self.words.append(Word(row.opcode, fields["dst"], fields["src"], fields["off"], fields["imm"]))
        if row.slots == 2:
            self.words.append(Word(0, 0, 0, 0, high))

    # -- operands -----------------------------------------------------------------------------------

    def register(self, number: int, text: str) -> int:
        match = _REGISTER.match(text)
        if not match or int(match.group(1)) >= REGISTER_COUNT:
            raise self.error(number, f"invalid register {text!r} (expected %r0 ... %r10)")
        return int(match.group(1))

    def number(self, number: int, text: str, low: int, high: int, what: str) -> int:
        try:
            value = int(text, 16) if _is_hex(text) else int(text, 10)
        except ValueError:
            raise self.error(number, f"{what} {text!r} is not a number") from None
        self.check_range(number, value, low, high, what)
        return value

    def check_range(self, number: int, value: int, low: int, high: int, what: str) -> None:
        if not low <= value <= high:
            raise self.error(number, f"{what} {value} is out of range [{low}, {high}]")

    def immediate(self, number: int, text: str) -> int:
        # Hex spells a bit pattern (0xffffffff is -1); a decimal number must fit the signed range.
        high = (1 << 32) - 1 if _is_hex(text) else INT32[1]
        return _signed32(self.number(number, text, INT32[0], high, "immediate"))

    def jump_target(self, number: int, text: str, field: str) -> int:
        if text[:1] in "+-" and len(text) > 1:
            if field == "off":
                return _signed16(self.number(number, text, -(1 << 15), (1 << 16) - 1, "jump offset"))
            return self.immediate(number, text)
        if not _LABEL.match(text):
            raise self.error(number, f"invalid jump target {text!r} (expected a label or +N / -N)")
        self.fixups.append((len(self.words), number, text, field))
        return 0

    def memory(self, number: int, text: str) -> tuple[int, int]:
        match = _MEMORY.match(text)
        if not match:
            raise self.error(number, f"invalid memory operand {text!r} (expected [%rN+offset])")
        register = self.register(number, match.group(1))
        if match.group(3) is None:
            return register, 0
        magnitude = self.number(number, match.group(3), 0, (1 << 16) - 1, "offset")
        offset = -magnitude if match.group(2) == "-" else magnitude
        if match.group(2) == "+" and offset > (1 << 15) - 1 and _is_hex(match.group(3)):
            offset -= 1 << 16  # a hex offset may spell the 16-bit pattern
        self.check_range(number, offset, -(1 << 15), (1 << 15) - 1, "offset")
        return register, offset


def _is_hex(text: str) -> bool:
    return text.lstrip("+-")[:2].lower() == "0x"


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _signed16(value: int) -> int:
    value &= 0xFFFF
    return value - (1 << 16) if value & 0x8000 else value
