"""Per kind of transaction: its median time inside block/1000_mixed vs run alone (its own workload).

    python bench/realworld/time_block_kinds.py [--engine baseline] [--blocks 5]

Each transaction is timed on its own (perf_counter_ns around EVM.message_call), so the figures
include the timer's cost on both sides alike.
(bench/realworld/count_instructions.py counts the block's and the parts' instructions as wholes.)
"""

import argparse
import statistics
import time

from jitvm.bench import realworld


def _timed(session, transactions: int) -> list[int]:
    """Nanoseconds of each of the next `transactions` transactions of `session`."""
    send, calls, times = session.deployment.evm.message_call, session.calls, []
    clock = time.perf_counter_ns
    for _ in range(transactions):
        caller, to, data, value = calls[session.position]
        start = clock()
        send(caller, to, data, value=value)
        times.append(clock() - start)
        session.position = (session.position + 1) % len(calls)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="baseline")
    parser.add_argument("--blocks", type=int, default=5)
    args = parser.parse_args()
    block = realworld._session("block/1000_mixed", args.engine)
    kind_of = {}
    for kind in realworld.BLOCK_MIX:
        for call in realworld._calls(block.deployment, kind):
            kind_of[call] = kind
    kinds = [kind_of.get(call, "?") for call in block.calls]
    block.run()
    start = block.position
    times = _timed(block, args.blocks * realworld.BLOCK_SIZE)
    in_block: dict = {}
    for index, ns in enumerate(times):
        in_block.setdefault(kinds[(start + index) % len(kinds)], []).append(ns)
    print(f"{'kind':22} {'in block us':>11} {'alone us':>9} {'ratio':>6}")
    for kind in realworld.BLOCK_MIX:
        part = realworld._session(kind, args.engine)
        _timed(part, 200)
        alone = statistics.median(_timed(part, 2000))
        inside = statistics.median(in_block[kind])
        print(f"{kind:22} {inside / 1e3:11.2f} {alone / 1e3:9.2f} {inside / alone:6.2f}")


if __name__ == "__main__":
    main()
