"""The JIT EVM engine: compiled blocks (codegen.py) for what they handle, the baseline kernel and its
host glue for everything else, all on the same frame arrays (jitvm.evm.native.layout).

    call_code(code, calldata, engine=get_engine("jit"))

A frame is set up exactly as on the baseline engine (BaselineEngine._run_native). Then the loop
alternates: the compiled code runs blocks until the frame ends or it hands back INTERPRET with
registers[STEPS] instructions for the kernel (a host instruction, a copy, a failed block check,
memory growth past the buffer); the kernel runs them, with the baseline's EXIT_HOST and EXIT_GROW
protocol served the baseline's way, and stops at a block start, where the compiled code resumes.

`JitEngine(hot_gas=..., hot_calls=...)` is the tiered engine ("auto"): a code runs on the baseline
until its frames have used `hot_gas` gas or started `hot_calls` times, then it is compiled.
"""

from __future__ import annotations

import os

from jitvm.evm.jit import codegen
from jitvm.evm.jit.compile import TIMES, compiled_code
from jitvm.evm.message import FrameResult, Status
from jitvm.evm.native.engine import BaselineEngine, _forget_storage, _frame_result
from jitvm.evm.native.host import host_handlers
from jitvm.evm.native.kernel import run_kernel
from jitvm.evm.native.layout import (
    EXIT,
    EXIT_DONE,
    EXIT_GROW,
    EXIT_STEP,
    NEEDED_MEMORY,
    OPCODE,
    PENDING,
    PENDING_NONE,
    STEPS,
    code_rows,
    data_bytes,
)
from jitvm.evm.reference.frame import ExceptionalHalt


# When "auto" compiles a code: after its frames have used this much gas in all, or started this many
# times (environment variables override them).
HOT_GAS = int(os.environ.get("JITVM_JIT_HOT_GAS", 2_000_000))
HOT_CALLS = int(os.environ.get("JITVM_JIT_HOT_CALLS", 64))


class JitEngine(BaselineEngine):
    """Runs frames on LLVM-compiled blocks, with the baseline kernel for the rest."""

    name = "jit"

    def __init__(self, hot_gas: int = 0, hot_calls: int = 0):
        super().__init__()
        self.hot_gas = hot_gas
        self.hot_calls = hot_calls
        self._heat: dict[tuple[bytes, str], list[int]] = {}  # (code, fork) -> [gas used, calls]

    def compile_stats(self) -> dict[str, float]:
        return {"compile_seconds": TIMES.compile_seconds, "cache_load_seconds": TIMES.cache_load_seconds}

    def _is_hot(self, code: bytes, fork: str) -> bool:
        if not (self.hot_gas or self.hot_calls):
            return True
        heat = self._heat.get((code, fork))
        if heat is None:
            if len(self._heat) > 4096:
                self._heat.clear()
            heat = self._heat[(code, fork)] = [0, 0]
        heat[1] += 1
        return heat[0] >= self.hot_gas > 0 or heat[1] > self.hot_calls > 0 or heat[0] < 0

    def _execute(self, frame, buffers):
        message = frame.message
        fork = frame.ctx.fork.name
        compiled = None
        if message.code and self._is_hot(message.code, fork):
            compiled = compiled_code(message.code, fork)
        if compiled is None:
            result = yield from super()._execute(frame, buffers)
            heat = self._heat.get((message.code, fork))
            if heat is not None and heat[0] >= 0:
                heat[0] += message.gas - result.gas_left
            return result
        if self.hot_gas or self.hot_calls:
            self._heat[(message.code, fork)][0] = -1  # compiled from now on
        enter = compiled.function
        code = code_rows(message.code)
        data = data_bytes(message.data, b"")
        words, control, memory, registers = buffers.words, buffers.control, frame.memory, frame.registers
        code_address, words_address, control_address = (array.ctypes.data for array in (code, words, control))
        data_address = data.ctypes.data
        handlers = host_handlers(fork)
        return_data = b""
        while True:
            buffer = memory.buffer
            if enter(code_address, data_address, words_address, buffer.ctypes.data, control_address,
                     buffer.size, data.size) == codegen.DONE:
                frame.load()
                return _frame_result(frame)
            while True:  # the kernel runs registers[STEPS] instructions
                run_kernel(code, data, words, memory.buffer, control)
                frame.load()
                exit_kind = registers[EXIT]
                if exit_kind == EXIT_STEP:
                    break
                if exit_kind == EXIT_GROW:
                    memory.reserve(int(registers[NEEDED_MEMORY]))
                    continue
                if exit_kind == EXIT_DONE:
                    return _frame_result(frame)
                try:
                    request = handlers[registers[OPCODE]](frame)
                    if request is not None:
                        child, resume = request
                        resume(frame, (yield child))
                        _forget_storage(control)
                except ExceptionalHalt as halt:
                    return FrameResult.failure(halt.status)
                if not frame.running:  # SELFDESTRUCT
                    return FrameResult(Status.SUCCESS, frame.gas_left, b"")
                if frame.return_data is not return_data:
                    return_data = frame.return_data
                    data = data_bytes(message.data, return_data)
                    data_address = data.ctypes.data
                frame.store()
                if registers[STEPS] == 0 and registers[PENDING] == PENDING_NONE:
                    break
