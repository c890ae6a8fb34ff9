"""Steady-state times of the BPF and SVM rows of two `jitvm bench --json` runs, side by side: each
jitvm engine's time per call and its ratio to the peer measured in the same run (LiteSVM for the
svm rows, the baseline interpreter for the bpf rows). A script: timing never fails CI.

    jitvm bench --filter bpf/,svm/ --engines jit,baseline,litesvm --json after.json
    python bench/bpf_steady_ratios.py before.json after.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def rows(path: str) -> dict:
    found = {}
    for row in json.loads(Path(path).read_text())["results"]:
        if row["kind"] in ("bpf", "svm") and row.get("median"):
            found[(row["kind"], row["workload"], row["engine"])] = row["median"]
    return found


def main() -> None:
    runs = [rows(path) for path in sys.argv[1:]]
    keys = sorted({key[:2] for run in runs for key in run})
    header = "".join(f" | {Path(path).stem:>10s} jit      ratio" for path in sys.argv[1:])
    print(f"{'workload':28s}{header}   (ratio: jit time / the peer's in the same run)")
    for kind, workload in keys:
        peer = "litesvm" if kind == "svm" else "baseline"
        cells = []
        for run in runs:
            jit, other = run.get((kind, workload, "jit")), run.get((kind, workload, peer))
            cells.append(f" | {jit * 1e6:12.1f} us {jit / other:6.3f}x" if jit and other else f" | {'-':>24s}")
        print(f"{kind + '/' + workload:28s}{''.join(cells)}   vs {peer}")


if __name__ == "__main__":
    main()
