"""The baseline EVM engine: the Numba kernel for everything a frame computes by itself, the
reference instructions (through jitvm.evm.baseline.host) for everything that touches the host.

    engine = BaselineEngine()
    call_code(code, calldata, engine=engine)        # or ExecutionContext(engine=engine)

`jitvm.evm.engines.get_engine("baseline")` returns the shared instance; "auto" (jitvm.evm.jit.engine)
runs cold code on it.

A frame's life: take buffers from the pool, fill the registers and the frame's environment words,
and enter the kernel. The kernel returns when the frame ends, at a host instruction, or when memory
must grow; the engine serves the instruction on a NativeFrame view of the same buffers (yielding a
child Message to the driver if the instruction starts a frame) or passes a larger memory buffer,
and enters the kernel again where it stopped. Nothing is converted on re-entry: the arrays are the
same, only the data array changes after a call returns data.

Gas beyond NATIVE_GAS_LIMIT (2**60) stays out of the kernel's registers (NativeFrame.store), so its
int64 arithmetic has room for every cost, while GAS and the host (the 63/64 rule) see the exact
number. Only frames given more than MAX_NATIVE_GAS (2**63 - 1, more than any transaction can carry)
run on the reference interpreter. With a tracer attached, frames run natively one instruction per
kernel entry, so the trace is the baseline's own.
"""

from __future__ import annotations

from functools import cache
from typing import Generator

import numpy as np

from jitvm.evm.context import ExecutionContext
from jitvm.evm.message import FrameResult, Message, Status
from jitvm.evm.baseline.host import NativeFrame, host_handlers
from jitvm.evm.baseline.layout import (
    ADDRESS_ROW,
    CACHE_USE,
    CACHED,
    CALLDATA_SIZE,
    CALLER_ROW,
    CALLVALUE_ROW,
    EXIT,
    EXIT_DONE,
    EXIT_GROW,
    EXIT_HOST,
    MAX_NATIVE_GAS,
    NEEDED_MEMORY,
    OPCODE,
    OUT_OFFSET,
    OUT_SIZE,
    REGISTERS_ROW,
    STATUS,
    STEPS,
    UNLIMITED_STEPS,
    BufferPool,
    code_rows,
    data_bytes,
    environment_rows,
)
from jitvm.evm.reference.frame import ExceptionalHalt


@cache
def kernel():
    """The Numba kernel's run_kernel, imported on first use: importing Numba takes tenths of a second
    that a process whose frames all run on compiled code (the JIT) need not pay."""
    from jitvm.evm.baseline.kernel import run_kernel

    return run_kernel


