"""Errors a BPF program can raise while it runs, and errors of loading and verification.

A runtime error is a code plus integer fields (the instruction index, an address, a size...), so the
reference interpreter, the Numba engine and the JIT report the very same error: a fast engine only
returns the code and fields, and `VmError` turns them into the message.
"""

from __future__ import annotations

from enum import IntEnum

from jitvm.errors import InputError


class ErrorCode(IntEnum):
    ACCESS_VIOLATION = 1  # fields: address, size, write (0/1)
    DIVIDE_BY_ZERO = 2
    DIVIDE_OVERFLOW = 3  # signed INT_MIN / -1 in sBPF
    CALL_DEPTH_EXCEEDED = 4  # fields: depth limit
    COMPUTE_BUDGET_EXCEEDED = 5  # fields: budget
    INVALID_INSTRUCTION = 6  # fields: opcode
    CALL_OUTSIDE_TEXT = 7  # fields: target address or key
    EXECUTION_OVERRUN = 8  # ran past the end of the code
    UNKNOWN_HELPER = 9  # fields: helper id / syscall hash
    SYSCALL_ERROR = 10  # a helper or syscall failed (abort, panic, bad argument...)
    STACK_OVERFLOW = 11  # reserved for engines that bound the stack pointer explicitly


_DESCRIPTIONS = {
    ErrorCode.ACCESS_VIOLATION: "access violation",
    ErrorCode.DIVIDE_BY_ZERO: "division by zero",
    ErrorCode.DIVIDE_OVERFLOW: "division overflow",
    ErrorCode.CALL_DEPTH_EXCEEDED: "call depth exceeded",
    ErrorCode.COMPUTE_BUDGET_EXCEEDED: "compute budget exceeded",
    ErrorCode.INVALID_INSTRUCTION: "invalid instruction",
    ErrorCode.CALL_OUTSIDE_TEXT: "call outside the text section",
    ErrorCode.EXECUTION_OVERRUN: "execution ran past the end of the code",
    ErrorCode.UNKNOWN_HELPER: "unknown helper or syscall",
    ErrorCode.SYSCALL_ERROR: "helper or syscall failed",
    ErrorCode.STACK_OVERFLOW: "stack overflow",
}


# Solana's name (sbpf's EbpfError variant) of each runtime error of an sBPF program.
_AGAVE_NAMES = {
    ErrorCode.ACCESS_VIOLATION: "AccessViolation",
    ErrorCode.DIVIDE_BY_ZERO: "DivideByZero",
    ErrorCode.DIVIDE_OVERFLOW: "DivideOverflow",
    ErrorCode.CALL_DEPTH_EXCEEDED: "CallDepthExceeded",
    ErrorCode.COMPUTE_BUDGET_EXCEEDED: "ExceededMaxInstructions",
    ErrorCode.INVALID_INSTRUCTION: "UnsupportedInstruction",
    ErrorCode.CALL_OUTSIDE_TEXT: "CallOutsideTextSegment",
    ErrorCode.EXECUTION_OVERRUN: "ExecutionOverrun",
    ErrorCode.UNKNOWN_HELPER: "UnsupportedInstruction",  # a call whose key resolves to nothing
    ErrorCode.SYSCALL_ERROR: "SyscallError",
    ErrorCode.STACK_OVERFLOW: "StackAccessViolation",
}
_STACK_START = 0x2_0000_0000


class VmError(Exception):
    """A program failed while running. `pc` is the index of the instruction word that failed."""

    def __init__(self, code: ErrorCode, pc: int, *, address: int = 0, size: int = 0, write: bool = False,
                 value: int = 0, detail: str = ""):
        self.code = ErrorCode(code)
        self.pc = pc
        self.address = address
        self.size = size
        self.write = write
        self.value = value  # the code-specific number: opcode, depth limit, budget, helper id
        self.detail = detail
        super().__init__(self.message())

    def fields(self) -> tuple:
        """What engines must agree on (the detail text of a syscall error included)."""
        return (self.code, self.pc, self.address, self.size, self.write, self.value, self.detail)

    def __eq__(self, other):
        return isinstance(other, VmError) and self.fields() == other.fields()

    def __hash__(self):
        return hash(self.fields())

    def agave_name(self, profile=None) -> str:
        """The name Solana gives this error (sbpf's EbpfError). With fixed stack frames (`profile`
        without dynamic frames), an access violation within a frame of the stack, or the frame
        just below it, is a StackAccessViolation, as Solana reports it."""
        if self.code is ErrorCode.ACCESS_VIOLATION and profile is not None and not profile.dynamic_stack_frames:
            offset = self.address - _STACK_START if self.address < 1 << 63 else self.address - (1 << 64) - _STACK_START
            frame = abs(offset) // profile.stack_frame_size * (1 if offset >= 0 else -1)
            if -1 <= frame <= profile.max_call_depth:
                return "StackAccessViolation"
        return _AGAVE_NAMES[self.code]

    def message(self) -> str:
        text = f"{_DESCRIPTIONS[self.code]} at instruction {self.pc}"
        if self.code is ErrorCode.ACCESS_VIOLATION:
            kind = "write" if self.write else "read"
            text += f": {kind} of {self.size} bytes at {self.address:#x}"
        elif self.code is ErrorCode.CALL_DEPTH_EXCEEDED:
            text += f" (limit {self.value} frames)"
        elif self.code is ErrorCode.COMPUTE_BUDGET_EXCEEDED:
            text += f" (budget {self.value} units)"
        elif self.code is ErrorCode.INVALID_INSTRUCTION:
            text += f" (opcode {self.value:#04x})"
        elif self.code in (ErrorCode.CALL_OUTSIDE_TEXT, ErrorCode.UNKNOWN_HELPER):
            text += f" ({self.value:#x})"
        if self.detail:
            text += f": {self.detail}"
        return text


class VerifyError(InputError):
    """The program is rejected before it runs (bad encoding, bad jump, unknown instruction...).
    For sBPF, `kind` names the rule as Solana's verifier names its error (`CannotWriteR10`...)."""

    def __init__(self, source: str, pc: int | None, problem: str, kind: str | None = None):
        where = f"instruction {pc}: " if pc is not None else ""
        super().__init__(source, where + (f"{kind}: " if kind else "") + problem)
        self.pc = pc
        self.kind = kind


class ElfError(InputError):
    """An ELF file that the loader rejects; `kind` names the rule, as Solana's loader names its errors."""

    def __init__(self, source: str, kind: str, problem: str):
        super().__init__(source, f"{kind}: {problem}")
        self.kind = kind


class AssemblyError(InputError):
    """Assembly text that does not assemble; `line` is 1-based."""

    def __init__(self, source: str, line: int | None, problem: str):
        where = f"line {line}: " if line else ""
        super().__init__(source, where + problem)
        self.line = line
