"""Print each workload's time ratio of one engine to another from `jitvm bench --json` files, and
their geometric mean: `python bench/engine_ratios.py results.json [more.json] [--engine baseline]
[--peer pyrevm]`. Several files (repeated runs) are combined by taking each workload's median ratio."""

import argparse
import json
import math
import statistics


def ratios(path: str, engine: str, peer: str) -> dict[str, float]:
    medians: dict[tuple[str, str], float] = {}
    for result in json.load(open(path))["results"]:
        if result.get("status") == "ok":
            medians[result["workload"], result["engine"]] = result["median"]
    workloads = sorted({workload for workload, _ in medians})
    return {workload: medians[workload, engine] / medians[workload, peer] for workload in workloads
            if (workload, engine) in medians and (workload, peer) in medians}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--engine", default="baseline")
    parser.add_argument("--peer", default="pyrevm")
    arguments = parser.parse_args()
    runs = [ratios(path, arguments.engine, arguments.peer) for path in arguments.files]
    combined = {workload: statistics.median(run[workload] for run in runs if workload in run)
                for workload in runs[0]}
    for workload, ratio in combined.items():
        print(f"{workload:40} {ratio:6.3f}x")
    print(f"{'geometric mean':40} {math.exp(statistics.fmean(map(math.log, combined.values()))):6.3f}x")


if __name__ == "__main__":
    main()
