"""Where block/1000_mixed pays more per transaction than its parts run alone.

Profiles (cProfile) the block's 1,000 transactions and, separately, each BLOCK_MIX workload for as
many transactions as it contributes to the block, then prints per function the total time (own time,
`tottime`) in the block, in the parts together, and the difference, biggest difference first.

    python bench/realworld/profile_block_parts.py [--engine baseline] [--blocks 5] [--top 25] [--calls]

With --calls, the rows are calls per function instead of seconds (exact, whatever the machine's
load): a function called more often in the block than in its parts is work the block adds.
"""

import argparse
import cProfile
import pstats

from jitvm.bench import realworld


def _profile(session, transactions: int, calls: bool = False) -> dict:
    """{function: own seconds} (or with `calls`, {function: calls}) over `transactions` transactions
    of `session`."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(transactions // session.per_call):
        session.run()
    profile.disable()
    stats = pstats.Stats(profile).stats
    return {f"{path.rsplit('/', 1)[-1]}:{line}({name})": row[1 if calls else 2] for (path, line, name), row in stats.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="baseline")
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--calls", action="store_true", help="compare calls per function, not seconds")
    args = parser.parse_args()
    block = realworld._session("block/1000_mixed", args.engine)
    for _ in range(2):
        block.run()
    in_block = _profile(block, args.blocks * realworld.BLOCK_SIZE, args.calls)
    in_parts: dict = {}
    cycle = [kind for kind in realworld.BLOCK_MIX for _ in range(2 if kind in ("erc20/approve", "uniswap/swap") else 1)]
    for kind in realworld.BLOCK_MIX:
        part = realworld._session(kind, args.engine)
        for _ in range(100):
            part.run()
        share = args.blocks * realworld.BLOCK_SIZE * cycle.count(kind) // len(cycle)
        for function, seconds in _profile(part, share, args.calls).items():
            in_parts[function] = in_parts.get(function, 0.0) + seconds
    total_block, total_parts = sum(in_block.values()), sum(in_parts.values())
    scale, unit = (1, "calls") if args.calls else (1e3, "ms")
    print(f"total: block {total_block * scale:.1f} {unit}, parts {total_parts * scale:.1f} {unit} "
          f"({args.blocks * realworld.BLOCK_SIZE} transactions each)")
    rows = sorted(set(in_block) | set(in_parts), key=lambda f: in_parts.get(f, 0.0) - in_block.get(f, 0.0))
    print(f"{'block':>9} {'parts':>9} {'diff':>7}  function ({unit})")
    for function in rows[:args.top]:
        b, p = in_block.get(function, 0.0) * scale, in_parts.get(function, 0.0) * scale
        print(f"{b:9.2f} {p:9.2f} {b - p:7.2f}  {function}")


if __name__ == "__main__":
    main()
