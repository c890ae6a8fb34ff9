"""`jitvm calibrate` measures what it says on a few instructions of each VM (timings are not
asserted: only that gas is charged as the tables say and the report is complete)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jitvm.calibrate import bpf, evm, report, wasm
from jitvm.calibrate.wasm import wat_name
from tests.conftest import FIXTURES


def test_evm_instructions_charge_their_table_gas():
    measured = {m.name: m for m in evm.measure(("baseline",), only={"ADD", "MUL", "PUSH1", "DUP2", "SWAP1", "MSTORE"})}
    assert {name: measured[name].gas for name in ("ADD", "MUL", "PUSH1", "DUP2", "SWAP1")} == {
        "ADD": 3, "MUL": 5, "PUSH1": 3, "DUP2": 3, "SWAP1": 3}
    assert measured["MSTORE"].gas == pytest.approx(3, abs=0.01)  # plus memory expansion, once
    assert all(m.nanoseconds >= 0 and not m.note for m in measured.values())


def test_bpf_instructions_cost_one_unit_each():
    measured = bpf.measure(("baseline", "jit"), only={"add", "mul32", "ldxdw", "stb", "neg"})
    assert len(measured) == 2 * 7  # add and mul32 with an immediate and a register, neg, ldxdw, stb
    assert all(m.gas == 1 and not m.note for m in measured)


@pytest.mark.parametrize("name, text", [("I32Add", "i32.add"), ("I64ExtendI32S", "i64.extend_i32_s"),
                                        ("I32TruncSatF64U", "i32.trunc_sat_f64_u"), ("F32Load", "f32.load"),
                                        ("I64Extend8S", "i64.extend8_s"), ("F64ReinterpretI64", "f64.reinterpret_i64")])
def test_wasm_names_map_to_instructions(name, text):
    assert wat_name(name)[1] == text


def test_wasm_instructions_charge_the_schedule():
    fixtures = FIXTURES if (FIXTURES / "wasm").is_dir() else None
    measured = {m.name: m for m in wasm.measure(fixtures, only={"I64DivS", "F64Sqrt", "I32Load8U", "bigIntAdd"})}
    schedule = wasm._schedule(fixtures)
    assert measured["F64Sqrt"].gas == pytest.approx(schedule.opcodes["F64Sqrt"], abs=0.5)
    assert measured["I64DivS"].gas == pytest.approx(schedule.opcodes["I64DivS"], abs=0.5)
    assert measured["bigIntAdd"].gas >= schedule.api_cost("BigIntAdd")


def test_summary_finds_the_most_underpriced():
    items = [evm.Measurement("x", "cheap", "instruction", 1.0, 10.0), evm.Measurement("x", "dear", "instruction", 50.0, 5.0),
             evm.Measurement("x", "work", "workload", 2000.0, 1000.0)]
    summary = report.summarize(items)["x"]
    assert summary["underpriced"][0]["name"] == "dear"
    assert summary["fit_ns_per_gas"] == pytest.approx(2.0)


def test_command_line_writes_json(tmp_path):
    out = tmp_path / "calibration.json"
    done = subprocess.run([sys.executable, "-m", "jitvm", "calibrate", "--vm", "bpf", "--bpf-engines", "baseline",
                           "--only", "add,xor", "--quick", "--json", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert "bpf/baseline" in document["summary"] and document["measurements"]
    bad = subprocess.run([sys.executable, "-m", "jitvm", "calibrate", "--evm-engines", "warp"], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "unknown engine 'warp'" in bad.stderr
