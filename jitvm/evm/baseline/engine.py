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
number. Only frames given more than MAX_NATIVE_GAS (2**64 - 1, pyrevm's and jitvm.EVM's default gas
limit, more than any block allows) run on the reference interpreter. With a tracer attached, frames
run natively one instruction per kernel entry, so the trace is the baseline's own.

Storage writes, refunds and logs the kernel makes natively reach the state through
host.flush_native: before any other host instruction, and when the frame ends with success
(docs/native-host.md).
"""

from __future__ import annotations

import struct
from functools import cache
from typing import Generator

import numpy as np

from jitvm.evm.context import ExecutionContext
from jitvm.evm.message import FrameResult, Message, Status
from jitvm.evm.state import State
from jitvm.evm.baseline.host import (
    NativeFrame,
    flush_native,
    grow_memory,
    host_handlers,
    record_original,
    serve_sload,
    serve_sstore,
)
from jitvm.evm.baseline.layout import (
    ADDRESS_ROW,
    CACHE_LIMIT,
    CACHE_USE,
    CACHED,
    CALLDATA_SIZE,
    CALLER_ROW,
    CALLVALUE_ROW,
    EXIT,
    EXIT_DONE,
    EXIT_GROW,
    EXIT_HOST,
    EXIT_STEP,
    GAS,
    MAX_NATIVE_GAS,
    NATIVE_GAS_LIMIT,
    NATIVE_WRITES,
    NEEDED_MEMORY,
    OPCODE,
    OUT_OFFSET,
    OUT_SIZE,
    PENDING,
    PENDING_NONE,
    PENDING_SLOAD,
    PENDING_KEY,
    PENDING_SSTORE,
    REGISTERS_ROW,
    STATIC_FRAME,
    STATUS,
    STEPS,
    UNLIMITED_STEPS,
    WARMED_SLOTS,
    BufferPool,
    FrameBuffers,
    calldata_at,
    code_rows,
    data_bytes,
    environment_rows,
)
from jitvm.evm.reference.frame import ExceptionalHalt


@cache
def kernel():
    """The Numba kernel's run_kernel, imported on first use: importing Numba takes tenths of a second
    that a process whose frames all run on compiled code (the JIT) need not pay.

    What is returned is the compiled function's own entry point for the one signature the engines
    call it with (layout's arrays have fixed element types, dimensions and read-only flags), not
    the dispatcher: the dispatcher works out the types of the five arguments on every call, which
    costs more than a short frame's whole run."""
    from jitvm.evm.baseline.kernel import run_kernel

    buffers = FrameBuffers(0)
    return entry_point(run_kernel, code_rows(b""), data_bytes(b"", b""), buffers.words, buffers.memory,
                       buffers.control)


def entry_point(dispatcher, *arguments):
    """The compiled entry point of a Numba function for arguments typed like `arguments`."""
    from numba import typeof

    signature = tuple(typeof(argument) for argument in arguments)
    dispatcher.compile(signature)
    return dispatcher.overloads[signature].entry_point


class BaselineEngine:
    """Runs frames on the Numba interpreter kernel (jitvm.evm.baseline.kernel)."""

    name = "baseline"

    def __init__(self):
        self._pool = BufferPool()
        self._environment = (None, None, None, None)  # (block, origin, gas price, environment_rows)
        self.slot_hints = SlotHints()

    def _environment_rows(self, ctx: ExecutionContext) -> np.ndarray:
        """environment_rows(ctx), remembered while the block and the transaction's origin and gas
        price stay (the block by identity: a BlockEnv is replaced, never edited, once it runs)."""
        block, tx = ctx.block, ctx.tx
        known_block, origin, gas_price, rows = self._environment
        if block is known_block and tx.origin == origin and tx.gas_price == gas_price:
            return rows
        rows = environment_rows(ctx)
        self._environment = (block, tx.origin, tx.gas_price, rows)
        return rows

    def run_frame(self, message: Message, ctx: ExecutionContext
                  ) -> Generator[Message, FrameResult, FrameResult]:
        if message.gas > MAX_NATIVE_GAS:
            from jitvm.evm.reference import run_frame

            return run_frame(message, ctx)
        return self._run_native(message, ctx)

    def _run_native(self, message: Message, ctx: ExecutionContext):
        buffers = self._pool.take()
        buffers.prepare(ctx.fork.name, self._environment_rows(ctx))
        frame = buffers.frame
        if frame is None:
            frame = buffers.frame = NativeFrame(message, ctx, buffers.words, buffers.memory, buffers.control,
                                                buffers.memory_address, buffers.stack, buffers.control_bytes,
                                                buffers.registers)
        else:
            frame.start(message, ctx, buffers.memory, buffers.memory_address)
        try:
            words = buffers.stack.words_bytes  # addresses go in as 20 bytes, little-endian, zero above
            words[_ADDRESS_AT : _ADDRESS_AT + 32] = _address_row(message.target)
            value = message.value
            words[_CALLER_AT : _CALLER_AT + 64] = (  # CALLER's row, then CALLVALUE's
                _address_row(message.caller) + (value.to_bytes(32, "little") if value else _ZERO_WORD))
            registers = buffers.registers
            registers[CALLDATA_SIZE] = len(message.data)
            if message.is_static:
                registers[STATIC_FRAME] = 1
            if message.gas < NATIVE_GAS_LIMIT:
                registers[GAS] = message.gas  # pc, stack height and memory size are 0 (prepare cleared them)
            else:
                frame.store()
            if ctx.tracer is None:
                registers[STEPS] = UNLIMITED_STEPS
                self.slot_hints.prefill(frame)
                return (yield from self._execute(frame, buffers))
            return (yield from self._execute_traced(frame, buffers))
        finally:
            memory = frame.memory
            if memory.buffer is not buffers.memory:  # it grew
                buffers.memory = memory.buffer
            self._pool.give_back(buffers, memory.size)

    def _execute(self, frame: NativeFrame, buffers):
        run_kernel = kernel()
        message = frame.message
        code = code_rows(message.code)
        return_data = frame.return_data  # not empty if a JitEngine frame changes loops after a call
        data = data_bytes(message.data, return_data) if return_data else calldata_at(message.data)[0]
        words, control, memory, registers = buffers.words, buffers.control, frame.memory, frame.registers
        handlers = host_handlers(frame.ctx.fork.name)
        while True:
            run_kernel(code, data, words, memory.buffer, control)
            exit_kind = registers[EXIT]
            frame.load()
            if exit_kind == EXIT_GROW:
                grow_memory(frame, int(registers[NEEDED_MEMORY]))
                continue
            if exit_kind == EXIT_DONE:
                return frame_result(frame)
            if exit_kind == EXIT_STEP:  # a step budget ran out (JitEngine's cold frames set one): None
                return None
            pending = registers[PENDING]
            if pending == PENDING_SLOAD or pending == PENDING_SSTORE:  # the most frequent way out
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
                grow_memory(frame, int(registers[NEEDED_MEMORY]))
                run_kernel(code, data, words, memory.buffer, control)
                frame.load()
            if registers[EXIT] != EXIT_DONE:
                flush_native(frame)  # the tracer reads the refund counter
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
                record_original(frame)
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


def serve_storage(frame: NativeFrame, pending: int) -> FrameResult | None:
    """Serve the first read or write of a slot, where the kernel (or compiled code) stopped with
    registers[PENDING] set; the frame's result if that ended it, else None (the arrays are stored
    back and the run goes on). A slot written first has nothing native to take before it.
    A full cache is emptied first (its writes given to the state), so the slot is cached."""
    if frame.registers[CACHED] >= CACHE_LIMIT:
        flush_native(frame)
        forget_storage(frame.control)
    if pending == PENDING_SSTORE:
        if not serve_sstore(frame):
            return FrameResult.failure(frame.halt)
    elif not serve_sload(frame):
        return FrameResult.failure(Status.OUT_OF_GAS)
    frame.store()
    return None


def serve_host(frame: NativeFrame, handlers: tuple, control: np.ndarray, slot_hints: "SlotHints | None" = None):
    """Serve the host instruction the kernel handed back (registers[OPCODE]) with the reference's
    function for it, yielding the child Message of a call or create to the driver. Returns the
    frame's result if the instruction ended it, else None (the caller stores the registers and
    enters the kernel again). Shared by the baseline and JIT engines. After a child frame the
    storage cache starts again from `slot_hints`."""
    registers = frame.registers
    if registers[NATIVE_WRITES]:
        flush_native(frame)  # what the kernel wrote natively comes first
    try:
        request = handlers[registers[OPCODE]](frame)
        if registers[PENDING] != PENDING_NONE:
            record_original(frame)
        if request is not None:
            child, resume = request
            resume(frame, (yield child))
            forget_storage(control)
            if slot_hints is not None:
                slot_hints.prefill(frame)
    except ExceptionalHalt as halt:
        return FrameResult.failure(halt.status)
    if not frame.running:  # SELFDESTRUCT
        return FrameResult(Status.SUCCESS, frame.gas_left, b"")
    return None


def forget_storage(control: np.ndarray) -> None:
    """Empty the storage cache: a child frame may have changed the account's storage. (The frame
    gave the state its native writes before the child started: nothing is dirty.)"""
    if control[REGISTERS_ROW, CACHED]:  # else the cache is empty already
        control[CACHE_USE:WARMED_SLOTS] = 0
        control[REGISTERS_ROW, CACHED] = 0


class SlotHints:
    """Per account, the storage slots its recent frames read or wrote first through the host (a
    bounded, oldest-out set). A frame starts with them in its storage cache (kernel.prefill_cache),
    their values and original values read from the state then, COLD unless already warm: so the
    slots an account's transactions touch again and again (a token's balances, a pair's reserves)
    no longer leave the kernel on their first access. What the cache holds is always the state's
    value, so a hint that is wrong costs only the time to load it. Every REFRESH frames an
    account's hints are forgotten and learned again, so slots it no longer uses stop costing that."""

    PER_ACCOUNT = 16
    ACCOUNTS = 4096
    REFRESH = 64

    def __init__(self):
        self._keys: dict[bytes, dict[int, bytes]] = {}  # account -> key -> key as 32 little-endian bytes
        self._frames: dict[bytes, int] = {}  # account -> frames prefilled since its hints were learned

    def learn(self, frame: NativeFrame) -> None:
        """Remember the slot of the SLOAD / SSTORE the kernel hands to the host."""
        words = frame.stack.words_bytes
        key = int.from_bytes(words[_PENDING_KEY_AT : _PENDING_KEY_AT + 32], "little")
        target = frame.message.target
        keys = self._keys.get(target)
        if keys is None:
            if len(self._keys) >= self.ACCOUNTS:
                self._keys.clear()
            keys = self._keys[target] = {}
        elif key in keys:
            return
        elif len(keys) >= self.PER_ACCOUNT:
            del keys[next(iter(keys))]
        keys[key] = key.to_bytes(32, "little")

    def prefill(self, frame: NativeFrame) -> None:
        """Load the frame's account's hinted slots into its (empty) storage cache."""
        target = frame.message.target
        keys = self._keys.get(target)
        if not keys:
            return
        frames = self._frames.get(target, 0) + 1
        if frames > self.REFRESH:
            self._frames[target] = 0
            keys.clear()
            return
        self._frames[target] = frames
        state = frame.state
        if not isinstance(state, State):  # another host (the py-evm backend's) keeps its own books
            return
        account = state.accounts.get(target)
        storage = account.storage if account is not None else {}
        created = target in state.created
        originals, warm = state._original, state.warm_slots
        staged = []
        for key, key_bytes in keys.items():
            value = storage.get(key, 0)
            slot = (target, key)
            original = 0 if created else originals.get(slot, value)
            staged.append(key_bytes + value.to_bytes(32, "little") + original.to_bytes(32, "little")
                          + (_WARM if slot in warm else _COLD))
        rows = np.frombuffer(b"".join(staged), dtype=np.uint64).reshape(len(staged), 13)
        _prefill_kernel()(frame.words, frame.control, rows)


@cache
def _prefill_kernel():
    from jitvm.evm.baseline.kernel import prefill_cache

    buffers = FrameBuffers(0)
    staged = np.frombuffer(bytes(13 * 8), dtype=np.uint64).reshape(1, 13)
    return entry_point(prefill_cache, buffers.words, buffers.control, staged)


_PENDING_KEY_AT = PENDING_KEY * 32
_WARM, _COLD = (1).to_bytes(8, "little"), bytes(8)
_STATUSES = {int(status): status for status in Status}
_TWELVE_ZEROS = bytes(12)
_ZERO_WORD = bytes(32)
assert CALLVALUE_ROW == CALLER_ROW + 1, "_run_native writes CALLER's and CALLVALUE's rows at once"
_ADDRESS_AT, _CALLER_AT = ADDRESS_ROW * 32, CALLER_ROW * 32
_ADDRESS_ROWS: dict[bytes, bytes] = {}  # address -> its row in `words` (20 bytes little-endian, zero above)


def _address_row(address: bytes) -> bytes:
    row = _ADDRESS_ROWS.get(address)
    if row is None:
        if len(_ADDRESS_ROWS) >= 4096:
            _ADDRESS_ROWS.clear()
        row = _ADDRESS_ROWS[address] = address[::-1] + _TWELVE_ZEROS
    return row
_SUCCESS, _REVERT = int(Status.SUCCESS), int(Status.REVERT)
assert (STATUS, OUT_OFFSET, OUT_SIZE) == (5, 7, 8), "frame_result reads registers[5:9] at once"
_unpack_four = struct.Struct("=4q").unpack_from


def frame_result(frame: NativeFrame) -> FrameResult:
    """How a frame the kernel ended (EXIT_DONE) ends. A successful frame gives the state its native
    writes; a failed or reverted one drops them (the driver undoes the frame's changes anyway)."""
    status, _, offset, size = _unpack_four(frame.control_bytes, STATUS * 8)
    if status == _SUCCESS:
        if frame.registers[NATIVE_WRITES]:
            flush_native(frame)
    elif status != _REVERT:
        return FrameResult.failure(_STATUSES[status])
    output = frame.memory.buffer[offset : offset + size].tobytes() if size else b""
    return FrameResult(_STATUSES[status], frame.gas_left, output)
