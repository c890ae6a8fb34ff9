"""The `wasm` group of jitvm bench: MultiversX contracts on the Wasm VM, answers checked, gas counted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from jitvm.bench.wasm_cases import bundled_wasm_cases, find_multiversx


def test_wasm_cases_run_and_answer(tmp_path):
    if find_multiversx() is None:
        pytest.skip("MultiversX test contracts (../shared/fixtures/wasm/multiversx) not found")
    cases = bundled_wasm_cases()
    assert [case.name for case in cases] == ["erc20-rust/transfer", "factorial/10", "factorial/100"]
    out = tmp_path / "wasm.json"
    done = subprocess.run([sys.executable, "-m", "jitvm", "bench", "--quick", "--filter", "wasm", "--json", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(out.read_text())["results"]
    assert {row["workload"] for row in rows} == {case.name for case in cases}
    assert all(row["status"] == "ok" and row["rate_unit"] == "Mgas/s" and row["rate"] > 0 for row in rows)