class BaselineEngine:
    """Runs frames on the Numba interpreter kernel (jitvm.evm.baseline.kernel)."""

    name = "baseline"

    def __init__(self):
        self._pool = BufferPool()

    def run_frame(self, message: Message, ctx: ExecutionContext
                  ) -> Generator[Message, FrameResult, FrameResult]:
        if message.gas > MAX_NATIVE_GAS:
            from jitvm.evm.reference import run_frame

            return run_frame(message, ctx)
        return self._run_native(message, ctx)

    def _run_native(self, message: Message, ctx: ExecutionContext):
        buffers = self._pool.take()
        buffers.prepare(ctx.fork.name, environment_rows(ctx))
        frame = NativeFrame(message, ctx, buffers.words, buffers.memory, buffers.control[REGISTERS_ROW],
                            buffers.memory_address)
        try:
            stack = frame.stack
            stack.write_row(ADDRESS_ROW, int.from_bytes(message.target, "big"))
            stack.write_row(CALLER_ROW, int.from_bytes(message.caller, "big"))
            stack.write_row(CALLVALUE_ROW, message.value)
            frame.registers[CALLDATA_SIZE] = len(message.data)
            frame.store()
            if ctx.tracer is None:
                frame.registers[STEPS] = UNLIMITED_STEPS
                return (yield from self._execute(frame, buffers))
            return (yield from self._execute_traced(frame, buffers))
        finally:
            buffers.memory = frame.memory.buffer  # it may have grown
            self._pool.give_back(buffers, frame.memory.size)

    def _execute(self, frame: NativeFrame, buffers):
        run_kernel = kernel()
        message = frame.message
        code = code_rows(message.code)
        data = data_bytes(message.data, b"")
        words, control, memory, registers = buffers.words, buffers.control, frame.memory, frame.registers
        handlers = host_handlers(frame.ctx.fork.name)
        return_data = b""
        while True:
            run_kernel(code, data, words, memory.buffer, control)
            exit_kind = registers[EXIT]
            frame.load()
            if exit_kind == EXIT_GROW:
                memory.reserve(int(registers[NEEDED_MEMORY]))
                continue
            if exit_kind == EXIT_DONE:
                return frame_result(frame)
            ended = yield from serve_host(frame, handlers, control)
            if ended is not None:
                return ended
            if frame.return_data is not return_data:
                return_data = frame.return_data
                data = data_bytes(message.data, return_data)
            frame.store()

    def _execute_traced(self, frame: NativeFrame, buffers):
        """As _execute, one instruction per kernel entry, reporting each to ctx.tracer."""
        run_kernel = kernel()
        message = frame.message
        tracer = frame.ctx.tracer
        code = code_rows(message.code)
        data = data_bytes(message.data, b"")
        words, control, memory, registers = buffers.words, buffers.control, frame.memory, frame.registers
        handlers = host_handlers(frame.ctx.fork.name)
        return_data = b""
        while True:
            if frame.pc >= len(message.code):
                return FrameResult(Status.SUCCESS, frame.gas_left, b"")
            tracer.before_step(frame, message.code[frame.pc])
            registers[STEPS] = 1
            run_kernel(code, data, words, memory.buffer, control)
            frame.load()
            while registers[EXIT] == EXIT_GROW:
                memory.reserve(int(registers[NEEDED_MEMORY]))
                run_kernel(code, data, words, memory.buffer, control)
                frame.load()
            if registers[EXIT] == EXIT_DONE:
                result = frame_result(frame)
                tracer.after_step(frame, error=result.status if result.status.is_exceptional else None)
                return result
            request = None
            if registers[EXIT] == EXIT_HOST:
                try:
                    request = handlers[registers[OPCODE]](frame)
                except ExceptionalHalt as halt:
                    tracer.after_step(frame, error=halt.status)
                    return FrameResult.failure(halt.status)
            tracer.after_step(frame)
            if request is not None:
                child, resume = request
                resume(frame, (yield child))
                forget_storage(control)
            if not frame.running:
                return FrameResult(Status.SUCCESS, frame.gas_left, b"")
            if frame.return_data is not return_data:
                return_data = frame.return_data
                data = data_bytes(message.data, return_data)
            frame.store()


def serve_host(frame: NativeFrame, handlers: tuple, control: np.ndarray):
    """Serve the host instruction the kernel handed back (registers[OPCODE]) with the reference's
    function for it, yielding the child Message of a call or create to the driver. Returns the
    frame's result if the instruction ended it, else None (the caller stores the registers and
    enters the kernel again). Shared by the baseline and JIT engines."""
    try:
        request = handlers[frame.registers[OPCODE]](frame)
        if request is not None:
            child, resume = request
            resume(frame, (yield child))
            forget_storage(control)
    except ExceptionalHalt as halt:
        return FrameResult.failure(halt.status)
    if not frame.running:  # SELFDESTRUCT
        return FrameResult(Status.SUCCESS, frame.gas_left, b"")
    return None


def forget_storage(control: np.ndarray) -> None:
    """Empty the storage cache: a child frame may have changed the account's storage."""
    control[CACHE_USE:] = 0
    control[REGISTERS_ROW, CACHED] = 0


_STATUSES = {int(status): status for status in Status}


def frame_result(frame: NativeFrame) -> FrameResult:
    """How a frame the kernel ended (EXIT_DONE) ends."""
    registers = frame.registers
    status = _STATUSES[registers[STATUS]]
    if status.is_exceptional:
        return FrameResult.failure(status)
    size = int(registers[OUT_SIZE])
    offset = int(registers[OUT_OFFSET])
    output = frame.memory.buffer[offset : offset + size].tobytes() if size else b""
    return FrameResult(status, frame.gas_left, output)
