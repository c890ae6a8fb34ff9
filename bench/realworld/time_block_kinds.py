"""Per kind of transaction: its median time inside block/1000_mixed vs run alone (its own workload).

    python bench/realworld/time_block_kinds.py [--engine baseline] [--blocks 5]
    python bench/realworld/time_block_kinds.py --engines baseline,jit,auto [--blocks 12]

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
    parser.add_argument("--engines", default=None,
                        help="instead: each kind's median time in the block on these engines, in their steady "
                             "state (jit, auto settled), blocks interleaved, and its ratio to the first engine's")
    args = parser.parse_args()
    if args.engines:
        return compare_engines(args.engines.split(","), args.blocks)
    block = realworld._session("block/1000_mixed", args.engine)
    kinds = _kinds(block)
    block.run()
    start = block.position
    times = _timed(block, args.blocks * realworld.BLOCK_SIZE)
    in_block = _by_kind(kinds, start, times, {})
    print(f"{'kind':22} {'in block us':>11} {'alone us':>9} {'ratio':>6}")
    for kind in realworld.BLOCK_MIX:
        part = realworld._session(kind, args.engine)
        _timed(part, 200)
        alone = statistics.median(_timed(part, 2000))
        inside = statistics.median(in_block[kind])
        print(f"{kind:22} {inside / 1e3:11.2f} {alone / 1e3:9.2f} {inside / alone:6.2f}")


def _kinds(block) -> list[str]:
    """The kind of each of the block session's calls, in order."""
    kind_of = {}
    for kind in realworld.BLOCK_MIX:
        for call in realworld._calls(block.deployment, kind):
            kind_of[call] = kind
    return [kind_of.get(call, "?") for call in block.calls]


def _by_kind(kinds: list[str], start: int, times: list[int], into: dict) -> dict:
    for index, ns in enumerate(times):
        into.setdefault(kinds[(start + index) % len(kinds)], []).append(ns)
    return into


def compare_engines(engines: list[str], blocks: int) -> None:
    """Each kind's median time inside the block per engine (steady state), and its ratio to engines[0]'s."""
    from jitvm.evm.engines import get_engine

    sessions = {engine: realworld._session("block/1000_mixed", engine) for engine in engines}
    for engine, block in sessions.items():
        block.run()
        if engine in ("jit", "auto"):
            get_engine(engine).settle()
            block.run()
    kinds = _kinds(sessions[engines[0]])
    in_block = {engine: {} for engine in engines}
    for round_number in range(blocks):
        first = round_number % len(engines)
        for engine in engines[first:] + engines[:first]:
            block = sessions[engine]
            start = block.position
            _by_kind(kinds, start, _timed(block, realworld.BLOCK_SIZE), in_block[engine])
    print(f"{'kind':22} " + " ".join(f"{engine + ' us':>12}" for engine in engines)
          + "  " + " ".join(f"{engine + '/' + engines[0]:>14}" for engine in engines[1:]))
    for kind in in_block[engines[0]]:
        medians = [statistics.median(in_block[engine][kind]) for engine in engines]
        print(f"{kind:22} " + " ".join(f"{median / 1e3:12.2f}" for median in medians)
              + "  " + " ".join(f"{median / medians[0]:14.3f}" for median in medians[1:]))


if __name__ == "__main__":
    main()
