"""Start-up time of the `jitvm` command on every EVM engine: `jitvm run` of a STOP contract and
`jitvm t8n` of an empty block, next to a bare `python -c pass`, in interleaved rounds.

    python bench/startup.py                  # 7 rounds, every engine
    python bench/startup.py --rounds 15 --engines baseline,auto
    python bench/startup.py --compare /work/main      # the same commands on another checkout, interleaved

Each round starts every command once, in a rotating order, so that all of them share the machine's
conditions; the table gives the fastest and the median wall time of each, and of its CPU time (user
+ system, which a loaded machine inflates much less than the wall time). The processes run the
checkout this script sits in (PYTHONPATH) with the caches as they are: run it twice to see the warm
figures. docs/compile-cache.md quotes its output.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("reference", "baseline", "jit", "auto")
STOP = "00"
# A post-merge block with no transactions and no system contracts deployed.
EMPTY_BLOCK_ENV = {
    "currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
    "currentGasLimit": "0x1c9c380",
    "currentNumber": "0x1",
    "currentTimestamp": "0x3e8",
    "currentDifficulty": "0x0",
    "currentRandom": "0x" + "00" * 32,
    "currentBaseFee": "0x7",
    "withdrawals": [],
    "parentBeaconBlockRoot": "0x" + "00" * 32,
}


def commands(engines: list[str], folder: Path) -> dict[str, list[str]]:
    python = sys.executable
    jitvm = [python, "-m", "jitvm"]
    chosen = {"python -c pass": [python, "-c", "pass"], "import jitvm": [python, "-c", "import jitvm"]}
    for engine in engines:
        chosen[f"run STOP --engine {engine}"] = [*jitvm, "run", STOP, "--engine", engine]
        chosen[f"t8n empty block --engine {engine}"] = [
            *jitvm, "t8n", "--input.alloc", str(folder / "alloc.json"), "--input.env", str(folder / "env.json"),
            "--input.txs", str(folder / "txs.json"), "--output.basedir", str(folder), "--engine", engine]
    return chosen


def wall_time(command: list[str], environment: dict[str, str], folder: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run of `command`. The CPU time depends
    much less on what else the machine runs than the wall time does."""
    started = time.perf_counter()
    # From the temporary folder: `python -m` puts the working folder ahead of PYTHONPATH.
    process = subprocess.Popen(command, env=environment, cwd=folder, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--compare", metavar="CHECKOUT", help="also run every command on this checkout")
    args = parser.parse_args()
    trees = {"": ROOT} | ({f" [{args.compare}]": Path(args.compare)} if args.compare else {})
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "alloc.json").write_text("{}")
        (folder / "txs.json").write_text("[]")
        (folder / "env.json").write_text(json.dumps(EMPTY_BLOCK_ENV))
        chosen = {label + suffix: (command, dict(os.environ, PYTHONPATH=str(tree)))
                  for label, command in commands(args.engines.split(","), folder).items()
                  for suffix, tree in trees.items()}
        times: dict[str, list[float]] = {label: [] for label in chosen}
        cpu_times: dict[str, list[float]] = {label: [] for label in chosen}
        labels = list(chosen)
        for round_number in range(args.rounds):
            shift = round_number % len(labels)
            for label in labels[shift:] + labels[:shift]:
                wall, cpu = wall_time(*chosen[label], folder)
                times[label].append(wall)
                cpu_times[label].append(cpu)
    width = max(map(len, labels))
    print(f"machine load (1-minute average) at the end: {os.getloadavg()[0]:.1f}")
    print(f"{'':{width}}  {'wall seconds':^18}  {'CPU seconds':^18}   ({args.rounds} rounds)")
    print(f"{'command':{width}}  {'fastest':>8}  {'median':>8}  {'fastest':>8}  {'median':>8}")
    for label in labels:
        print(f"{label:{width}}  {min(times[label]):8.3f}  {statistics.median(times[label]):8.3f}  "
              f"{min(cpu_times[label]):8.3f}  {statistics.median(cpu_times[label]):8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
