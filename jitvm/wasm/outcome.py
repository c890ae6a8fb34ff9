"""How a contract call ends: MultiversX's return codes, and the exceptions host functions raise to
end a call early."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class ReturnCode(IntEnum):
    OK = 0
    FUNCTION_NOT_FOUND = 1
    FUNCTION_WRONG_SIGNATURE = 2
    CONTRACT_NOT_FOUND = 3
    USER_ERROR = 4
    OUT_OF_GAS = 5
    ACCOUNT_COLLISION = 6
    OUT_OF_FUNDS = 7
    CALL_STACK_OVERFLOW = 8
    CONTRACT_INVALID = 9
    EXECUTION_FAILED = 10
    UPGRADE_FAILED = 11
    SIMULATE_FAILED = 12


class CallEnded(Exception):
    """Raised inside a host function to end the running call with `code` and `message`."""

    def __init__(self, code: ReturnCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class AsyncBreak(Exception):
    """Raised by the legacy asyncCall hook: the caller's run stops there, successfully, and the
    call it registered runs next."""


def user_error(message: str) -> CallEnded:
    return CallEnded(ReturnCode.USER_ERROR, message)


def execution_failed(message: str) -> CallEnded:
    return CallEnded(ReturnCode.EXECUTION_FAILED, message)


def out_of_gas() -> CallEnded:
    return CallEnded(ReturnCode.OUT_OF_GAS, "not enough gas")


@dataclass(slots=True)
class LogEntry:
    address: bytes
    identifier: bytes  # the endpoint that wrote it
    topics: list[bytes]
    data: list[bytes]


@dataclass(slots=True)
class CallResult:
    code: ReturnCode
    message: str = ""
    results: list[bytes] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    gas_remaining: int = 0
    pending: list = field(default_factory=list)  # asynchronous calls still to run (jitvm.wasm.frame.PendingCall)
    sent_back: tuple[int, list] = (0, [])  # what the call transferred back to its caller: (EGLD, ESDT payments)

    @property
    def ok(self) -> bool:
        return self.code is ReturnCode.OK
