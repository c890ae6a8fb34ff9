"""Disassembler to the bpf_conformance assembly syntax: its output assembles back to the same bytes.

Jump targets are written as relative offsets (`+3`, `-2`) unless `labels=True`, which names every
jump and local-call target `L<index>` instead. Words the profile does not know are written as a
comment with their raw bytes (and do not assemble).
"""

from __future__ import annotations

from dataclasses import dataclass

from jitvm.bpf.assembler import DEFAULT_PROFILE
from jitvm.bpf.instruction import Word, decode_words, lddw_value
from jitvm.bpf.table import Instruction, ProfileTable, profile_table


@dataclass(frozen=True)
class Line:
    pc: int  # index of the first instruction word
    words: tuple[Word, ...]
    row: Instruction | None
    text: str


def disassemble(code: bytes, profile: str = DEFAULT_PROFILE, *, labels: bool = False,
                names: dict[int, str] | None = None) -> str:
    """Disassemble bytecode into assembly text, one instruction per line.

    `names` maps call immediates to names (sBPF syscall hashes) and is written as a comment.
    """
    lines = disassemble_lines(code, profile, names=names)
    targets = _targets(lines) if labels else {}
    out = []
    for line in lines:
        if line.pc in targets:
            out.append(f"{targets[line.pc]}:")
        text = line.text
        if labels and line.row is not None:
            text = _with_label(line, targets)
        out.append(text)
    return "\n".join(out) + ("\n" if out else "")


def disassemble_lines(code: bytes, profile: str = DEFAULT_PROFILE, *,
                      names: dict[int, str] | None = None) -> list[Line]:
    table = profile_table(profile)
    words = decode_words(code)
    lines = []
    pc = 0
    while pc < len(words):
        word = words[pc]
        row = table.decode(word.opcode, word.src, word.off, word.imm)
        if row is not None and row.slots == 2 and pc + 1 < len(words):
            group = (word, words[pc + 1])
        else:
            group = (word,)
        text = format_instruction(table, row, group, names or {}) if row else _unknown(word)
        lines.append(Line(pc, group, row, text))
        pc += len(group)
    return lines


def format_instruction(table: ProfileTable, row: Instruction, words: tuple[Word, ...],
                       names: dict[int, str]) -> str:
    word = words[0]
    operands = []
    for kind in [part.strip() for part in row.syntax.split(",")] if row.syntax else []:
        if kind in ("dst", "src"):
            operands.append(f"%r{getattr(word, kind)}")
        elif kind == "reg":
            operands.append(f"%r{getattr(word, table.profile.callx_register)}")
        elif kind == "imm":
            if row.form == "jump_long" or row.semantics == "call_local":
                operands.append(_relative(word.imm))
            else:
                operands.append(_immediate(word.imm))
        elif kind == "imm64":
            value = lddw_value(words[0], words[1]) if len(words) == 2 else word.imm & 0xFFFFFFFF
            operands.append(f"{value:#x}")
        elif kind == "off":
            operands.append(_relative(word.off))
        elif kind == "[src+off]":
            operands.append(_memory(word.src, word.off))
        elif kind == "[dst+off]":
            operands.append(_memory(word.dst, word.off))
    mnemonic = row.mnemonic
    if row.semantics == "callx" or row.semantics == "call_local":
        mnemonic = "call"
        if row.semantics == "call_local":
            operands[0] = "local " + operands[0]
    text = f"{mnemonic} {', '.join(operands)}".rstrip()
    if row.semantics == "call_helper" and (word.imm & 0xFFFFFFFF) in names:
        text += f"  # {names[word.imm & 0xFFFFFFFF]}"
    return text


def _immediate(value: int) -> str:
    return str(value) if -4096 < value < 4096 else f"{value & 0xFFFFFFFF:#x}"


def _relative(value: int) -> str:
    return f"+{value}" if value >= 0 else str(value)


def _memory(register: int, offset: int) -> str:
    if offset == 0:
        return f"[%r{register}]"
    return f"[%r{register}+{offset}]" if offset > 0 else f"[%r{register}{offset}]"


def _unknown(word: Word) -> str:
    return f"# unknown instruction {word.encode().hex(' ')}"


def _branch_target(line: Line) -> int | None:
    row = line.row
    if row is None:
        return None
    word = line.words[0]
    if row.form in ("jump", "jump_imm", "jump_reg"):
        return line.pc + 1 + word.off
    if row.form == "jump_long" or row.semantics == "call_local":
        return line.pc + 1 + word.imm
    return None


def _targets(lines: list[Line]) -> dict[int, str]:
    pcs = sorted({target for line in lines if (target := _branch_target(line)) is not None})
    return {pc: f"L{pc}" for pc in pcs}


def _with_label(line: Line, targets: dict[int, str]) -> str:
    target = _branch_target(line)
    if target is None:
        return line.text
    head, _, last = line.text.rpartition(" ")
    return f"{head} {targets[target]}"
