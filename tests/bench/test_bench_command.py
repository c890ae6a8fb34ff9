"""`jitvm bench` end to end on tiny workloads: the table, the JSON file (checked against the shipped
schema), the chart, wrong answers, missing fixtures and Ctrl-C."""

import json

import pytest

import jitvm.bench.harness as harness
from jitvm.bench import wasm_cases
from jitvm.bench.results import SCHEMA_PATH, load_schema, validate_results
from jitvm.bench.schema import SchemaError, validate
from jitvm.cli.main import main

from .helpers import bpf_length, evm_answer, write_workloads

FAST = ["--repeat", "2", "--budget", "0.05"]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


def test_runs_user_workloads_and_writes_json_that_follows_the_schema(tmp_path, capsys):
    workloads = write_workloads(tmp_path, evm_answer(), bpf_length())
    results = tmp_path / "results.json"
    # A budget no loaded machine spends on two tiny calls: `--repeat 2` alone decides the sample count.
    settings = ["--repeat", "2", "--budget", "60"]
    assert main(["bench", "--workload", str(workloads), "--engines", "reference", *settings, "--json", str(results)]) == 0
    out = capsys.readouterr().out
    assert "EVM workloads" in out and "BPF workloads" in out and "answer" in out and "length" in out
    assert "Mgas/s" in out and "ns/insn" in out

    document = json.loads(results.read_text())
    validate_results(document)
    assert document["settings"]["repeat"] == 2 and document["versions"]["jitvm"]
    rows = {(r["kind"], r["engine"]): r for r in document["results"]}
    evm = rows[("evm", "reference")]
    assert (evm["status"], evm["units"], len(evm["samples"])) == ("ok", 18, 2)
    assert rows[("bpf", "reference")]["units"] == 2 and rows[("bpf", "reference")]["rate_unit"] == "ns/insn"


def test_the_schema_is_shipped_in_the_package_and_is_valid_json_schema(tmp_path):
    assert SCHEMA_PATH.parent.name == "bench" and SCHEMA_PATH.parent.parent.name == "jitvm"
    jsonschema = pytest.importorskip("jsonschema", reason="cross-check with the reference validator when installed")
    jsonschema.Draft202012Validator.check_schema(load_schema())


def test_the_validator_names_the_offending_value():
    schema = load_schema()
    with pytest.raises(SchemaError, match=r"^format: missing"):
        validate({}, schema)
    document = {"format": "jitvm-bench-results", "version": 1, "started": "", "seconds": 1, "interrupted": False,
                "machine": {"system": "", "machine": "", "cpu": "", "cpu_count": 2, "python": ""},
                "versions": {"python": "3", "jitvm": "0"},
                "settings": {"repeat": 1, "budget": 1, "max_call_seconds": 1, "quick": False},
                "unavailable": {}, "notes": [], "results": [{"kind": "wasm"}]}
    with pytest.raises(SchemaError, match=r"results\[0\]\.workload: missing"):
        validate(document, schema)
    document["results"] = []
    document["settings"]["repeat"] = 0
    with pytest.raises(SchemaError, match=r"settings\.repeat: 0 is below the minimum 1"):
        validate(document, schema)


def test_a_wrong_answer_is_reported_and_never_timed(tmp_path, capsys):
    workloads = write_workloads(tmp_path, evm_answer(expected_output="0x" + "00" * 32))
    results = tmp_path / "results.json"
    assert main(["bench", "--workload", str(workloads), "--engines", "reference", *FAST, "--json", str(results)]) == 1
    out = capsys.readouterr().out
    assert "FAILED [1]" in out and "output 0x0000" in out and "1 wrong answer(s): evm/answer on reference" in out
    (row,) = json.loads(results.read_text())["results"]
    assert (row["status"], row["samples"], row["median"]) == ("failed", [], None)


def test_plots_png_and_svg(tmp_path, capsys):
    workloads = write_workloads(tmp_path, evm_answer(), bpf_length())
    for name in ("chart.png", "chart.svg"):
        assert main(["bench", "--workload", str(workloads), "--engines", "reference", *FAST,
                     "--plot", str(tmp_path / name)]) == 0
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    svg = (tmp_path / "chart.svg").read_text()
    assert "<svg" in svg and "time per call" in svg and "answer" in svg
    assert main(["bench", "--workload", str(workloads), "--plot", str(tmp_path / "chart.pdf")]) == 2
    assert "--plot: the file name must end in .png or .svg" in capsys.readouterr().err


