"""A transaction frame started the two ways an engine offers, side by side in one process: the
generator (`start_runner(engine.run_frame(...))`, what jitvm.EVM did before start_frame) and
`engine.start_frame`. Counts CPU instructions under callgrind (`--instructions`, starts itself
under valgrind), else times the best of several interleaved rounds (noisy on a loaded machine:
quote the ratio, not the microseconds).

    python bench/realworld/count_root_frame.py [--engines baseline,jit] [--instructions]
"""

from __future__ import annotations

import argparse
import sys
import time

from callgrind_run import instructions_per_run, rerun_under_callgrind  # this script's folder is on sys.path

SESSIONS = ("call/stop_contract", "erc20/transfer", "weth/deposit")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit")
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--loops", type=int, default=0)
    args = parser.parse_args()
    if args.instructions:
        rerun_under_callgrind()

    from jitvm.api import _address
    from jitvm.bench.realworld import _session
    from jitvm.evm.engines import get_engine, start_runner
    from jitvm.evm.message import Message

    loops = args.loops or (200 if args.instructions else 5000)
    measure = _counter(loops) if args.instructions else _timer(loops)
    for engine_name in args.engines.split(","):
        for name in SESSIONS:
            session = _session(name, engine_name)
            for _ in range(3):
                session.run()
            if engine_name in ("jit", "auto"):
                get_engine(engine_name).settle()
                session.run()
            evm = session.deployment.evm
            state, ctx, engine = evm._state, evm._ctx, evm._engine
            caller, to, data, value = session.calls[0]
            sender, target = _address(caller), _address(to)
            message = Message(sender, target, target, 0, data, 1_000_000, 0, state.code(target))
            start_frame, run_frame = engine.start_frame, engine.run_frame

            def by_start_frame():
                start_frame(message, ctx)

            def by_generator():
                start_runner(run_frame(message, ctx))

            old, new = measure(by_generator, by_start_frame)
            print(f"{engine_name:9} {name:20} generator {old:10.1f}  start_frame {new:10.1f}  "
                  f"saved {old - new:9.1f} ({(old - new) / old:.1%})", flush=True)


def _counter(loops: int):
    from jitvm.bench.counting import InstructionCounter

    counter = InstructionCounter()

    def count(*pieces):
        return [instructions_per_run(counter, piece, loops) for piece in pieces]

    return count


def _timer(loops: int, rounds: int = 7):
    def best(*pieces):
        times = [float("inf")] * len(pieces)
        for _ in range(rounds):
            for index, piece in enumerate(pieces):
                started = time.perf_counter()
                for _ in range(loops):
                    piece()
                times[index] = min(times[index], (time.perf_counter() - started) / loops * 1e9)
        return times  # nanoseconds

    return best


if __name__ == "__main__":
    sys.exit(main())
