"""The frame driver: runs a message and every frame it starts, without recursion.

Engines run one frame each and yield a `Message` when they need a child frame; the driver keeps the
frames on an explicit stack, so a chain of 1024 nested calls costs no Python stack depth. The driver
owns what happens at frame boundaries, identically for every engine: the state snapshot and its
revert, value transfer, contract-creation bookkeeping and code deposit, and precompiles.
"""

from __future__ import annotations

from jitvm.evm import gas
from jitvm.evm.context import ExecutionContext
from jitvm.evm.message import FrameResult, Message, Status
from jitvm.evm.memory_budget import DEFAULT_MEMORY_LIMIT, MemoryBudgetExceeded, take_memory  # noqa: F401 (re-exported)
from jitvm.evm.precompiles import PrecompileError, run_precompile

EOF_PREFIX = 0xEF  # EIP-3541: new code may not start with this byte (reserved for EOF)


def execute_message(message: Message, ctx: ExecutionContext) -> FrameResult:
    """Run `message` to completion and return its result; state changes stay in `ctx.state`."""
    frames: list[tuple] = []  # (runner, snapshot, message) of every suspended or running frame
    return _drive(frames, _enter(message, ctx, frames), ctx)


def continue_message(runner, snapshot: int, message: Message, child: Message, ctx: ExecutionContext) -> FrameResult:
    """Finish a root frame its caller started itself: `runner` is ctx.engine.run_frame(message, ctx)
    after its first send, which asked for `child`; `snapshot` is the state's before the frame (and
    its value transfer). jitvm.EVM runs a transaction's frame this way, paying for the driver only
    when the frame calls out."""
    frames = [(runner, snapshot, message)]
    return _drive(frames, _enter(child, ctx, frames), ctx)


def _drive(frames: list, result: FrameResult | None, ctx: ExecutionContext) -> FrameResult:
    """Run the frames on `frames` (the last one running, `result` the value to send it) to the end."""
    state = ctx.state
    while frames:
        runner, snapshot, running_message = frames[-1]
        try:
            child = runner.send(result)  # None starts a new frame; a FrameResult resumes its parent
        except StopIteration as finished:
            frames.pop()
            result = finished.value
            # _leave, written out: this runs once per frame
            if running_message.is_create and result.status is _SUCCESS:
                result = _deposit_code(running_message, result, ctx)
            if result.status is not _SUCCESS:
                state.revert(snapshot)
            continue
        result = _enter(child, ctx, frames)
    return result


def _enter(message: Message, ctx: ExecutionContext, frames: list) -> FrameResult | None:
    """Start a frame. Returns its result if it finished at once (precompile, no code), else None."""
    state = ctx.state
    snapshot = state.snapshot()
    if message.is_create:
        state.destroy_storage(message.target)
        state.mark_created(message.target)
        state.increment_nonce(message.target)
    elif message.code_address in ctx.fork.precompile_accounts and not message.disable_precompiles:
        if message.should_transfer_value and message.value:
            state.transfer(message.caller, message.target, message.value)
        return _leave(message, _run_precompile(message, ctx), snapshot, ctx)
    if message.should_transfer_value and message.value:
        state.transfer(message.caller, message.target, message.value)
    if not message.code:
        return _leave(message, FrameResult(Status.SUCCESS, message.gas), snapshot, ctx)
    frames.append((ctx.engine.run_frame(message, ctx), snapshot, message))
    return None


# How deep a child frame may run inside its parent's generator (run_child) instead of through the
# driver's stack: every level adds a few generator frames to each resumption of the deepest one, and
# to the C stack, so a chain of 1024 calls must not nest that way.
INLINE_DEPTH = 8


def run_child(message: Message, ctx: ExecutionContext):
    """Generator: run a CALL-family child frame to its end inside the parent's own generator
    (`result = yield from run_child(...)`), with exactly what `execute_message`'s loop does around
    a frame (_enter and _leave: the snapshot, the value transfer, a precompile or an account
    without code, the revert), and return its FrameResult. Grandchildren it starts are yielded to
    the driver like any other (or run the same way, below INLINE_DEPTH). This saves the driver's
    round trip per child frame (its stack, a generator switch and a StopIteration each way);
    creations still go through the driver (code deposit)."""
    state = ctx.state
    snapshot = state.snapshot()
    if message.code_address in ctx.fork.precompile_accounts and not message.disable_precompiles:
        if message.should_transfer_value and message.value:
            state.transfer(message.caller, message.target, message.value)
        result = _run_precompile(message, ctx)
    else:
        if message.should_transfer_value and message.value:
            state.transfer(message.caller, message.target, message.value)
        if not message.code:
            return FrameResult(Status.SUCCESS, message.gas)
        result = yield from ctx.engine.run_frame(message, ctx)
    if result.status is not _SUCCESS:
        state.revert(snapshot)
    return result


def _leave(message: Message, result: FrameResult, snapshot: int, ctx: ExecutionContext) -> FrameResult:
    """Finish a frame: deposit created code, and keep or undo its state changes."""
    if message.is_create and result.status is _SUCCESS:
        result = _deposit_code(message, result, ctx)
    if result.status is not _SUCCESS:
        ctx.state.revert(snapshot)
    return result


def _deposit_code(message: Message, result: FrameResult, ctx: ExecutionContext) -> FrameResult:
    code = result.output
    if code and code[0] == EOF_PREFIX:
        return FrameResult.failure(Status.INVALID_CONTRACT_PREFIX)
    deposit_cost = gas.CODE_DEPOSIT_BYTE * len(code)
    if deposit_cost > result.gas_left:
        return FrameResult.failure(Status.OUT_OF_GAS)
    if len(code) > gas.MAX_CODE_SIZE:
        return FrameResult.failure(Status.CODE_SIZE_LIMIT)
    ctx.state.set_code(message.target, code)
    return FrameResult(Status.SUCCESS, result.gas_left - deposit_cost, code)


def _run_precompile(message: Message, ctx: ExecutionContext) -> FrameResult:
    number = int.from_bytes(message.code_address, "big")
    try:
        output, gas_used = run_precompile(number, message.data, message.gas, ctx.fork.name)
    except PrecompileError:
        return FrameResult.failure(Status.PRECOMPILE_FAILURE)
    return FrameResult(Status.SUCCESS, message.gas - gas_used, output)


_SUCCESS = Status.SUCCESS
