"""Issue 14's tiering bar per workload: the jit and auto engines' time over the baseline's, from
`jitvm bench --json` runs that timed all three side by side (several files: each ratio is the median).

    jitvm bench --engines baseline,jit,auto --filter evm/ --json tiering.json
    python bench/tiering_ratios.py tiering.json [more.json ...] [--tolerance 0.03]

The bar: neither engine slower than the baseline on any workload. A ratio within `--tolerance` of 1
is reported as "even" (times repeat to a few percent at best on a quiet machine); the exit status is
1 if any ratio is above 1 + tolerance.
"""

import argparse
import math
import statistics
import sys

from engine_ratios import ratios  # this script's folder is on sys.path

ENGINES = ("jit", "auto")


def verdict(ratio: float, tolerance: float) -> str:
    if ratio > 1 + tolerance:
        return "SLOWER"
    return "even" if ratio > 1 - tolerance else "faster"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--tolerance", type=float, default=0.03, help="ratios within 1 +- this are even (0.03)")
    arguments = parser.parse_args()
    combined = {}
    for engine in ENGINES:
        runs = [ratios(path, engine, "baseline") for path in arguments.files]
        workloads = sorted(set().union(*runs))
        combined[engine] = {workload: statistics.median(run[workload] for run in runs if workload in run)
                            for workload in workloads}
    workloads = sorted(set().union(*(combined[engine] for engine in ENGINES)))
    print(f"{'workload':44} {'jit/baseline':>18} {'auto/baseline':>18}")
    failed = False
    for workload in workloads:
        cells = []
        for engine in ENGINES:
            ratio = combined[engine].get(workload)
            if ratio is None:
                cells.append(f"{'-':>18}")
                continue
            failed |= ratio > 1 + arguments.tolerance
            cells.append(f"{ratio:7.3f} {verdict(ratio, arguments.tolerance):>10}")
        print(f"{workload:44} {' '.join(cells)}")
    means = [math.exp(statistics.fmean(map(math.log, combined[engine].values()))) if combined[engine] else math.nan
             for engine in ENGINES]
    print(f"{'geometric mean':44} {means[0]:7.3f}{'':11} {means[1]:7.3f}")
    print("bar: every ratio at most 1 (within the tolerance):", "missed" if failed else "met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
