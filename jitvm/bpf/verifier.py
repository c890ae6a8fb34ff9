"""Static checks run once before a program executes, with the table as the source of the rules.

eBPF: every word must be an instruction of the profile, its unused fields zero, its registers real,
its jumps inside the code and not into the middle of an lddw.

sBPF follows Solana's verifier (anza-xyz/sbpf `RequisiteVerifier`) rule by rule, in its order, and
names each rejection as it does (`VerifyError.kind`). It looks at the opcode byte and checks only
what that byte's rule checks: unused fields are never required to be zero; a constant divisor must
not be 0; a constant shift must be below the operand width; le/be take 16, 32 or 64; `add r10, imm`
(dynamic stack frames, v1 and v2) must keep r10 64-byte aligned; a jump must land inside the code
and not on an opcode-0 word; callx must name r0-r9; then, for every instruction, src must be
r0-r10 and dst r0-r9, or r10 for a store or for `add r10, imm` with dynamic frames. Call targets are
not checked here: Solana checks them when the call runs.
"""

from __future__ import annotations

from typing import NamedTuple

from jitvm.bpf.errors import VerifyError
from jitvm.bpf.instruction import Word, decode_words, lddw_value
from jitvm.bpf.table import Instruction, profile_table

FRAME_POINTER = 10
U64 = (1 << 64) - 1
_JUMPS = {"jump", "jump_imm", "jump_reg"}
_STORES = {"store_imm", "store_reg"}  # dst is an address: r10 allowed
_BYTE_SWAP_WIDTHS = (16, 32, 64)
STACK_BUMP_ALIGNMENT = 64


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
        raise VerifyError(source, None, f"bytecode length {len(program.code)} is not a multiple of 8",
                          "ProgramLengthNotMultiple" if profile.is_sbpf else None)
    if not words:
        raise VerifyError(source, None, "the program has no instructions", "NoProgram" if profile.is_sbpf else None)
    if profile.is_sbpf:
        return _verify_sbpf(table, words, source)
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
    if row.form == "callx":
        for name in {"dst", "src", "imm"} - {profile.callx_register}:
            if getattr(word, name):
                raise VerifyError(source, pc, f"callx: unused field {name} must be 0, is {getattr(word, name)}")


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


# -- sBPF: Solana's verifier --------------------------------------------------------------------------

def _verify_sbpf(table, words: list[Word], source: str) -> list[Decoded | None]:
    profile = table.profile
    count = len(words)
    decoded: list[Decoded | None] = [None] * count

    def reject(kind: str, pc: int, problem: str):
        return VerifyError(source, pc, problem, kind)

    pc = 0
    while pc < count:
        word = words[pc]
        row = table.decode(word.opcode, word.src, word.off, word.imm)
        if row is None:
            if table.by_opcode.get(word.opcode, [None])[0] is not None and \
                    table.by_opcode[word.opcode][0].semantics in ("le", "be"):
                raise reject("UnsupportedLEBEArgument", pc, f"byte swap width {word.imm} (16, 32 or 64)")
            raise reject("UnknownOpCode", pc, f"unknown opcode {word.opcode:#04x} in {profile.name}")
        imm = word.imm
        registers_pc = pc  # Solana reports a register error of an lddw at its second word
        if row.slots == 2:
            if pc + 1 >= count:
                raise reject("LDDWCannotBeLast", pc, f"{row.mnemonic} is the last instruction")
            second = words[pc + 1]
            if second.opcode != 0:
                raise reject("IncompleteLDDW", pc, f"the word after {row.mnemonic} has opcode {second.opcode:#04x}, not 0")
            imm = lddw_value(word, second)
            registers_pc = pc + 1
        elif row.source == "imm" and row.rules.get("nonzero_imm_sbpf") and word.imm == 0:
            raise reject("DivisionByZero", pc, f"{row.mnemonic} by the constant 0")
        elif row.source == "imm" and row.rules.get("sbpf_shift_imm") and not 0 <= word.imm < row.width:
            raise reject("ShiftWithOverflow", pc, f"{row.mnemonic} of a {row.width}-bit value by {word.imm & U64}")
        elif _is_stack_bump(row, word, profile) and word.imm % STACK_BUMP_ALIGNMENT:
            raise reject("UnalignedImmediate", pc, f"add r10, {word.imm} is not a multiple of {STACK_BUMP_ALIGNMENT}")
        elif row.form in _JUMPS:
            target = pc + 1 + word.off
            if not 0 <= target < count:
                raise reject("JumpOutOfCode", pc, f"{row.mnemonic} to {target & U64 if target < 0 else target}, "
                                                  f"outside the program (0..{count - 1})")
            if words[target].opcode == 0:
                raise reject("JumpToMiddleOfLDDW", pc, f"{row.mnemonic} to {target}, the second word of an lddw")
        elif row.form == "callx":
            register = getattr(word, profile.callx_register)
            if not 0 <= register < FRAME_POINTER:
                raise reject("InvalidRegister", pc, f"callx names register {register}, not r0-r9")
        _check_sbpf_registers(row, word, profile, registers_pc, reject)
        decoded[pc] = Decoded(row, word, imm)
        pc += row.slots
    return decoded


def _is_stack_bump(row: Instruction, word: Word, profile) -> bool:
    """`add r10, imm` (alu64): how dynamic stack frames (sBPF v1, v2) move the frame pointer."""
    return profile.dynamic_stack_frames and word.dst == FRAME_POINTER and row.semantics == "add" \
        and row.op_class == "alu64" and row.source == "imm"


def _check_sbpf_registers(row: Instruction, word: Word, profile, pc: int, reject) -> None:
    if word.src > FRAME_POINTER:
        raise reject("InvalidSourceRegister", pc, f"{row.mnemonic}: src is r{word.src}")
    if word.dst < FRAME_POINTER or (word.dst == FRAME_POINTER and row.semantics in _STORES):
        return
    if word.dst == FRAME_POINTER:
        if _is_stack_bump(row, word, profile):
            return
        raise reject("CannotWriteR10", pc, f"{row.mnemonic}: dst is r10 (the frame pointer)")
    raise reject("InvalidDestinationRegister", pc, f"{row.mnemonic}: dst is r{word.dst}")
