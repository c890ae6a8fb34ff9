"""The many-contracts measurement: its contracts are distinct and real-size, and a small run checks
every engine against the baseline (and the reference) without failing."""

from __future__ import annotations

from jitvm.bench import many_contracts
from jitvm.evm.calls import call_code


def test_contracts_are_distinct_real_size_and_run():
    contracts = many_contracts.workload(40, 2)
    codes = [code for code, _ in contracts]
    assert len(set(codes)) == 40
    assert all(1_000 <= len(code) <= 24_576 for code in codes)
    outcomes = [call_code(code, calldata, gas=many_contracts.GAS) for code, calls in contracts[:5] for calldata in calls]
    assert all(outcome.is_success for outcome in outcomes)
    assert any(outcome.gas_used > 5_000 for outcome in outcomes)


def test_small_run_agrees(tmp_path, capsys):
    assert many_contracts.main(["--contracts", "12", "--calls", "2", "--json", str(tmp_path / "out.json")]) == 0
    printed = capsys.readouterr().out
    assert "jit, warm cache" in printed and "auto" in printed
