"""Two callgrind profiles of the same work on two engines (callgrind_profile.py, or
steady_frame_costs.py --profile), compared per C function (own instructions per call, the largest
differences first): what one engine runs more than the other, down to the interpreter's functions.

    python bench/realworld/diff_profiles.py --calls 50 baseline.cg jit.cg [auto.cg ...]

Compiled code and the Numba kernel have no symbols: they show as ???:address, at other addresses
in each process, so equal work appears as a +N/-N pair. CPython's eval loop shows under the name
callgrind gives it (in a 3.11 build, `ceval.c:_PyObject_MakeTpCall`).
"""

from __future__ import annotations

import argparse
import re
import subprocess


def own_counts(path: str) -> tuple[int, dict[str, int]]:
    """(total instructions, own instructions per function) of a callgrind profile."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100", path], capture_output=True, text=True,
                         check=True).stdout
    counts: dict[str, int] = {}
    total = 0
    for line in out.splitlines():
        match = re.match(r"\s*([\d,]+) \([\s\d.]+%\)\s+(.*)", line)
        if not match:
            continue
        count, name = int(match.group(1).replace(",", "")), match.group(2)
        if "PROGRAM TOTALS" in name:
            total = count
            continue
        name = re.sub(r" \[.*\]$", "", re.sub(r"^/tmp/python-build[^ ]*?Python-[\d.]+/", "", name))
        counts[name] = counts.get(name, 0) + count
    return total, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("others", nargs="+")
    parser.add_argument("--calls", type=int, required=True, help="calls the profiles cover (to divide by)")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    base_total, base = own_counts(args.base)
    for other in args.others:
        total, counts = own_counts(other)
        print(f"{other}: {(total - base_total) / args.calls:+,.1f} instructions per call "
              f"({total / args.calls:,.0f} against {base_total / args.calls:,.0f})")
        rows = [((counts.get(name, 0) - base.get(name, 0)) / args.calls, name) for name in set(base) | set(counts)]
        for difference, name in sorted(rows, key=lambda row: -abs(row[0]))[:args.top]:
            if difference:
                print(f"  {difference:+10,.1f}  {name[:140]}")


if __name__ == "__main__":
    main()
