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
from jitvm.evm.execution import INLINE_DEPTH, run_child
from jitvm.evm.engines import start_runner
from jitvm.evm.message import FrameResult, Message, Status
from jitvm.evm.baseline.call_host import serve_call
from jitvm.evm.baseline.frame_arena import NATIVE_CHILDREN, FrameArena, native_return_data
from jitvm.evm.baseline.host import (
    NativeFrame,
    flush_native,
    grow_memory,
    host_handlers,
    serve_sload,
    serve_sstore,
)
from jitvm.evm.baseline.layout import (
    ADDRESS_ROW,
    ARENA,
    CALLEE_CELLS,
    CALLEE_ROWS,
    DEPTH,
    NATIVE_RETURN_DATA,
    CALLDATA_SIZE,
    CALLER_ROW,
    CALLVALUE_ROW,
    GASPRICE_ROW,
    ORIGIN_ROW,
    EXIT,
    EXIT_DONE,
    EXIT_GROW,
    EXIT_HOST,
    EXIT_STEP,
    GAS,
    GAS_RESERVE,
    MAX_NATIVE_GAS,
    NATIVE_GAS_LIMIT,
    NATIVE_WRITES,
    NEEDED_MEMORY,
    OPCODE,
    OUT_OFFSET,
    OUT_SIZE,
    PENDING,
    PENDING_CALL,
    PENDING_SLOAD,
    PENDING_SSTORE,
    PC,
    REGISTER_BYTES,
    SP,
    MSIZE,
    STATIC_FRAME,
    STATUS,
    STEPS,
    STORAGE_ACCOUNT,
    STORAGE_CELLS,
    STORAGE_COMPLETE,
    STORAGE_ROWS,
    UNLIMITED_STEPS,
    ZERO_MEMORY,
    BufferPool,
    calldata_at,
    code_rows,
    data_bytes,
    environment_rows,
)
from jitvm.evm.reference.frame import ExceptionalHalt


@cache
def kernel():
    """The kernel's run_kernel(code, data, words, memory, control), loaded on first use: the Numba
    kernel as object code linked into jitvm's LLJIT, without importing Numba once it has been built
    (jitvm.evm.baseline.native_entry; Numba's compiled entry point if that cannot be). Either way a
    compiled entry point for the one signature the engines call it with, not the dispatcher, which
    works out the types of the five arguments on every call. Imported here: a process whose frames
    all run elsewhere (an empty block, the JIT, tier 0 of auto) need not load LLVM for it."""
    from jitvm.evm.baseline.native_entry import kernel_functions

    global _kernel
    _kernel = kernel_functions().run_kernel
    return _kernel


_kernel = None  # kernel() once loaded: a global read costs less than the cached call


