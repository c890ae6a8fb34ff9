"""What one precompile call costs: microseconds per call of jitvm.evm.precompiles.run_precompile (the
price computed, the input decoded and checked, the work done), on the published vectors.

    python bench/precompiles/measure.py [--samples 7] [--oracle]

Each case's output and gas are checked against its vector before it is timed. A sample is a batch of
calls lasting at least --min-sample seconds; the figure is the median sample divided by its calls,
in CPU time of this process (other load on a shared machine counts less). --oracle also times
ethereum-execution's implementation (py_ecc for BLS12-381, pure Python) on the same input, once.
Prints a markdown table (docs/precompiles.md holds one).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from jitvm.evm.precompiles import bn254, run_precompile

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "evm" / "precompiles"
PLENTY = 10**12
# Precompiles that remember answers by input (state tests repeat inputs): emptied before every timed
# call, or the figure would be a dictionary lookup.
ANSWER_CACHES = {0x08: bn254._pairing_product_is_one}

# (label, vector file, which vector: None for the first, a name, or an input length in bytes, address, fork)
CASES = [
    ("ECRECOVER", "ecRecover", "ValidKey", 0x01, "Osaka"),
    ("MODEXP (EIP-7883), 64-byte operands, exponent 3", "modexp_eip7883", "nagydani-1-qube", 0x05, "Osaka"),
    ("MODEXP (EIP-7883), 512-byte operands, exponent 65537", "modexp_eip7883", "nagydani-5-pow0x10001", 0x05, "Osaka"),
    ("BN254 ECADD", "bn256Add", None, 0x06, "Osaka"),
    ("BN254 ECMUL", "bn256ScalarMul", None, 0x07, "Osaka"),
    ("BN254 ECPAIRING, 2 pairs", "bn256Pairing", "jeff1", 0x08, "Osaka"),
    ("POINT_EVALUATION", "pointEvaluation", None, 0x0A, "Osaka"),
    ("BLS12_G1ADD", "blsG1Add", None, 0x0B, "Prague"),
    ("BLS12_G1MSM, 1 pair", "blsG1Mul", "bls_g1mul_random*g1_unnormalized_scalar", 0x0C, "Prague"),
    ("BLS12_G1MSM, 16 pairs", "blsG1MultiExp", "matter_g1_multiexp_0", 0x0C, "Prague"),
    ("BLS12_G1MSM, 128 pairs", "blsG1MultiExp", 128 * 160, 0x0C, "Prague"),
    ("BLS12_G2ADD", "blsG2Add", None, 0x0D, "Prague"),
    ("BLS12_G2MSM, 1 pair", "blsG2Mul", "bls_g2mul_random*g2_unnormalized_scalar", 0x0E, "Prague"),
    ("BLS12_G2MSM, 16 pairs", "blsG2MultiExp", "matter_g2_multiexp_0", 0x0E, "Prague"),
    ("BLS12_G2MSM, 128 pairs", "blsG2MultiExp", 128 * 288, 0x0E, "Prague"),
    ("BLS12_PAIRING_CHECK, 1 pair", "blsPairing", 384, 0x0F, "Prague"),
    ("BLS12_PAIRING_CHECK, 2 pairs", "blsPairing", 768, 0x0F, "Prague"),
    ("BLS12_PAIRING_CHECK, 10 pairs", "blsPairing", 3840, 0x0F, "Prague"),
    ("BLS12_MAP_FP_TO_G1", "blsMapG1", None, 0x10, "Prague"),
    ("BLS12_MAP_FP2_TO_G2", "blsMapG2", None, 0x11, "Prague"),
    ("P256VERIFY, valid signature", "p256Verify", None, 0x100, "Osaka"),
]


def vector(file: str, which: str | int | None) -> dict:
    vectors = json.loads((VECTORS / f"{file}.json").read_text())
    if which is None:
        return vectors[0]
    if isinstance(which, int):
        matches = [v for v in vectors if len(v["Input"]) // 2 == which]
    else:
        matches = [v for v in vectors if v["Name"] == which]
    if not matches:
        raise SystemExit(f"{file}.json: no vector {which!r}")
    return matches[0]


def median_seconds_per_call(function, samples: int, min_sample: float) -> float:
    function()  # warm-up: imports, setup files, caches
    calls = 1
    while True:  # find a batch size that lasts at least min_sample
        start = time.process_time()
        for _ in range(calls):
            function()
        if time.process_time() - start >= min_sample:
            break
        calls *= 2
    times = []
    for _ in range(samples):
        start = time.process_time()
        for _ in range(calls):
            function()
        times.append((time.process_time() - start) / calls)
    return statistics.median(times)


def timed_call(address: int, data: bytes, fork: str):
    cache = ANSWER_CACHES.get(address)

    def call():
        if cache is not None:
            cache.cache_clear()
        run_precompile(address, data, PLENTY, fork)

    return call


def oracle_seconds(address: int, data: bytes, fork: str) -> float:
    from tests.evm.precompile_oracle import reference_run

    start = time.process_time()
    reference_run(address, data, PLENTY, fork)
    return time.process_time() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--min-sample", type=float, default=0.05, help="seconds")
    parser.add_argument("--oracle", action="store_true", help="also time ethereum-execution once per case")
    args = parser.parse_args(argv)
    header = "| precompile | input bytes | gas | µs per call | gas per µs |"
    rule = "|---|---:|---:|---:|---:|"
    if args.oracle:
        header += " ethereum-execution µs |"
        rule += "---:|"
    print(header)
    print(rule)
    for label, file, which, address, fork in CASES:
        case = vector(file, which)
        data = bytes.fromhex(case["Input"])
        expected = (bytes.fromhex(case["Expected"]), case["Gas"])
        got = run_precompile(address, data, PLENTY, fork)
        if got != expected:
            print(f"{label}: WRONG ANSWER {got} (expected {expected}); not timed", file=sys.stderr)
            return 1
        seconds = median_seconds_per_call(timed_call(address, data, fork), args.samples, args.min_sample)
        micros = seconds * 1e6
        row = f"| {label} | {len(data)} | {case['Gas']} | {micros:,.1f} | {case['Gas'] / micros:,.1f} |"
        if args.oracle:
            row += f" {oracle_seconds(address, data, fork) * 1e6:,.0f} |"
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
