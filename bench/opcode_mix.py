"""Count the instructions a bundled benchmark workload executes, by opcode (from the reference
engine's EIP-3155 trace): `python bench/opcode_mix.py blake2b_huff 2805nulls`. For finding which
handlers of the baseline kernel matter to a workload."""

import collections
import json
import subprocess
import sys
import tempfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "jitvm" / "bench" / "data" / "evm" / "benchmarks"


def main() -> None:
    contract, input_name = sys.argv[1], sys.argv[2]
    fixture = json.loads((FIXTURES / f"{contract}.json").read_text())
    calldata = next(item["calldata_hex"] for item in fixture["inputs"] if item["name"] == input_name)
    with tempfile.NamedTemporaryFile("w", suffix=".hex") as code_file:  # too long for an argument
        code_file.write(fixture["code_hex"])
        code_file.flush()
        trace = subprocess.run([sys.executable, "-m", "jitvm", "run", "--engine", "reference", "--trace",
                                "--input", calldata, code_file.name], capture_output=True, text=True,
                               check=True).stderr
    counts = collections.Counter(json.loads(line).get("opName") for line in trace.splitlines()
                                 if line.startswith("{") and '"opName"' in line)
    total = sum(counts.values())
    for name, count in counts.most_common(25):
        print(f"{name:14} {count:9,} {100 * count / total:5.1f}%")
    print(f"{'total':14} {total:9,}")


if __name__ == "__main__":
    main()
