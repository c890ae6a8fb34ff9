"""CPU instructions (callgrind) of the pieces of one frame on the baseline engine, each run many
times in a loop: where a short transaction's instructions go. Starts itself under valgrind.

    python bench/realworld/count_pieces.py
"""

from __future__ import annotations

from callgrind_run import rerun_under_callgrind  # this script's folder is on sys.path
from count_transaction_pieces import generator_round_trip, print_counts
from jitvm.bench.counting import InstructionCounter

LOOPS = 200
CHILDREN = 50


def main() -> None:
    rerun_under_callgrind()

    from jitvm.bench.realworld import _session
    from jitvm.evm.baseline.engine import frame_result, kernel
    from jitvm.evm.baseline.host import NativeFrame
    from jitvm.evm.baseline.layout import code_rows, calldata_at
    from jitvm.evm.execution import execute_message

    counter = InstructionCounter()
    session = _session("call/stop_contract", "baseline")
    evm = session.deployment.evm
    for _ in range(5):
        session.run()
    engine = evm._engine
    ctx = evm._ctx
    caller, to, data, value = session.calls[0]
    from jitvm.api import _address
    from jitvm.evm.message import Message

    code = evm._state.code(_address(to))
    message = Message(_address(caller), _address(to), _address(to), 0, b"", 1_000_000, 0, code)
    buffers = engine._pool.take()
    environment = engine._environment_rows(ctx)
    buffers.prepare(ctx.fork.name, environment)
    frame = NativeFrame(message, ctx, buffers.words, buffers.memory, buffers.control, buffers.memory_address,
                        buffers.stack, buffers.control_bytes, buffers.registers)
    frame.store()
    run_kernel = kernel()
    code_array = code_rows(code)
    data_array = calldata_at(b"")[0]

    def drive_frame():
        runner = engine.run_frame(message, ctx)
        try:
            runner.send(None)
        except StopIteration:
            pass

    import jitvm

    children = jitvm.EVM(engine="baseline")
    stop_at, caller_at, sender = "0x" + "00" * 19 + "aa", "0x" + "00" * 19 + "bb", "0x" + "00" * 19 + "cc"
    children.insert_account_info(stop_at, jitvm.AccountInfo(code=b"\x00"))
    staticcall = bytes.fromhex("6000600060006000" + "73" + stop_at[2:] + "5afa50")  # STATICCALL(gas, stop, 0, 0, 0, 0); POP
    children.insert_account_info(caller_at, jitvm.AccountInfo(code=staticcall * CHILDREN))
    children.insert_account_info(sender, jitvm.AccountInfo(balance=10**20))
    children.message_call(sender, caller_at)

    from jitvm.evm.baseline.engine import serve_host
    from jitvm.evm.baseline.host import host_handlers
    from jitvm.evm.baseline.layout import OPCODE
    from jitvm.evm.message import FrameResult, Status
    from jitvm.evm.reference.instructions.system import staticcall as staticcall_instruction

    handlers = host_handlers(ctx.fork.name)
    stop_result = FrameResult(Status.SUCCESS, 100, b"")
    ctx.state.warm_address(_address(to))

    def push_call_arguments():
        frame.stack.height = 0
        for word in (0, 0, 0, 0, int(to, 16), 100_000):
            frame.stack.append(word)

    def staticcall_handler():
        push_call_arguments()
        staticcall_instruction(frame)

    def serve_staticcall():
        push_call_arguments()
        frame.registers[OPCODE] = 0xFA
        server = serve_host(frame, handlers)
        server.send(None)
        try:
            server.send(stop_result)
        except StopIteration:
            pass

    from jitvm.evm.reference.instructions.system import _call
    from jitvm.evm.reference.frame import to_address

    def pop_six():
        frame.stack.height = 6
        frame.stack.pop_many(6)

    def append_one():
        frame.stack.height = 0
        frame.stack.append(5)

    target = _address(to)
    pieces = {
        "append one word": append_one,
        "pop_many(6)": pop_six,
        "to_address": lambda: to_address(0xC0DE),
        "_call": lambda: _call(frame, 100_000, target, 0, 0, 0, 0, 0, "STATICCALL"),
        "Message()": lambda: Message(target, target, target, 0, b"", 1000, 1, code, True, False, True, False),
        "push 6 words": push_call_arguments,
        "push + staticcall()": staticcall_handler,
        "push + serve_host(STATICCALL)": serve_staticcall,
        "frame.load + store": lambda: (frame.load(), frame.store()),
        f"{CHILDREN} STATICCALLs to STOP": lambda: children.message_call(sender, caller_at),
        "whole transaction": session.run,
        "execute_message": lambda: execute_message(message, ctx),
        "engine.run_frame + send": drive_frame,
        "pool take + give back": lambda: engine._pool.give_back(engine._pool.take(), 0),
        "buffers.prepare": lambda: buffers.prepare(ctx.fork.name, environment),
        "_environment_rows": lambda: engine._environment_rows(ctx),
        "NativeFrame()": lambda: NativeFrame(message, ctx, buffers.words, buffers.memory, buffers.control,
                                             buffers.memory_address, buffers.stack, buffers.control_bytes,
                                             buffers.registers),
        "frame.start (pooled view)": lambda: frame.start(message, ctx, buffers.memory, buffers.memory_address),
        "frame.store": frame.store,
        "run_kernel": lambda: run_kernel(code_array, data_array, buffers.words, buffers.memory, buffers.control),
        "frame_result": lambda: frame_result(frame),
        "state.snapshot": ctx.state.snapshot,
        "nothing": lambda: None,
        "generator round trip": generator_round_trip,
    }
    print_counts(counter, pieces, LOOPS)


if __name__ == "__main__":
    main()
