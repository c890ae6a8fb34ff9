"""Per workload of one or more `jitvm bench --engines baseline,jit --json` files: the JIT's time per call
over the baseline's in the same run, and the geometric mean (a script for judging steady-state speed
on a loaded machine, where only ratios taken in one run mean something).

    python bench/jit_baseline_ratios.py after.json [before.json ...]
"""

from __future__ import annotations

import json
import math
import sys


def ratios(path: str) -> dict[str, float]:
    rows: dict[str, dict[str, float]] = {}
    for row in json.load(open(path))["results"]:
        if row.get("median"):
            rows.setdefault(row["workload"], {})[row["engine"]] = row["median"]
    return {workload: engines["jit"] / engines["baseline"] for workload, engines in rows.items()
            if "jit" in engines and "baseline" in engines}


def main() -> None:
    tables = [ratios(path) for path in sys.argv[1:]]
    workloads = sorted(set().union(*tables))
    print(f"{'workload':40s}" + "".join(f" {path[-24:]:>24s}" for path in sys.argv[1:]))
    for workload in workloads:
        print(f"{workload:40s}" + "".join(f" {table.get(workload, math.nan):24.3f}" for table in tables))
    means = [math.exp(sum(math.log(value) for value in table.values()) / len(table)) for table in tables]
    print(f"{'geometric mean jit/baseline':40s}" + "".join(f" {mean:24.3f}" for mean in means))


if __name__ == "__main__":
    main()
