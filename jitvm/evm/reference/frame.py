"""The state of one running frame, and the small helpers every instruction uses: charging gas,
touching memory, converting words to addresses and signed numbers."""

from __future__ import annotations

from jitvm.evm import gas
from jitvm.evm.context import ExecutionContext
from jitvm.evm.memory_budget import take_memory
from jitvm.evm.message import Message, Status

UINT256_MASK = (1 << 256) - 1
SIGN_BIT = 1 << 255
ADDRESS_MASK = (1 << 160) - 1


class ExceptionalHalt(Exception):
    """Ends the frame: all its gas is consumed and its state changes are undone."""

    status = Status.OUT_OF_GAS


class OutOfGas(ExceptionalHalt):
    status = Status.OUT_OF_GAS


class StackUnderflow(ExceptionalHalt):
    status = Status.STACK_UNDERFLOW


class StackOverflow(ExceptionalHalt):
    status = Status.STACK_OVERFLOW


class InvalidOpcode(ExceptionalHalt):
    status = Status.INVALID_OPCODE


class InvalidJump(ExceptionalHalt):
    status = Status.INVALID_JUMP


class StaticStateChange(ExceptionalHalt):
    status = Status.STATIC_STATE_CHANGE


class ReturnDataOutOfBounds(ExceptionalHalt):
    status = Status.RETURNDATA_OUT_OF_BOUNDS


class InitcodeSizeLimit(ExceptionalHalt):
    status = Status.INITCODE_SIZE_LIMIT


class Frame:
    """One activation of code (execution-specs calls it `Evm`)."""

    __slots__ = (
        "message", "ctx", "state", "code", "pc", "stack", "memory", "gas_left",
        "jump_destinations", "return_data", "output", "running", "status",
    )

    def __init__(self, message: Message, ctx: ExecutionContext, jump_destinations: frozenset[int]):
        self.message = message
        self.ctx = ctx
        self.state = ctx.state
        self.code = message.code
        self.pc = 0
        self.stack: list[int] = []
        self.memory = bytearray()
        self.gas_left = message.gas
        self.jump_destinations = jump_destinations
        self.return_data = b""
        self.output = b""
        self.running = True
        self.status = Status.SUCCESS


def charge(frame: Frame, amount: int) -> None:
    if amount > frame.gas_left:
        raise OutOfGas
    frame.gas_left -= amount


def expand_memory(frame: Frame, offset: int, size: int) -> None:
    """Charge for and grow memory to cover [offset, offset + size)."""
    if size == 0:
        return
    memory = frame.memory
    if offset + size > len(memory):
        cost, new_size = gas.memory_expansion_cost(len(memory), offset, size)
        charge(frame, cost)
        take_memory(frame.ctx, new_size - len(memory))
        memory.extend(bytes(new_size - len(memory)))


def expand_memory_for_regions(frame: Frame, *regions: tuple[int, int]) -> None:
    """Charge once for the furthest of several regions (CALL's input and output)."""
    ends = [(offset, size) for offset, size in regions if size]
    if ends:
        offset, size = max(ends, key=lambda region: region[0] + region[1])
        expand_memory(frame, offset, size)


def read_memory(frame: Frame, offset: int, size: int) -> bytes:
    return bytes(frame.memory[offset : offset + size]) if size else b""


def write_memory(frame: Frame, offset: int, data: bytes) -> None:
    frame.memory[offset : offset + len(data)] = data


def padded_slice(data: bytes, offset: int, size: int) -> bytes:
    """data[offset : offset + size], zero-filled past the end (how the EVM reads calldata and code)."""
    if offset >= len(data):
        return bytes(size)
    chunk = data[offset : offset + size]
    return chunk + bytes(size - len(chunk))


def to_address(word: int) -> bytes:
    return (word & ADDRESS_MASK).to_bytes(20, "big")


def to_signed(word: int) -> int:
    return word - (1 << 256) if word & SIGN_BIT else word


def to_unsigned(value: int) -> int:
    return value & UINT256_MASK


def require_not_static(frame: Frame) -> None:
    if frame.message.is_static:
        raise StaticStateChange
