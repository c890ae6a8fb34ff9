"""`jitvm fuzz` against engines broken on purpose: the bug is found, shrunk, and written as a file that
replays it; against the engines as they are, it finds nothing."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from jitvm.cli.main import main
from jitvm.evm.opcodes import opcode_table
from jitvm.fuzz import campaign
from jitvm.fuzz.evm_programs import OP

SHL = OP["SHL"]


@pytest.fixture
def baseline_charges_4_for_shl(monkeypatch):
    """The EVM baseline with SHL's static gas 4 instead of 3 (one number in its dispatch table)."""
    from jitvm.evm.baseline import layout

    original = layout.dispatch_table

    @functools.cache  # like the real one: frame buffers keep a table while it is the same object
    def broken(fork):
        table = np.array(original(fork))
        table[layout.STATIC_GAS, SHL] += 1
        table.setflags(write=False)
        return table

    monkeypatch.setattr(layout, "dispatch_table", broken)
    assert opcode_table("Cancun").by_name["SHL"].static_gas == 3


@pytest.fixture
def bpf_baseline_misreads_immediate_7(monkeypatch):
    """The BPF baseline lowering an immediate operand 7 as 8."""
    from jitvm.bpf.baseline import layout

    original = layout.immediate
    monkeypatch.setattr(layout, "immediate", lambda step: 8 if original(step) == 7 else original(step))
    layout.lower.cache_clear()
    yield
    layout.lower.cache_clear()


def _only_baseline(target: str, count: int, first: int = 0) -> campaign.BatchResult:
    spec = campaign.BatchSpec(target, first, count, engines=("baseline",), peers=(), shrink=True)
    return campaign.run_batch(spec)


def test_evm_gas_bug_is_found_and_shrunk(baseline_charges_4_for_shl, tmp_path):
    from jitvm.evm.statetest import load_cases, run_case
    from jitvm.evm.engines import get_engine
    from jitvm.fuzz.evm_check import jitvm_outcome
    from jitvm.fuzz.reproducers import write_evm

    result = _only_baseline("evm", 40)
    assert result.found, "the broken SHL gas went unnoticed"
    found = result.found[0]
    assert {m.engine for m in found.mismatches} == {"baseline"}
    assert found.minimized_pieces < found.original_pieces and found.minimized_pieces <= 3
    codes = found.minimized.codes()
    assert any(SHL in code for code in codes)
    # The shrunk case still differs, and only by the gas SHL costs.
    expected, actual = jitvm_outcome(found.minimized, "reference"), jitvm_outcome(found.minimized, "baseline")
    assert expected != actual
    # The reproducer replays as a state test: the reference passes it, the broken baseline fails it.
    path = write_evm(found.minimized, found.mismatches, tmp_path, "shl")
    (case,) = load_cases(path)
    assert run_case(case).passed
    assert not run_case(case, engine=get_engine("baseline")).passed
    info = json.loads(path.read_text())["shl"]["_info"]
    assert info["mismatches"][0]["engine"] == "baseline"


def test_bpf_immediate_bug_is_found_and_shrunk(bpf_baseline_misreads_immediate_7, tmp_path):
    from jitvm.bpf.conformance import check_test, load_test
    from jitvm.fuzz.reproducers import write_bpf

    result = _only_baseline("bpf", 300)
    assert result.found, "the misread immediate went unnoticed"
    for item in result.found:
        if item.minimized.mutation is not None:
            continue  # a mutated word is kept as found (its position depends on every piece)
        assert {m.engine for m in item.mismatches} == {"baseline"}
        assert item.minimized_pieces < item.original_pieces and item.minimized_pieces <= 3
        assert ", 7\n" in item.minimized.assembly()
    # A .data file states r0 or the error only (a difference in memory alone is in its notes).
    found = next(item for item in result.found if {"r0", "error"} & set(item.mismatches[0].fields))
    path = write_bpf(found.minimized, found.mismatches, tmp_path, "imm7")
    test = load_test(path)
    assert check_test(test, engine="reference").passed
    assert not check_test(test, engine="baseline").passed


def test_cli_exits_1_and_writes_reproducers_that_replay(baseline_charges_4_for_shl, tmp_path, capsys):
    status = main(["fuzz", "evm", "--count", "40", "--batch", "20", "--engine", "baseline", "--no-pyrevm",
                   "--out", str(tmp_path)])
    assert status == 1
    written = sorted(tmp_path.glob("evm-*.json"))
    assert written
    output = capsys.readouterr().out
    assert "MISMATCH" in output and str(written[0]) in output
    # `jitvm fuzz replay` runs the multi-contract reproducer on every engine: the broken one disagrees.
    assert main(["fuzz", "replay", str(written[0]), "--no-pyrevm"]) == 1
    replayed = capsys.readouterr().out
    assert "no: gas_used" in replayed and replayed.count("yes") == 1  # jit agrees ("auto" starts on the baseline)


def test_replay_of_a_sound_case_agrees_everywhere(tmp_path, capsys):
    from jitvm.fuzz.evm_programs import generate_case
    from jitvm.fuzz.replay import case_from_state_test
    from jitvm.fuzz.reproducers import write_evm
    from jitvm.evm.statetest import load_cases

    case = next(generate_case(seed) for seed in range(100) if len(generate_case(seed).contracts) > 2)
    path = write_evm(case, [], tmp_path, "sound")
    assert case_from_state_test(next(load_cases(path))).codes() == case.codes()
    assert main(["fuzz", "replay", str(path)]) == 0
    assert "no:" not in capsys.readouterr().out
    other = fixture_state_test()
    assert main(["fuzz", "replay", str(other)]) == 2
    assert "not a reproducer" in capsys.readouterr().err


def fixture_state_test():
    from tests.conftest import fixture_path

    return fixture_path("evm", "GeneralStateTests", "stExample", "add11.json")


def test_cli_finds_nothing_on_sound_engines(tmp_path, capsys):
    for target in ("evm", "bpf"):
        assert main(["fuzz", target, "--count", "15", "--seed", "3", "--out", str(tmp_path)]) == 0
        output = capsys.readouterr().out
        assert "15 programs" in output and "0 mismatches" in output
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("arguments, option", [
    (["--count", "0"], "--count"), (["--time", "-1"], "--time"), (["--engine", "fast"], "--engine"),
    (["--dask", "nowhere"], "--dask"),
])
def test_bad_options_are_one_line_errors(arguments, option, capsys):
    assert main(["fuzz", "evm", *arguments]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and option in error
