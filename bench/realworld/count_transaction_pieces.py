"""CPU instructions (callgrind) of the pieces of one `jitvm.EVM.message_call`, each run many times
in a loop: what the per-transaction Python path costs, apart from the code the call runs.
Starts itself under valgrind.

    python bench/realworld/count_transaction_pieces.py [--engine baseline]
"""

from __future__ import annotations

import argparse

from callgrind_run import instructions_per_run, rerun_under_callgrind  # this script's folder is on sys.path
from jitvm.bench.counting import InstructionCounter

LOOPS = 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="baseline")
    args = parser.parse_args()
    rerun_under_callgrind()

    from jitvm.api import _address
    from jitvm.bench.realworld import _session
    from jitvm.evm.message import Message

    counter = InstructionCounter()
    sessions = {name: _session(name, args.engine) for name in
                ("call/no_code", "call/stop_contract", "erc20/transfer", "weth/deposit")}
    evm = sessions["call/stop_contract"].deployment.evm
    for session in sessions.values():
        for _ in range(5):
            session.run()
    state, ctx, engine = evm._state, evm._ctx, evm._engine
    caller, to, _, _ = sessions["call/stop_contract"].calls[0]
    sender, target = _address(caller), _address(to)
    code = state.code(target)
    warm = evm._plans[(sender, target)][0]  # the accounts the call starts with warm (jitvm.EVM's plan)

    def stop_frame():
        runner = engine.run_frame(Message(sender, target, target, 0, b"", 1_000_000, 0, code), ctx)
        try:
            runner.send(None)
        except StopIteration:
            pass

    from jitvm.evm.baseline.engine import frame_result, kernel
    from jitvm.evm.baseline.layout import calldata_at, code_rows

    message = Message(sender, target, target, 0, b"", 1_000_000, 0, code)
    pool = engine._pool
    buffers = pool.take()
    environment = engine._environment_rows(ctx)
    buffers.prepare(ctx.fork.name, environment)
    stop_frame()
    frame = buffers.frame or engine._pool._free[-1].frame
    run_kernel, code_array, data_array = kernel(), code_rows(code), calldata_at(b"")[0]

    pieces = {
        "nothing": lambda: None,
        **{f"message_call {name}": session.run for name, session in sessions.items()},
        "_address": lambda: _address(caller),
        "state.begin_transaction": state.begin_transaction,
        "state.begin_transaction(warm set)": lambda: state.begin_transaction(warm),
        "  storage_table.warm_at_start": lambda: state.storage_table.warm_at_start(warm),
        "state.snapshot": state.snapshot,
        "engine.start_frame (STOP)": lambda: engine.start_frame(message, ctx),
        "Message()": lambda: Message(sender, target, target, 0, b"", 1000, 0, code),
        "STOP frame (run_frame + send)": stop_frame,
        "  pool take + give back": lambda: pool.give_back(pool.take(), 0),
        "  buffers.prepare": lambda: buffers.prepare(ctx.fork.name, environment),
        "  _environment_rows": lambda: engine._environment_rows(ctx),
        "  frame.start (pooled view)": lambda: frame.start(message, ctx, buffers.memory, buffers.memory_address),
        "  frame.store": frame.store,
        "  frame.load": frame.load,
        "  run_kernel (STOP)": lambda: run_kernel(code_array, data_array, buffers.words, buffers.memory,
                                                  buffers.control),
        "  code_rows + calldata_at": lambda: (code_rows(code), calldata_at(b"")),
        "  frame_result": lambda: frame_result(frame),
        "  generator round trip": generator_round_trip,
    }
    print_counts(counter, pieces, LOOPS)


def _generator():
    yield from ()
    return 1


def generator_round_trip() -> None:
    """What starting and finishing a generator that returns at once costs (every frame is one)."""
    runner = _generator()
    try:
        runner.send(None)
    except StopIteration:
        pass


def print_counts(counter, pieces: dict, loops: int) -> None:
    """Each piece's instructions per run, averaged over `loops` runs after three untimed ones."""
    for name, piece in pieces.items():
        print(f"{name:36} {instructions_per_run(counter, piece, loops):10.0f}", flush=True)


if __name__ == "__main__":
    main()
