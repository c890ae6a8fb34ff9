"""How far the regression gate can be trusted: false positives on unchanged reruns, and detection of
slowdowns injected with JITVM_BENCH_SLOWDOWN, for one timer (cpu time or instruction counts).

    python bench/gate_study.py --timer cpu --runs 20 --out /tmp/gate-cpu
    python bench/gate_study.py --timer instructions --runs 20 --out /tmp/gate-count

Each rerun is a separate `jitvm bench --compare BASELINE --max-regression 5%` process (so the gate
times suspect workloads again at 5%, as a user's CI would); its --json holds every sample, including
those extra rounds, and is judged again offline at 10% with jitvm.bench.compare. The extra rounds
at 5% cover every row that would get them at 10% (a row not `ok` at 10% is not `ok` at 5%), so the
10% figures use at least the data a 10% gate would have had.

Prints a markdown table: per scenario (unchanged, jit slowed 10%, jit slowed 25%) and threshold,
how many runs the gate failed, and how many rows it called regressed or inconclusive.

Scenarios can run as separate processes sharing one baseline (--scenario NAME --baseline FILE), and
--summarize tallies every results file in --out afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from jitvm.bench.compare import compare

WORKLOADS = "sha1_divs/empty,fnv1a/small"
SCENARIOS = (("unchanged", ""), ("jit slowed 10%", "jit=1.10"), ("jit slowed 25%", "jit=1.25"))
THRESHOLDS = (0.05, 0.10)
OUT = Path.cwd()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timer", choices=("cpu", "wall", "instructions"), default="cpu")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--filter", default=WORKLOADS)
    parser.add_argument("--engines", help="default: jit and baseline, plus the normalizers when timing")
    parser.add_argument("--out", required=True, help="folder for the results files")
    parser.add_argument("--scenario", choices=[name for name, _ in SCENARIOS], action="append",
                        help="run only these scenarios (default: all)")
    parser.add_argument("--baseline", help="an existing baseline results file (default: record one)")
    parser.add_argument("--summarize", action="store_true", help="only tally the results files in --out")
    args = parser.parse_args()
    engines = args.engines or ("jit,baseline" if args.timer == "instructions" else "jit,baseline,pyrevm,reference")
    global OUT
    out = OUT = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    import jitvm

    print(f"jitvm from {Path(jitvm.__file__).parent}", file=sys.stderr)
    common = [sys.executable, "-m", "jitvm", "bench", "--quick", "--timer", args.timer,
              "--filter", args.filter, "--engines", engines]
    baseline = Path(args.baseline) if args.baseline else out / "baseline.json"
    if not args.baseline and not args.summarize:
        _bench(common + ["--json", str(baseline)], "")
    base = json.loads(baseline.read_text())

    if not args.summarize:
        for scenario, slowdown in SCENARIOS:
            if args.scenario and scenario not in args.scenario:
                continue
            for index in range(args.runs):
                result = out / f"{_file_name(scenario)}_{index:02d}.json"
                status = _bench(common + ["--json", str(result), "--compare", str(baseline),
                                          "--max-regression", "5%"], slowdown)
                print(f"{scenario} #{index}: exit {status}", file=sys.stderr, flush=True)
    tally = {}
    for scenario, _ in SCENARIOS:
        for result in sorted(out.glob(f"{_file_name(scenario)}_*.json")):
            document = json.loads(result.read_text())
            for threshold in THRESHOLDS:
                comparison = compare(base, document, threshold)
                entry = tally.setdefault((scenario, threshold), {"runs": 0, "failed": 0,
                                                                 "rows": 0, "regressed": 0, "inconclusive": 0})
                entry["runs"] += 1
                entry["failed"] += bool(comparison.regressions)
                entry["rows"] += len(comparison.rows)
                entry["regressed"] += len(comparison.regressions)
                entry["inconclusive"] += len(comparison.inconclusive)
    (out / "tally.json").write_text(json.dumps({f"{s}@{t}": v for (s, t), v in tally.items()}, indent=1))
    print(f"timer {args.timer}; workloads {args.filter}; engines {engines}\n")
    print("| scenario | threshold | runs failing the gate | rows regressed | rows inconclusive |")
    print("|---|---:|---:|---:|---:|")
    for (scenario, threshold), entry in tally.items():
        print(f"| {scenario} | {threshold * 100:g}% | {entry['failed']} / {entry['runs']} | "
              f"{entry['regressed']} / {entry['rows']} | {entry['inconclusive']} / {entry['rows']} |")
    return 0


def _file_name(scenario: str) -> str:
    return scenario.replace(" ", "_").replace("%", "")


def _bench(command: list[str], slowdown: str) -> int:
    environment = dict(os.environ)
    environment.pop("JITVM_BENCH_SLOWDOWN", None)
    if slowdown:
        environment["JITVM_BENCH_SLOWDOWN"] = slowdown
    # Run in the results folder: a `jitvm` folder in the caller's directory must not shadow the package.
    done = subprocess.run(command, env=environment, capture_output=True, text=True, cwd=OUT)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