def test_missing_fixtures_are_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    assert main(["bench", "--fixtures", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip().endswith("--fixtures: no such folder: " + str(tmp_path / "nowhere"))
    assert main(["bench", "--fixtures", str(tmp_path)]) == 2
    assert "holds neither evm/benchmarks nor bpf/bench" in capsys.readouterr().err
    import jitvm.bench.evm_contracts

    monkeypatch.setattr(jitvm.bench.evm_contracts, "BUNDLED_DATA", tmp_path / "absent")
    assert main(["bench"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the bundled benchmark workloads are missing" in err


def test_bundled_workloads_are_found_from_any_folder(tmp_path, monkeypatch):
    from jitvm.bench.evm_contracts import BUNDLED_DATA
    from jitvm.bench.workloads import find_fixtures

    monkeypatch.chdir(tmp_path)
    assert find_fixtures() == BUNDLED_DATA
    assert (BUNDLED_DATA / "evm" / "benchmarks" / "LICENSE").is_file()


def test_ctrl_c_prints_the_partial_report(tmp_path, monkeypatch, capsys):
    workloads = write_workloads(tmp_path, evm_answer(), evm_answer(name="second"))
    samples = harness._sample
    taken = []

    def interrupted_after_one(*args):
        if taken:
            raise KeyboardInterrupt
        taken.append(samples(*args))

    monkeypatch.setattr(harness, "_sample", interrupted_after_one)
    results = tmp_path / "results.json"
    status = main(["bench", "--workload", str(workloads), "--engines", "reference", "--repeat", "5",
                   "--json", str(results)])
    assert status == 130
    out = capsys.readouterr().out
    assert "(partial)" in out and "interrupted by Ctrl-C: 0 of 2 workloads finished" in out
    document = json.loads(results.read_text())
    assert document["interrupted"] is True
    assert [(r["workload"], r["status"], len(r["samples"])) for r in document["results"]] == [("answer", "interrupted", 1)]


def test_list_shows_workloads_and_engines(tmp_path, capsys):
    workloads = write_workloads(tmp_path, evm_answer(), bpf_length())
    assert main(["bench", "--workload", str(workloads), "--list"]) == 0
    out = capsys.readouterr().out
    assert "evm/answer" in out and "bpf/length" in out and "evm engines: reference" in out


def test_list_of_the_bundled_groups_exits_0(capsys):
    """Every bundled case (evm, bpf, svm, wasm where its fixtures are) describes its answer."""
    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    assert "svm/" in out
    if wasm_cases.bundled_wasm_cases():
        assert "wasm/factorial/10" in out and "factorial returns 0x375f00" in out


def test_a_filter_that_matches_nothing_is_an_input_error(tmp_path, capsys):
    workloads = write_workloads(tmp_path, evm_answer())
    assert main(["bench", "--workload", str(workloads), "--filter", "nothing-like-this"]) == 2
    assert "--filter: no workload matches 'nothing-like-this'" in capsys.readouterr().err


def test_bundled_workload_selection():
    from jitvm.bench.workloads import bundled_cases, find_fixtures

    fixtures = find_fixtures()
    default = {case.key for case in bundled_cases(fixtures)}
    quick = {case.key for case in bundled_cases(fixtures, quick=True)}
    every = {case.key for case in bundled_cases(fixtures, every_input=True)}
    assert {"evm/sha1_divs/1351", "evm/snailtracer/benchmark", "bpf/fnv1a/full"} <= default
    assert {"evm/sha1_divs/empty", "bpf/fnv1a/small"} <= quick and not any(key.endswith("/full") for key in quick)
    assert default | quick <= every
    contract_keys = [key for key in default if key.startswith("evm/") and not key.startswith("evm/realworld/")]
    contracts = {key.split("/")[1] for key in contract_keys}
    assert len(contracts) == len(contract_keys)  # one input each
    assert {"evm/realworld/erc20/transfer", "evm/realworld/block/1000_mixed"} <= default
