"""Static checks run once before a program executes, with the table as the source of the rules:
every word must be an instruction of the profile, its unused fields zero, its registers real, its
jumps inside the code and not into the middle of an lddw. sBPF adds Solana's verifier rules
(no constant zero divisor, shift amounts below the operand width, r10 read-only except for
`add r10, imm` with dynamic stack frames).
"""

from __future__ import annotations

from typing import NamedTuple

from jitvm.bpf.errors import VerifyError
from jitvm.bpf.instruction import Word, decode_words, lddw_value
from jitvm.bpf.table import Instruction, profile_table

FRAME_POINTER = 10
# Semantics whose dst operand is written (so it may not be the read-only frame pointer).
_READS_ONLY_DST = {"store_imm", "store_reg", "atomic", "ja", "ja_long", "call_helper", "call_local", "call_btf",
                   "callx", "exit", "jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge", "jlt", "jle", "jslt",
                   "jsle"}
_JUMPS = {"jump", "jump_imm", "jump_reg"}


class Decoded(NamedTuple):
    """One executable instruction: its table row, its word, and its immediate (64-bit for lddw)."""

    row: Instruction
    word: Word
    imm: int


def verify(program) -> list[Decoded | None]:
    """Decode and check `program`; the list has one entry per word (None for lddw's second word)."""
    table = profile_table(program.profile)
    profile = table.profile
    source = program.source
    words = decode_words(program.code) if len(program.code) % 8 == 0 else None
    if words is None:
        raise VerifyError(source, None, f"bytecode length {len(program.code)} is not a multiple of 8")
    if not words:
        raise VerifyError(source, None, "the program has no instructions")
    decoded: list[Decoded | None] = []
    pc = 0
    while pc < len(words):
        word = words[pc]
        row = table.decode(word.opcode, word.src, word.off, word.imm)
        if row is None:
            raise VerifyError(source, pc, _unknown(table, word))
        _check_fields(source, pc, row, word, profile)
        imm = word.imm
        if row.slots == 2:
            if pc + 1 >= len(words):
                raise VerifyError(source, pc, f"{row.mnemonic} needs a second instruction word")
            second = words[pc + 1]
            if second.opcode or second.dst or second.src or second.off:
                raise VerifyError(source, pc + 1, f"second word of {row.mnemonic} must hold only the high immediate")
            imm = lddw_value(word, second)
        if profile.is_sbpf:
            _check_sbpf(source, pc, row, word, profile)
        decoded.append(Decoded(row, word, imm))
        if row.slots == 2:
            decoded.append(None)
        pc += row.slots
    for pc, step in enumerate(decoded):
        if step is not None:
            _check_target(source, pc, step, decoded)
    return decoded


def _unknown(table, word: Word) -> str:
    rows = table.by_opcode.get(word.opcode)
    if rows:
        fields = sorted({name for row in rows for name, _ in row.match})
        shown = ", ".join(f"{name}={getattr(word, name)}" for name in fields)
        return f"opcode {word.opcode:#04x} ({rows[0].mnemonic}) does not exist with {shown} in {table.profile.name}"
    return f"unknown opcode {word.opcode:#04x} in {table.profile.name}"


def _check_fields(source: str, pc: int, row: Instruction, word: Word, profile) -> None:
    for name in row.zero_fields:
        if getattr(word, name):
            raise VerifyError(source, pc, f"{row.mnemonic}: unused field {name} must be 0, is {getattr(word, name)}")
    if word.dst > FRAME_POINTER or word.src > FRAME_POINTER:
        raise VerifyError(source, pc, f"{row.mnemonic}: invalid register r{max(word.dst, word.src)}")
    if row.form == "callx" and not profile.is_sbpf:  # Solana's verifier leaves the other fields alone
        for name in {"dst", "src", "imm"} - {profile.callx_register}:
            if getattr(word, name):
                raise VerifyError(source, pc, f"callx: unused field {name} must be 0, is {getattr(word, name)}")


def _check_sbpf(source: str, pc: int, row: Instruction, word: Word, profile) -> None:
    if row.semantics not in _READS_ONLY_DST and word.dst == FRAME_POINTER:
        stack_bump = profile.dynamic_stack_frames and row.semantics == "add" and row.op_class == "alu64" \
            and row.source == "imm"
        if not stack_bump:
            raise VerifyError(source, pc, f"{row.mnemonic}: r10 (frame pointer) is read-only")
    if row.source == "imm" and row.rules.get("nonzero_imm_sbpf") and word.imm == 0:
        raise VerifyError(source, pc, f"{row.mnemonic}: division by the constant 0")
    if row.source == "imm" and row.rules.get("sbpf_shift_imm") and not 0 <= word.imm < row.width:
        raise VerifyError(source, pc, f"{row.mnemonic}: shift by {word.imm} is outside 0..{row.width - 1}")
    if row.form == "callx":
        register = getattr(word, profile.callx_register)
        if not 0 <= register <= FRAME_POINTER:
            raise VerifyError(source, pc, f"callx: invalid register {register}")


def _check_target(source: str, pc: int, step: Decoded, decoded: list) -> None:
    row, word = step.row, step.word
    if row.form in _JUMPS:
        target = pc + 1 + word.off
    elif row.form == "jump_long" or row.semantics == "call_local":
        target = pc + 1 + word.imm
    else:
        return
    if not 0 <= target < len(decoded):
        raise VerifyError(source, pc, f"{row.mnemonic}: target {target} is outside the program (0..{len(decoded) - 1})")
    if decoded[target] is None:
        raise VerifyError(source, pc, f"{row.mnemonic}: target {target} is the second word of an lddw")
