"""The EVM benchmark workloads bundled in jitvm/bench/data/evm/benchmarks (copied from the shared
fixtures, with their license): contracts, inputs, and what each input must return (output, and gas
where the fixture records it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jitvm.errors import InputError, parse_hex

# Laid out as the shared fixtures folder is (evm/benchmarks, bpf/bench), so --fixtures DIR can
# point at either; it ships inside the wheel, so `jitvm bench` runs from any folder.
BUNDLED_DATA = Path(__file__).resolve().parent / "data"
BENCHMARKS_DIR = BUNDLED_DATA / "evm" / "benchmarks"

MAIN_BENCHMARKS = (
    "snailtracer", "blake2b_huff", "blake2b_shifts", "sha1_divs", "sha1_shifts",
    "weierstrudel", "structarray_alloc", "swap_math",
)


@dataclass(frozen=True, slots=True)
class EvmWorkload:
    contract: str
    group: str  # main, micro or analysis
    input_name: str
    code: bytes
    calldata: bytes
    expected_output: bytes
    expected_gas: int | None  # gas charged inside the call, when the fixture records it

    @property
    def name(self) -> str:
        return f"{self.contract}/{self.input_name}"


def load_benchmarks(directory: Path = BENCHMARKS_DIR) -> list[EvmWorkload]:
    if not directory.is_dir():
        raise InputError(str(directory), "benchmark fixtures not found")
    workloads = []
    for path in sorted(directory.glob("*.json")):
        try:
            document = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise InputError(str(path), f"malformed JSON: {exc.msg} at line {exc.lineno}") from None
        code = parse_hex(document["code_hex"], f"{path}: code_hex")
        for entry in document["inputs"]:
            where = f"{path}: inputs.{entry.get('name', '?')}"
            workloads.append(EvmWorkload(
                contract=document["name"],
                group=document.get("group", ""),
                input_name=entry["name"],
                code=code,
                calldata=parse_hex(entry["calldata_hex"], f"{where}.calldata_hex"),
                expected_output=parse_hex(entry["expected_output_hex"], f"{where}.expected_output_hex"),
                expected_gas=entry.get("expected_exec_gas_cancun"),
            ))
    return workloads