class BaselineEngine:
    """Runs frames on the Numba interpreter kernel (jitvm.evm.baseline.kernel)."""

    name = "baseline"
    _on_baseline = None  # (a JitEngine's codes whose frames take the baseline's path: start_frame)

    def __init__(self):
        self._pool = BufferPool()
        self._frame_arena = None  # FrameArena, made by the first frame that may run children natively
        self._native_children = None  # _children's answer, kept while the state's callee table is the same
        self._environment = (None, None)  # (block, environment_rows)
        self._tx_rows = (None, None, b"", b"")  # (origin, gas price, ORIGIN's row, GASPRICE's row)
        self._tx_rows_seen: dict[tuple, tuple] = {}  # (origin, gas price) -> _transaction_rows' answer

    def _environment_rows(self, ctx: ExecutionContext) -> np.ndarray:
        """environment_rows(ctx), remembered while the block stays (by identity: a BlockEnv is
        replaced, never edited, once it runs). Its ORIGIN and GASPRICE rows are those of the
        transaction that made it: _set_up writes every transaction's own (_transaction_rows), so that
        a block whose transactions come from different senders does not copy all 256 rows into
        the buffers whenever the sender changes."""
        block = ctx.block
        known_block, rows = self._environment
        if block is known_block:
            return rows
        rows = environment_rows(ctx)
        self._environment = (block, rows)
        return rows

    def _transaction_rows(self, tx) -> tuple:
        """(origin, gas price, ORIGIN's row, GASPRICE's row) of transaction environment `tx`, the
        same tuple while they stay (FrameBuffers.tx_rows compares it by identity)."""
        known = self._tx_rows
        if tx.origin == known[0] and tx.gas_price == known[1]:
            return known
        key = (tx.origin, tx.gas_price)
        known = self._tx_rows_seen.get(key)  # a block's transactions come from a few senders, in turns
        if known is None:
            if len(self._tx_rows_seen) >= 256:
                self._tx_rows_seen.clear()
            known = self._tx_rows_seen[key] = (tx.origin, tx.gas_price, _address_row(tx.origin),
                                               (tx.gas_price % (1 << 256)).to_bytes(32, "little"))
        self._tx_rows = known
        return known

    def run_frame(self, message: Message, ctx: ExecutionContext
                  ) -> Generator[Message, FrameResult, FrameResult]:
        if message.gas > MAX_NATIVE_GAS:
            from jitvm.evm.reference import run_frame

            return run_frame(message, ctx)
        return self._run_native(message, ctx)

    def start_frame(self, message: Message, ctx: ExecutionContext):
        """run_frame for a frame whose caller finishes it itself (jitvm.EVM's transaction frame):
        the frame's FrameResult if it ended without asking for a child frame, else (the frame's
        generator after its first send, the child Message it asks for), to be driven as
        run_frame's (execution.continue_message). A frame that runs natively to its end pays
        for no generator."""
        if message.gas > MAX_NATIVE_GAS or ctx.tracer is not None:
            return start_runner(self.run_frame(message, ctx))
        frame, buffers = self._set_up(message, ctx)
        try:
            # An engine of its own kind (the JIT) runs what needs no generator in its _start: the
            # frame's FrameResult, its generator, or None for the baseline's path below; the codes
            # it runs on that path for good (_on_baseline, code -> fork) skip its _start.
            on_baseline = self._on_baseline
            runner = (None if on_baseline is None or on_baseline.get(message.code) is ctx.fork
                      else self._start(frame, buffers))
            if runner is None:  # the kernel's runs to the first host instruction, plainly
                children = None  # self._children(frame), its usual answer in line
                if NATIVE_CHILDREN and frame.storage_table is not None:
                    children = self._native_children
                    if children is None or children[2] is not ctx.state.callees:
                        children = self._children(frame)
                arrays = buffers.arrays  # message_arrays(buffers, message), in line
                if arrays is None:
                    arrays = buffers.arrays = (code_rows(message.code), calldata_at(message.data)[0])
                runner = run_to_host(frame, buffers, arrays[0], arrays[1], children, True)
                if runner is None:
                    runner = BaselineEngine._execute(self, frame, buffers, True)
            if runner.__class__ is FrameResult:  # the frame ended without a generator
                # self._give_back(frame, buffers), its usual case in line (BufferPool.give_back)
                memory, kept = frame.memory, buffers.memory_bytes
                size = memory.size
                if memory.buffer is kept.obj and size <= len(ZERO_MEMORY):
                    counted = buffers.counted
                    if counted is not None:  # a JitEngine's cold frame: counted into its code's Heat
                        buffers.counted = None
                        counted.steps += UNLIMITED_STEPS - frame.registers[STEPS]
                        counted.gas += message.gas - runner.gas_left
                        counted.calls += 1
                    if size:
                        kept[:size] = ZERO_MEMORY[:size]
                    self._pool._free.append(buffers)
                else:
                    self._give_back(frame, buffers)
                return runner
            child = runner.send(None)
        except StopIteration as finished:
            self._give_back(frame, buffers)
            return finished.value
        except BaseException:
            self._give_back(frame, buffers)
            raise
        carrier = self._carry_on(runner, child, frame, buffers)
        carrier.send(None)  # to its first yield: the driver sends it the child's result
        return carrier, child

    def _carry_on(self, runner, child: Message, frame: NativeFrame, buffers):
        """The rest of a frame start_frame began (`runner`, which asked for `child`), as the frame's
        generator: gives its buffers back when it ends, as _run_native does."""
        try:
            while True:
                result = yield child
                try:
                    child = runner.send(result)
                except StopIteration as finished:
                    return finished.value
        finally:
            self._give_back(frame, buffers)

    def _run_native(self, message: Message, ctx: ExecutionContext):
        frame, buffers = self._set_up(message, ctx)
        try:
            if ctx.tracer is None:
                return (yield from self._execute(frame, buffers))
            return (yield from self._execute_traced(frame, buffers))
        finally:
            self._give_back(frame, buffers)

    def _set_up(self, message: Message, ctx: ExecutionContext):
        """(frame, buffers) for `message`: buffers from the pool, the registers and the frame's
        environment words written, ready to enter the kernel. The caller gives the buffers back
        (_give_back) when the frame ends. Every register the kernel reads goes in with one
        struct.pack_into over the registers in use (the rest zero): a dozen separate register
        stores, and clearing them first, cost several times more."""
        free = self._pool._free  # self._pool.take(), in line
        buffers = free.pop() if free else self._pool.take()
        known_block, rows = self._environment  # self._environment_rows(ctx), in line
        if ctx.block is not known_block:
            rows = self._environment_rows(ctx)
        fork = ctx.fork.name
        if buffers.environment is not rows or buffers.table is not _DISPATCH_TABLES.get(fork, _NOT_LOADED):
            buffers.prepare(fork, rows)
            _DISPATCH_TABLES[fork] = buffers.table
        tx_rows, tx = self._tx_rows, ctx.tx  # self._transaction_rows(ctx.tx), in line
        if tx.origin != tx_rows[0] or tx.gas_price != tx_rows[1]:
            tx_rows = self._transaction_rows(tx)
        if buffers.tx_rows is not tx_rows:
            words = buffers.stack.words_bytes
            words[_ORIGIN_AT : _ORIGIN_AT + 32] = tx_rows[2]
            words[_GASPRICE_AT : _GASPRICE_AT + 32] = tx_rows[3]
            buffers.tx_rows = tx_rows
        frame = buffers.frame
        if frame is None:
            frame = buffers.frame = NativeFrame(message, ctx, buffers.words, buffers.memory, buffers.control,
                                                buffers.memory_address, buffers.stack, buffers.control_bytes,
                                                buffers.registers)
        else:  # frame.start(message, ctx, buffers.memory, buffers.memory_address), in line
            frame.message, frame.ctx, frame.state, frame.code = message, ctx, ctx.state, message.code
            frame.pc = frame.stack.height = frame.gas_reserve = 0
            memory = frame.memory
            memory.buffer, memory.size, memory.address = buffers.memory_bytes.obj, 0, buffers.memory_address
            frame.gas_left = message.gas
            frame.return_data = frame.output = b""
            frame.running = True
        try:
            target = message.target
            if buffers.rows_for is not message:  # else the last frame on these buffers wrote the same rows
                words = buffers.stack.words_bytes  # addresses go in as 20 bytes, little-endian, zero above
                caller, value = message.caller, message.value
                words[_ADDRESS_AT : _ADDRESS_AT + 32] = _ADDRESS_ROWS.get(target) or _address_row(target)
                words[_CALLER_AT : _CALLER_AT + 64] = (  # CALLER's row, then CALLVALUE's
                    (_ADDRESS_ROWS.get(caller) or _address_row(caller))
                    + (value.to_bytes(32, "little") if value else _ZERO_WORD))
                buffers.rows_for = message  # a Message never changes once made
                buffers.arrays = None
            gas = message.gas
            if gas < NATIVE_GAS_LIMIT:
                reserve = 0  # pc, stack height and memory size are 0
            else:  # frame.store()'s split: the kernel charges below NATIVE_GAS_LIMIT only
                reserve = frame.gas_reserve = gas - (NATIVE_GAS_LIMIT - 1)
                gas = NATIVE_GAS_LIMIT - 1
                if reserve >> 63:  # below 2**64: stored as its 64 bits (GAS adds modulo 2**64)
                    reserve -= 1 << 64
            steps = UNLIMITED_STEPS if ctx.tracer is None else 0
            state = ctx.state
            table = frame.storage_table = getattr(state, "storage_table", None)
            if table is None:
                _pack_registers(buffers.control_bytes, 0, gas, steps, len(message.data), reserve,
                                message.is_static, 0, 0, 0, 0, 0, 0, 0, 0)
            else:  # SLOAD and SSTORE of the slots it holds run natively, and CALL children with an arena
                account, complete = table.frame_account(state, target)
                if NATIVE_CHILDREN:
                    arena = self._frame_arena
                    if arena is None or arena.fork != fork:
                        arena = self._prepared_arena(fork)
                    callees = state.callees
                    _pack_registers(buffers.control_bytes, 0, gas, steps, len(message.data), reserve,
                                    message.is_static, table.address, table.rows, account, complete,
                                    message.depth, arena.address, callees.address, callees.rows)
                else:
                    _pack_registers(buffers.control_bytes, 0, gas, steps, len(message.data), reserve,
                                    message.is_static, table.address, table.rows, account, complete,
                                    0, 0, 0, 0)
        except BaseException:
            self._give_back(frame, buffers)
            raise
        return frame, buffers

    def _prepared_arena(self, fork: str) -> FrameArena:
        """The engine's arena of native child frames, made on first use, with `fork`'s dispatch table."""
        arena = self._frame_arena
        if arena is None:
            arena = self._frame_arena = FrameArena()
        arena.prepare(fork)
        return arena

    def _give_back(self, frame: NativeFrame, buffers) -> None:
        """The frame's buffers back to the pool, with the memory it grew to."""
        memory = frame.memory
        if memory.buffer is not buffers.memory:  # it grew
            buffers.memory = memory.buffer
        self._pool.give_back(buffers, memory.size)

    def _execute(self, frame: NativeFrame, buffers, stopped: bool = False):
        """The frame's generator: the kernel's runs, and the host instructions it stops at. With
        `stopped`, the kernel has stopped at a host instruction already (start_frame)."""
        message = frame.message
        code = code_rows(message.code)
        return_data = frame.return_data  # not empty if a JitEngine frame changes loops after a call
        data = data_bytes(message.data, return_data) if return_data else calldata_at(message.data)[0]
        handlers = None  # host_handlers(fork), looked up at the first host instruction
        children = self._children(frame) if NATIVE_CHILDREN else None
        while True:
            if stopped:
                stopped = False
            else:
                ended = run_to_host(frame, buffers, code, data, children)
                if ended is not None:
                    return None if ended is STEPS_SPENT else ended
            if handlers is None:
                handlers = host_handlers(frame.ctx.fork.name)
            ended = yield from serve_host(frame, handlers)
            if ended is not None:
                return ended
            if frame.return_data is not return_data:
                return_data = frame.return_data
                data = data_bytes(message.data, return_data)
            frame.store()

    def _children(self, frame: NativeFrame):
        """What run_to_host needs to run CALL-family children natively (frame_driver.run_frames):
        (the arena, the driver, the callee table), or None if the frame's host has no native tables.
        Made once per state's callee table; _set_up has written the arena into the registers."""
        if frame.storage_table is None:
            return None
        children = self._native_children
        callees = frame.state.callees
        if children is None or children[2] is not callees:
            if children is None:
                from jitvm.evm.baseline.native_entry import frames_function

                function = frames_function()
            else:  # another state's callee table (a new State per call): the same driver
                function = children[1]
            children = self._native_children = (self._prepared_arena(frame.ctx.fork.name), function, callees)
        return children

    def _arena(self, frame: NativeFrame):
        """The engine's arena of native child frames, ready for this frame (None if its host has no
        native tables); the frame's registers name it (as _set_up wrote them already)."""
        if frame.storage_table is None:
            return None
        arena = self._prepared_arena(frame.ctx.fork.name)
        registers = frame.registers
        registers[ARENA], registers[DEPTH] = arena.address, frame.message.depth
        return arena

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
            tracer.after_step(frame)
            if request is not None:
                child, resume = request
                resume(frame, (yield child))
            if not frame.running:
                return FrameResult(Status.SUCCESS, frame.gas_left, b"")
            if frame.return_data is not return_data:
                return_data = frame.return_data
                data = data_bytes(message.data, return_data)
            frame.store()


