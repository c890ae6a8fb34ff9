"""`jitvm statetest` with `-j 1` and then with `--dask local:N`, back to back: wall times, their ratio,
and whether the JSON reports are identical.

    python bench/distributed/statetest_scaling.py ../shared/fixtures/evm/GeneralStateTests --repeat 1

The `-j 1` run goes first and records every file's duration (jitvm.distributed.durations), so the
Dask run hands out the longest files first, as any later run on the machine would. Extra arguments
after `--` go to both runs (e.g. `-- --engine baseline --fork Cancun`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import time


def timed(command: list[str], env: dict) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, completed.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--durations", default="runs/statetest-durations.json",
                        help="the duration history both runs use (default runs/statetest-durations.json)")
    options, extra = parser.parse_known_args()
    extra = [argument for argument in extra if argument != "--"]
    env = {**os.environ, "JITVM_DURATIONS_FILE": options.durations}
    base = [sys.executable, "-m", "jitvm", "statetest", *options.paths, "--json", *extra]
    for round_number in range(1, options.repeat + 1):
        local_wall, local_cpu, local_json = timed([*base, "-j", "1"], env)
        dask_wall, dask_cpu, dask_json = timed([*base, "--dask", f"local:{options.workers}"], env)
        same = hashlib.sha256(local_json.encode()).digest() == hashlib.sha256(dask_json.encode()).digest()
        print(f"round {round_number}: -j 1 {local_wall:.1f} s (CPU {local_cpu:.1f} s), --dask local:{options.workers} "
              f"{dask_wall:.1f} s (CPU {dask_cpu:.1f} s, workers included): {local_wall / dask_wall:.2f}x; "
              f"JSON {'identical' if same else 'DIFFERENT'}", flush=True)


if __name__ == "__main__":
    main()
