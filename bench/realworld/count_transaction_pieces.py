"""CPU instructions (callgrind) of the pieces of one `jitvm.EVM.message_call`, each run many times
in a loop: what the per-transaction Python path costs, apart from the code the call runs.
Starts itself under valgrind.

    python bench/realworld/count_transaction_pieces.py [--engine baseline]
"""

from __future__ import annotations

import argparse

from callgrind_run import rerun_under_callgrind  # this script's folder is on sys.path
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

    def stop_frame():
        runner = engine.run_frame(Message(sender, target, target, 0, b"", 1_000_000, 0, code), ctx)
        try:
            runner.send(None)
        except StopIteration:
            pass

    pieces = {
        "nothing": lambda: None,
        **{f"message_call {name}": session.run for name, session in sessions.items()},
        "_address": lambda: _address(caller),
        "state.begin_transaction": state.begin_transaction,
        "state.snapshot": state.snapshot,
        "Message()": lambda: Message(sender, target, target, 0, b"", 1000, 0, code),
        "STOP frame (run_frame + send)": stop_frame,
    }
    for name, piece in pieces.items():
        for _ in range(3):
            piece()
        with counter.measuring():
            before = counter()
            for _ in range(LOOPS):
                piece()
            count = (counter() - before) / LOOPS
        print(f"{name:36} {count:10.0f}", flush=True)


if __name__ == "__main__":
    main()