STEPS_SPENT = object()  # run_to_host's answer when a step budget ran out


def message_arrays(buffers, message: Message) -> tuple:
    """The kernel's code rows and calldata array of the message the buffers run, made once per
    message (buffers.arrays, cleared whenever the buffers start another Message: _set_up)."""
    arrays = buffers.arrays
    if arrays is None:
        arrays = buffers.arrays = (code_rows(message.code), calldata_at(message.data)[0])
    return arrays


def run_to_host(frame: NativeFrame, buffers, code, data, children=None, fresh: bool = False):
    """Enter the kernel (again) and run it until the frame ends (its FrameResult), a step budget
    runs out (STEPS_SPENT: JitEngine's cold frames set one), or it stops at a host instruction
    other than a slot's first SLOAD or SSTORE, which are served here (None; the frame is loaded).
    With `children` (BaselineEngine._children) the native driver runs the kernel, and a child it
    ran leaves its output as the frame's return data (frame.return_data, which the caller reads).
    `fresh`: the registers are as _set_up packed them, with the callee table `children` names (Python
    may grow it between two runs: a new array, so each later run writes where it is)."""
    run_kernel = _kernel or kernel()
    words, control, memory, registers = buffers.words, buffers.control, frame.memory, frame.registers
    control_bytes, stack = buffers.control_bytes, frame.stack
    if children is not None:
        arena, run_kernel, callees = children
        if not fresh:
            registers[CALLEE_CELLS], registers[CALLEE_ROWS] = callees.address, callees.rows
    while True:
        run_kernel(code, data, words, memory.buffer, control)
        if children is not None and registers[NATIVE_RETURN_DATA]:
            frame.return_data = native_return_data(arena, registers)
            data = data_bytes(frame.message.data, frame.return_data)
        # frame.load(), and how the kernel returned, in one read of the first nine registers
        frame.pc, gas, stack.height, memory.size, exit_kind, status, _, _, out_size = _unpack_nine(control_bytes)
        frame.gas_left = gas + frame.gas_reserve
        if exit_kind == EXIT_DONE:
            if status == _SUCCESS and not out_size:  # frame_result's simplest
                if registers[NATIVE_WRITES]:
                    flush_native(frame)
                return FrameResult(_SUCCESS_STATUS, frame.gas_left, b"")
            return frame_result(frame)
        if exit_kind == EXIT_GROW:
            grow_memory(frame, int(registers[NEEDED_MEMORY]))
        elif exit_kind == EXIT_STEP:
            return STEPS_SPENT
        else:
            pending = registers[PENDING]
            if pending != PENDING_SLOAD and pending != PENDING_SSTORE:  # else the most frequent way out
                return None
            ended = serve_storage(frame, pending)
            if ended is not None:
                return ended
        if children is not None:
            registers[CALLEE_CELLS], registers[CALLEE_ROWS] = callees.address, callees.rows


