"""The CI regression recipe, end to end on a tiny workload: record a baseline, compare an unchanged
run with it (passes), then a run in which an engine is made 5x slower on purpose (caught, exit 1).

    python examples/ci_regression_recipe.py

In CI the baseline comes from the target branch and the comparison runs on the change; see
"CI regression recipe" in bench/README.md for the GitHub Actions workflow.
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def fibonacci(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % 2**256
    return a


# A user workload: 2,000 steps of the Fibonacci loop of examples/evm_compare_engines.py.
WORKLOAD = {"workloads": [{
    "kind": "evm",
    "name": "fibonacci-2000",
    "code": "0x60003560006001" "5b82156019578091019160019003916007565b50600052" "60206000f3",
    "calldata": "0x" + (2000).to_bytes(32, "big").hex(),
    "expected_output": "0x" + fibonacci(2000).to_bytes(32, "big").hex(),
}]}


def bench(*arguments: str, slowdown: str | None = None) -> int:
    command = ["jitvm", "bench", *arguments]
    print("$", " ".join(command) if slowdown is None else f"JITVM_BENCH_SLOWDOWN={slowdown} " + " ".join(command))
    environment = dict(os.environ, COLUMNS="120")
    if slowdown:
        environment["JITVM_BENCH_SLOWDOWN"] = slowdown
    done = subprocess.run([sys.executable, "-m", "jitvm", "bench", *arguments], env=environment,
                          capture_output=True, text=True)
    wanted = ("REGRESSION", "no regression", "nothing", "results written")
    verdicts = [line for line in done.stdout.splitlines() if line.startswith(wanted)]
    for line in verdicts or done.stdout.splitlines()[-3:] + done.stderr.splitlines()[-3:]:
        print("   ", line)
    print(f"    exit status {done.returncode}")
    return done.returncode


def main():
    # Ratios to pyrevm, measured in the same run, are what is compared; without pyrevm, absolute times.
    peer = importlib.util.find_spec("pyrevm") is not None
    engines = "reference,pyrevm" if peer else "reference"
    with tempfile.TemporaryDirectory() as folder:
        workload, baseline = Path(folder, "workload.json"), Path(folder, "baseline.json")
        workload.write_text(json.dumps(WORKLOAD))
        common = ["--workload", str(workload), "--engines", engines, "--repeat", "7", "--budget", "2"]
        if not peer:
            common += ["--normalize-to", "none"]
        assert bench(*common, "--json", str(baseline)) == 0
        print(f"    baseline: {len(json.loads(baseline.read_text())['results'])} timings in {baseline.name}")
        gate = ["--compare", str(baseline), "--max-regression", "50%"]
        assert bench(*common, *gate) == 0, "an unchanged run must pass"
        # 5x, far past the 50% gate: under CI's load a 3x slowdown measured +149..+193% here and once
        # came out inconclusive (its interval reached down to 50%), which failed CI.
        assert bench(*common, *gate, slowdown="reference=5") == 1, "a 5x slower engine must be caught"
    print("the gate passes an unchanged run and catches a slowed engine")


if __name__ == "__main__":
    main()
