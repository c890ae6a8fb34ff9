"""The JIT EVM engine: compiled blocks (codegen.py) for what they handle, the baseline kernel and its
host glue for everything else, all on the same frame arrays (jitvm.evm.baseline.layout).

    call_code(code, calldata, engine=get_engine("jit"))

A frame is set up exactly as on the baseline engine (BaselineEngine._run_native). Then the loop
alternates: the compiled code runs blocks until the frame ends or it hands back INTERPRET with
registers[STEPS] instructions for the kernel (a host instruction, a copy, a failed block check,
memory growth past the buffer); the kernel runs them, with the baseline's EXIT_HOST and EXIT_GROW
protocol served the baseline's way, and stops at a block start, where the compiled code resumes.

Tiers (compile.py): a code's first compile is the QUICK tier; once its compiled frames have used
UPGRADE_GAS gas or started UPGRADE_CALLS times, the OPTIMIZED tier is compiled in the background and
replaces it. `settle()` upgrades every code this process has compiled and waits for it (benchmarks
call it before timing the steady state).

`JitEngine(hot_gas=..., hot_calls=...)` is the tiered engine ("auto"): a code runs on the baseline
until its frames have used `hot_gas` gas or started `hot_calls` times; then it is compiled, in the
background with `background=True` (the baseline keeps running it until the compiled code is ready).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from jitvm.evm.jit import compile
from jitvm.evm.jit.entry import DONE
from jitvm.evm.jit.compile import QUICK, compiled_code
from jitvm.evm.baseline.engine import BaselineEngine, frame_result, kernel, serve_host, serve_storage
from jitvm.evm.baseline.host import grow_memory, host_handlers
from jitvm.evm.baseline.layout import (
    EXIT,
    EXIT_DONE,
    EXIT_GROW,
    EXIT_STEP,
    NEEDED_MEMORY,
    PENDING,
    PENDING_NONE,
    PENDING_SLOAD,
    PENDING_SSTORE,
    STEPS,
    calldata_at,
    code_rows_at,
    data_bytes,
)


# When "auto" compiles a code: after its frames have used this much gas in all, or started this many
# times (environment variables override them).
HOT_GAS = int(os.environ.get("JITVM_JIT_HOT_GAS", 2_000_000))
HOT_CALLS = int(os.environ.get("JITVM_JIT_HOT_CALLS", 64))
# When a code running on its QUICK tier gets the OPTIMIZED one: after its compiled frames have used
# this much gas in all, or started this many times.
UPGRADE_GAS = int(os.environ.get("JITVM_JIT_UPGRADE_GAS", 5_000_000))
UPGRADE_CALLS = int(os.environ.get("JITVM_JIT_UPGRADE_CALLS", 256))
HEAT_ENTRIES = 4096  # codes whose heat is remembered (forgotten all at once beyond)


@dataclass(slots=True)
class Heat:
    """What a code has done in this engine: gas used and frames started, on the baseline until it
    is compiled, then on compiled code (counted again from zero, towards the upgrade)."""

    gas: int = 0
    calls: int = 0
    state: str = "cold"  # cold, queued (compiling in the background), compiled, or baseline (too large)


class JitEngine(BaselineEngine):
    """Runs frames on LLVM-compiled blocks, with the baseline kernel for the rest."""

    name = "jit"

    def __init__(self, hot_gas: int = 0, hot_calls: int = 0, background: bool = False):
        super().__init__()
        self.hot_gas = hot_gas
        self.hot_calls = hot_calls
        self.background = background
        self._heat: dict[tuple[bytes, str], Heat] = {}

    def compile_stats(self) -> dict[str, float]:
        """Cumulative counts and seconds of the EVM compile layer (jitvm.jit.layer.LayerStats)."""
        return compile.compile_stats()

    def settle(self) -> None:
        """Give every code compiled in this process its OPTIMIZED tier now, and wait for it."""
        compile.settle()
        compile.LAYER.upgrade_all()
        compile.settle()

    def heat(self, code: bytes, fork: str) -> Heat:
        heat = self._heat.get((code, fork))
        if heat is None:
            if len(self._heat) >= HEAT_ENTRIES:
                self._heat.clear()
            heat = self._heat[(code, fork)] = Heat()
        return heat

    def _compiled(self, code: bytes, fork: str, heat: Heat):
        """The compiled code to run this frame on, or None for the baseline."""
        if heat.state == "compiled":
            return compiled_code(code, fork)
        if heat.state in ("baseline", "queued") and not self.background:
            return None
        if heat.state == "queued":
            found = compile.loaded(code, fork)
            if found is None:
                return None
            heat.state, heat.gas, heat.calls = "compiled", 0, 0
            return found
        tiered = self.hot_gas or self.hot_calls
        if tiered and not (heat.gas >= self.hot_gas > 0 or heat.calls > self.hot_calls > 0):
            return None
        if self.background:
            heat.state = "queued"
            compile.compile_in_background(code, fork)
            return None
        compiled = compiled_code(code, fork)
        heat.state, heat.gas, heat.calls = ("compiled", 0, 0) if compiled is not None else ("baseline", 0, 0)
        return compiled

    def _execute(self, frame, buffers):
        message = frame.message
        fork = frame.ctx.fork.name
        compiled = None
        heat = None
        if message.code:
            heat = self.heat(message.code, fork)
            heat.calls += 1
            compiled = self._compiled(message.code, fork, heat)
        if compiled is None:
            result = yield from super()._execute(frame, buffers)
        else:
            result = yield from self._run_compiled(frame, buffers, compiled)
            if compiled.tier == QUICK and (heat.gas >= UPGRADE_GAS or heat.calls > UPGRADE_CALLS):
                compile.upgrade(message.code, fork)
        if heat is not None:
            heat.gas += message.gas - result.gas_left
        return result

    def _run_compiled(self, frame, buffers, compiled):
        run_kernel = None  # the kernel is imported when a frame first needs it (importing Numba takes time)
        message = frame.message
        fork = frame.ctx.fork.name
        enter = compiled.function
        code, code_address = code_rows_at(message.code)
        data, data_address = calldata_at(message.data)
        words, control, memory, registers = buffers.words, buffers.control, frame.memory, frame.registers
        words_address, control_address = buffers.words_address, buffers.control_address
        handlers = host_handlers(fork)
        return_data = b""
        buffer = None
        while True:
            if memory.buffer is not buffer:
                buffer, buffer_address = memory.buffer, memory.address
            if enter(code_address, data_address, words_address, buffer_address, control_address,
                     buffer.size, data.size) == DONE:
                frame.load()
                return frame_result(frame)
            if run_kernel is None:
                run_kernel = kernel()
            while True:  # the kernel runs registers[STEPS] instructions
                run_kernel(code, data, words, memory.buffer, control)
                frame.load()
                exit_kind = registers[EXIT]
                if exit_kind == EXIT_STEP:
                    break
                if exit_kind == EXIT_GROW:
                    grow_memory(frame, int(registers[NEEDED_MEMORY]))
                    continue
                if exit_kind == EXIT_DONE:
                    return frame_result(frame)
                pending = registers[PENDING]
                if pending == PENDING_SLOAD or pending == PENDING_SSTORE:
                    self.slot_hints.learn(frame)
                    ended = serve_storage(frame, pending)
                    if ended is not None:
                        return ended
                    continue
                ended = yield from serve_host(frame, handlers, control, self.slot_hints)
                if ended is not None:
                    return ended
                if frame.return_data is not return_data:
                    return_data = frame.return_data
                    data = data_bytes(message.data, return_data)
                    data_address = data.ctypes.data
                frame.store()
                if registers[STEPS] == 0 and registers[PENDING] == PENDING_NONE:
                    break
