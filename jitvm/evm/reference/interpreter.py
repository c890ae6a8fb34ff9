"""The reference interpreter's loop.

The loop does what every instruction needs, driven by the opcode table: it checks the stack height
against the opcode's inputs and outputs, charges the static gas, steps past the opcode, and calls the
opcode's function. Child frames are requested by yielding a `Message` to the driver
(jitvm.evm.execution), so a depth of 1024 calls never deepens Python's own stack.
"""

from __future__ import annotations

from functools import cache
from typing import Generator

from jitvm.evm.jumpdests import jump_destinations
from jitvm.evm.context import ExecutionContext
from jitvm.evm.message import FrameResult, Message, Status
from jitvm.evm.opcodes import STACK_LIMIT, opcode_table
from jitvm.evm.reference.frame import (
    ExceptionalHalt,
    Frame,
    InvalidOpcode,
    OutOfGas,
    StackOverflow,
    StackUnderflow,
)
from jitvm.evm.reference.instructions import IMPLEMENTATIONS


def _undefined_opcode(frame: Frame) -> None:
    raise InvalidOpcode


@cache
def dispatch_table(fork: str) -> tuple[list, list[int], list[int], list[int]]:
    """Per opcode byte: its function, static gas, the stack height it needs and the height it allows."""
    table = opcode_table(fork)
    handlers = [_undefined_opcode] * 256
    static_gas = [0] * 256
    min_height = [0] * 256
    max_height = [STACK_LIMIT] * 256
    for opcode in table.by_byte:
        if opcode is None:
            continue
        handlers[opcode.byte] = IMPLEMENTATIONS[opcode.mnemonic]
        static_gas[opcode.byte] = opcode.static_gas
        min_height[opcode.byte] = opcode.inputs
        max_height[opcode.byte] = STACK_LIMIT - max(0, opcode.stack_change)
    return handlers, static_gas, min_height, max_height


def run_frame(message: Message, ctx: ExecutionContext) -> Generator[Message, FrameResult, FrameResult]:
    """Run one frame's code. Yields child messages; returns how the frame ended."""
    frame = Frame(message, ctx, jump_destinations(message.code))
    handlers, static_gas, min_height, max_height = dispatch_table(ctx.fork.name)
    tracer = ctx.tracer
    code = frame.code
    code_length = len(code)
    stack = frame.stack
    try:
        while frame.running:
            pc = frame.pc
            if pc >= code_length:
                break  # running off the end of the code is STOP
            op = code[pc]
            if tracer is not None:
                tracer.before_step(frame, op)
            height = len(stack)
            if height < min_height[op]:
                raise StackUnderflow
            if height > max_height[op]:
                raise StackOverflow
            cost = static_gas[op]
            if cost > frame.gas_left:
                raise OutOfGas
            frame.gas_left -= cost
            frame.pc = pc + 1
            request = handlers[op](frame)
            if tracer is not None:
                tracer.after_step(frame)
            if request is not None:
                child, resume = request
                result = yield child
                resume(frame, result)
    except ExceptionalHalt as halt:
        if tracer is not None:
            tracer.after_step(frame, error=halt.status)
        return FrameResult.failure(halt.status)
    if frame.status is Status.REVERT:
        return FrameResult(Status.REVERT, frame.gas_left, frame.output)
    return FrameResult(Status.SUCCESS, frame.gas_left, frame.output)
