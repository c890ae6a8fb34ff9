"""Time every state-test file in one process: where a `jitvm statetest` run spends its time.

    python bench/distributed/statetest_file_times.py ../shared/fixtures/evm/GeneralStateTests \
        --engine auto --out runs/file-times.json

Prints the slowest files and the share of the total they take (a long tail limits how well a run
splits over workers); writes {path: [seconds, cases]} for the task scheduler's size estimates.
"""

from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--fork")
    parser.add_argument("--out")
    options = parser.parse_args()

    from jitvm.cli.statetest import _run_file
    from jitvm.evm.statetest import find_test_files

    args = argparse.Namespace(engine=options.engine, fork=options.fork, name=None, index=None, trace=False)
    times = {}
    started = time.perf_counter()
    for path in find_test_files(options.paths):
        begin = time.perf_counter()
        rows, _ = _run_file((path, args))
        times[str(path)] = [time.perf_counter() - begin, len(rows)]
    total = time.perf_counter() - started
    ranked = sorted(times.items(), key=lambda item: -item[1][0])
    print(f"{len(times)} files, {sum(c for _, c in times.values())} cases, {total:.1f} s")
    running = 0.0
    for path, (seconds, cases) in ranked[:25]:
        running += seconds
        print(f"{seconds:8.2f} s {cases:6d} cases  {running / total:6.1%}  {path}")
    if options.out:
        with open(options.out, "w") as handle:
            json.dump(times, handle, indent=0)


if __name__ == "__main__":
    main()