def serve_storage(frame: NativeFrame, pending: int) -> FrameResult | None:
    """Serve the first read or write of a slot (or one the kernel could not journal), where the
    kernel (or compiled code) stopped with registers[PENDING] set; the frame's result if that ended
    it, else None (the registers are stored back and the run goes on). The state's storage table
    holds the slot afterwards, for every later frame and transaction."""
    if pending == PENDING_SSTORE:
        if not serve_sstore(frame):
            return FrameResult.failure(frame.halt)
    elif not serve_sload(frame):
        return FrameResult.failure(Status.OUT_OF_GAS)
    frame.store()
    return None


def serve_host(frame: NativeFrame, handlers: tuple):
    """Serve the host instruction the kernel handed back (registers[OPCODE]) with the reference's
    function for it, yielding the child Message of a call or create to the driver. Returns the
    frame's result if the instruction ended it, else None (the caller stores the registers and
    enters the kernel again). Shared by the baseline and JIT engines."""
    registers = frame.registers
    if registers[NATIVE_WRITES]:
        flush_native(frame)  # what the kernel wrote natively comes first
    try:
        if registers[PENDING] == PENDING_CALL:  # the kernel began it (call_host.serve_call)
            request = serve_call(frame)
        else:
            request = handlers[registers[OPCODE]](frame)
    except ExceptionalHalt as halt:
        return FrameResult.failure(halt.status)
    if request is not None:
        child, resume = request
        if child.depth <= INLINE_DEPTH and not child.is_create:
            resume(frame, (yield from run_child(child, frame.ctx)))
        else:
            resume(frame, (yield child))
    if not frame.running:  # SELFDESTRUCT
        return FrameResult(Status.SUCCESS, frame.gas_left, b"")
    return None


