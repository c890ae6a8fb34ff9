"""Cache misses and mispredicted branches per transaction, in block/1000_mixed and in its parts run
as their own workloads (weighted by their share of the block), on one engine and pyrevm: callgrind's
cache and branch simulation (a model of a generic CPU, not this machine's, but deterministic, so
a shared machine can compare the two). Says whether a block's transaction costs more than the same
transaction alone through more work (instructions) or through the CPU's caches and predictors.
Starts itself under valgrind (about 5 minutes per engine).

    python bench/realworld/count_block_misses.py [--engines baseline,pyrevm] [--blocks 1]
    python bench/realworld/count_block_misses.py --ll 1048576,16,64   # a "last level" the size of an L2

callgrind models two levels (first-level caches and a last level, by default the size of the
machine's last cache); `--ll` sizes the last level as `bytes,ways,line`, so that a last level the
size of the second-level cache counts the misses that go past it.

Columns per transaction: Ir instructions; D1mr+D1mw first-level data cache misses; I1mr
instruction cache misses; LLm last-level misses (instructions and data); Bcm+Bim mispredicted
conditional and indirect branches.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jitvm.bench.counting import DUMP_STATS, OUTPUT_DIR_ENV, ZERO_STATS, InstructionCounter

COLUMNS = {"Ir": ("Ir",), "D1m": ("D1mr", "D1mw"), "I1m": ("I1mr",), "LLm": ("ILmr", "DLmr", "DLmw"),
           "Bm": ("Bcm", "Bim")}


def _rerun_with_simulation(last_level: str | None) -> None:
    """Outside valgrind: run this script under callgrind with cache and branch simulation, exit."""
    if os.environ.get(OUTPUT_DIR_ENV):
        return
    with tempfile.TemporaryDirectory(prefix="jitvm-callgrind-") as directory:
        environment = dict(os.environ, PYTHONHASHSEED="0", **{OUTPUT_DIR_ENV: directory})
        command = [shutil.which("valgrind"), "--tool=callgrind", "--instr-atstart=no", "--dump-instr=no",
                   "--cache-sim=yes", "--branch-sim=yes", *([f"--LL={last_level}"] if last_level else []),
                   f"--callgrind-out-file={directory}/callgrind.out",
                   f"--log-file={directory}/valgrind.log", sys.executable, *sys.argv]
        sys.exit(subprocess.run(command, env=environment).returncode)


class EventCounter(InstructionCounter):
    """InstructionCounter's dumps, read for every simulated event, not only instructions."""

    def events(self) -> dict[str, int]:
        """Each event's count since the last reading."""
        self.request(DUMP_STATS)
        self._dumps += 1
        path = self.directory / f"callgrind.out.{self._dumps}"
        names, totals = [], []
        for line in Path(path).read_text().splitlines():
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith(("totals:", "summary:")):
                totals = [int(value) for value in line.split()[1:]]
                break
        path.unlink()
        self.request(ZERO_STATS)
        return dict(zip(names, totals))


def _per_transaction(counter: EventCounter, session, transactions: int) -> dict[str, float]:
    """The events of the next `transactions` transactions of `session`, per transaction."""
    with counter.measuring():
        counter.events()
        for _ in range(transactions // session.per_call):
            session.run()
        events = counter.events()
    return {column: sum(events.get(name, 0) for name in names) / transactions for column, names in COLUMNS.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="baseline,pyrevm")
    parser.add_argument("--blocks", type=int, default=1)
    parser.add_argument("--ll", default=None, help="the simulated last-level cache: bytes,ways,line size")
    args = parser.parse_args()
    _rerun_with_simulation(args.ll)

    from jitvm.bench import realworld

    counter = EventCounter()
    cycle = [kind for kind in realworld.BLOCK_MIX for _ in range(2 if kind in ("erc20/approve", "uniswap/swap") else 1)]
    transactions = args.blocks * realworld.BLOCK_SIZE
    print(f"{'engine':9} {'where':6} " + " ".join(f"{column:>9}" for column in COLUMNS))
    for engine in args.engines.split(","):
        block = realworld._session("block/1000_mixed", engine)
        parts = {kind: realworld._session(kind, engine) for kind in realworld.BLOCK_MIX}
        for session in (block, *parts.values()):
            for _ in range(2 if session is block else 50):
                session.run()
        if engine in ("jit", "auto"):
            from jitvm.evm.engines import get_engine

            get_engine(engine).settle()
        in_block = _per_transaction(counter, block, transactions)
        in_parts = dict.fromkeys(COLUMNS, 0.0)
        for kind, session in parts.items():
            share = cycle.count(kind) / len(cycle)
            for column, value in _per_transaction(counter, session, max(1, round(transactions * share))).items():
                in_parts[column] += share * value
        for where, row in (("block", in_block), ("parts", in_parts)):
            print(f"{engine:9} {where:6} " + " ".join(f"{row[column]:9.0f}" for column in COLUMNS), flush=True)
        print(f"{engine:9} {'ratio':6} " + " ".join(f"{in_block[c] / in_parts[c] if in_parts[c] else 0:9.2f}"
                                               for c in COLUMNS), flush=True)


if __name__ == "__main__":
    main()
