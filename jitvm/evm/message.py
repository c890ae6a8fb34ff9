"""What passes between frames: the message that starts one, and the result it ends with.

Every engine reports how a frame ended with the same `Status` code, so results compare exactly
across engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Status(IntEnum):
    SUCCESS = 0  # STOP, RETURN, SELFDESTRUCT, or the end of the code
    REVERT = 1  # REVERT: state rolled back, gas left returned, output kept
    # Exceptional halts: state rolled back, all gas consumed, no output.
    OUT_OF_GAS = 2
    STACK_UNDERFLOW = 3
    STACK_OVERFLOW = 4
    INVALID_OPCODE = 5  # an undefined opcode or INVALID (0xfe)
    INVALID_JUMP = 6
    STATIC_STATE_CHANGE = 7  # a state change inside STATICCALL
    RETURNDATA_OUT_OF_BOUNDS = 8
    ADDRESS_COLLISION = 9  # a transaction creates a contract where one exists
    INVALID_CONTRACT_PREFIX = 10  # created code starts with 0xEF (EIP-3541)
    CODE_SIZE_LIMIT = 11  # created code longer than MAX_CODE_SIZE (EIP-170)
    INITCODE_SIZE_LIMIT = 12  # CREATE / CREATE2 initcode longer than MAX_INITCODE_SIZE (EIP-3860)
    PRECOMPILE_FAILURE = 13  # a precompile rejected its input

    @property
    def is_success(self) -> bool:
        return self is Status.SUCCESS

    @property
    def is_exceptional(self) -> bool:
        return self >= Status.OUT_OF_GAS


@dataclass(slots=True)
class Message:
    """The start of a frame (the yellow paper's message call or contract creation)."""

    caller: bytes  # msg.sender in the frame
    target: bytes  # the account whose balance and storage the frame uses (ADDRESS)
    code_address: bytes  # where the code came from (differs from target for DELEGATECALL / CALLCODE)
    value: int
    data: bytes
    gas: int
    depth: int  # 0 for the transaction's own frame
    code: bytes
    is_static: bool = False
    is_create: bool = False
    should_transfer_value: bool = True
    # The code came through an EIP-7702 delegation: a precompile's address then runs as an account
    # without code, never as the precompile.
    disable_precompiles: bool = False


@dataclass(slots=True)
class FrameResult:
    status: Status
    gas_left: int
    output: bytes = b""

    @classmethod
    def failure(cls, status: Status) -> "FrameResult":
        return cls(status, 0, b"")
