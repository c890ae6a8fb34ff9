"""What a statetest run's file durations allow on N workers: the wall time of handing the files out
in file order and longest first (each file to the first free worker), against one process.

    python bench/distributed/schedule_estimate.py runs/file-times-auto.json --workers 2

Reads {path: [seconds, cases]} (statetest_file_times.py --out) or a duration history file. Ignores
start-up and scheduling overheads: the bound that a quiet machine's measurement approaches.
"""

from __future__ import annotations

import argparse
import heapq
import json


def makespan(durations: list[float], workers: int) -> float:
    free = [0.0] * workers
    for seconds in durations:
        heapq.heappush(free, heapq.heappop(free) + seconds)
    return max(free)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("times")
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    found = json.load(open(options.times))
    durations = [value[0] if isinstance(value, list) else value for value in found.values()]
    total = sum(durations)
    for name, order in (("file order", durations), ("longest first", sorted(durations, reverse=True))):
        wall = makespan(order, options.workers)
        print(f"{name:14s}: {wall:7.1f} s on {options.workers} workers, one process {total:.1f} s: "
              f"{total / wall:.2f}x (longest task {max(durations):.1f} s)")


if __name__ == "__main__":
    main()