_STATUSES = {int(status): status for status in Status}
_DISPATCH_TABLES: dict[str, np.ndarray] = {}  # fork -> dispatch_table(fork), as buffers.prepare loaded it
_NOT_LOADED = object()
_TWELVE_ZEROS = bytes(12)
_ZERO_WORD = bytes(32)
assert CALLVALUE_ROW == CALLER_ROW + 1, "_run_native writes CALLER's and CALLVALUE's rows at once"
_ADDRESS_AT, _CALLER_AT = ADDRESS_ROW * 32, CALLER_ROW * 32
_ORIGIN_AT, _GASPRICE_AT = ORIGIN_ROW * 32, GASPRICE_ROW * 32
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
assert (PC, GAS, SP, MSIZE, EXIT) == (0, 1, 2, 3, 4), "run_to_host reads registers[0:9] at once"
_unpack_nine = struct.Struct("=9q").unpack_from
_SUCCESS_STATUS = Status.SUCCESS


def _registers_format(written: tuple[int, ...]) -> str:
    """A struct format for the REGISTER_BYTES of the registers row: an int64 at each register of
    `written` (in that order, which must be increasing), zero bytes everywhere else."""
    assert list(written) == sorted(written) and written[-1] * 8 < REGISTER_BYTES
    fields, at = ["="], 0
    for register in written:
        if register > at:
            fields.append(f"{8 * (register - at)}x")
        fields.append("q")
        at = register + 1
    fields.append(f"{REGISTER_BYTES - 8 * at}x")
    return "".join(fields)


# What _set_up writes into a new frame's registers, all at once (pack_into zeroes the pad bytes).
_pack_registers = struct.Struct(_registers_format((
    GAS, STEPS, CALLDATA_SIZE, GAS_RESERVE, STATIC_FRAME, STORAGE_CELLS, STORAGE_ROWS, STORAGE_ACCOUNT,
    STORAGE_COMPLETE, DEPTH, ARENA, CALLEE_CELLS, CALLEE_ROWS))).pack_into


def frame_result(frame: NativeFrame) -> FrameResult:
    """How a frame the kernel ended (EXIT_DONE) ends. A successful frame gives the state its native
    writes; a failed or reverted one drops them (the driver undoes the frame's changes anyway)."""
    status, _, offset, size = _unpack_four(frame.control_bytes, STATUS * 8)
    if status == _SUCCESS:
        if frame.registers[NATIVE_WRITES]:
            flush_native(frame)
    elif status != _REVERT:
        return FrameResult.failure(_STATUSES[status])
    if not size:
        return FrameResult(_STATUSES[status], frame.gas_left, b"")
    return FrameResult(_STATUSES[status], frame.gas_left, frame.memory.buffer[offset : offset + size].tobytes())
