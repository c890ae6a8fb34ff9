"""The EVM commands as a user meets them: results, JSON shapes, and one-line errors for bad input."""

import json
import subprocess
import sys

import pytest

from tests.conftest import fixture_path

ADD11 = ("stExample", "add11.json")


def jitvm(*args, input_text=None):
    return subprocess.run([sys.executable, "-m", "jitvm", *args], capture_output=True, text=True,
                          input=input_text, timeout=300)


def assert_one_line_error(completed, *fragments):
    assert completed.returncode == 2, completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_statetest_passes_and_prints_a_summary():
    completed = jitvm("statetest", str(fixture_path("evm", "GeneralStateTests", *ADD11)))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "1 passed, 0 failed" in completed.stdout


def test_statetest_json_has_geths_shape():
    completed = jitvm("statetest", "--json", str(fixture_path("evm", "GeneralStateTests", *ADD11)))
    assert completed.returncode == 0
    (entry,) = json.loads(completed.stdout)
    assert set(entry) == {"name", "pass", "stateRoot", "fork"}
    assert entry["pass"] is True and entry["fork"] == "Cancun"
    assert entry["stateRoot"] == "0xe8010ce590f401c9d61fef8ab05bea9bcec24281b795e5868809bc4e515aa530"


def test_statetest_trace_writes_eip3155_lines():
    completed = jitvm("statetest", "--trace", str(fixture_path("evm", "GeneralStateTests", *ADD11)))
    lines = [json.loads(line) for line in completed.stderr.splitlines() if line.startswith("{")]
    steps = [line for line in lines if "opName" in line]
    assert [step["opName"] for step in steps] == ["PUSH1", "PUSH1", "ADD", "PUSH1", "SSTORE", "STOP"]
    assert steps[0] == {"pc": 0, "op": 0x60, "gas": hex(400_000 - 21_000), "gasCost": "0x3", "memSize": 0, "stack": [],
                        "depth": 1, "refund": 0, "opName": "PUSH1"}
    assert steps[4]["gasCost"] == hex(22100)  # cold slot, zero to non-zero
    assert lines[-1]["gasUsed"] == hex(21000 + 3 * 4 + 22100)  # the transaction's, as geth reports it


def test_statetest_fails_with_exit_1_on_a_wrong_expectation(tmp_path):
    source = fixture_path("evm", "GeneralStateTests", *ADD11)
    document = json.loads(source.read_text())
    test = next(iter(document.values()))
    test["post"]["Cancun"][0]["hash"] = "0x" + "00" * 32
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    completed = jitvm("statetest", str(broken))
    assert completed.returncode == 1
    assert "0 passed, 1 failed" in completed.stdout


@pytest.mark.parametrize("content, fragments", [
    ("{not json", ["malformed JSON", "line 1"]),
    ('{"t": {"env": {}, "pre": {}, "transaction": {}, "post": {}}}', ["missing field", "currentCoinbase"]),
    ('{"t": {"env": {"currentCoinbase": "0xzz"}, "pre": {}, "transaction": {}, "post": {}}}',
     ["env.currentCoinbase", "not hex"]),
])
def test_statetest_bad_files_get_one_line_errors(tmp_path, content, fragments):
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert_one_line_error(jitvm("statetest", str(path)), str(path), *fragments)


def test_statetest_unknown_fork_in_a_file(tmp_path):
    document = json.loads(fixture_path("evm", "GeneralStateTests", *ADD11).read_text())
    test = next(iter(document.values()))
    test["post"]["Atlantis"] = test["post"].pop("Cancun")
    path = tmp_path / "fork.json"
    path.write_text(json.dumps(document))
    assert_one_line_error(jitvm("statetest", str(path)), "unknown fork 'Atlantis'", "post")


def test_statetest_missing_path_and_unknown_fork_option():
    assert_one_line_error(jitvm("statetest", "no/such/dir"), "no/such/dir", "no such file")
    assert_one_line_error(jitvm("statetest", "--fork", "Atlantis", "."), "--fork", "Atlantis")


def test_run_prints_output_gas_and_status():
    # PUSH1 2 PUSH1 3 ADD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    completed = jitvm("run", "600260030160005260206000f3", "--json")
    assert completed.returncode == 0
    result = json.loads(completed.stdout)
    assert result["output"] == "0x" + "00" * 31 + "05"
    assert result["gasUsed"] == 6 * 3 + (3 + 3)
    # PUSH1 x5 and ADD: 3 each (18); MSTORE: 3 plus 3 for one word of memory; RETURN: 0 (memory already there)
    assert result["status"] == "success"


def test_run_defaults_to_osaka():
    """CLZ (Osaka) runs by default; --fork Prague makes it an undefined opcode."""
    # PUSH0 CLZ PUSH0 MSTORE PUSH1 32 PUSH0 RETURN: CLZ(0) = 256
    latest = json.loads(jitvm("run", "5f1e5f5260205ff3", "--json").stdout)
    assert latest["output"] == "0x" + "00" * 30 + "0100"
    prague = jitvm("run", "5f1e5f5260205ff3", "--json", "--fork", "Prague")
    assert prague.returncode == 1 and json.loads(prague.stdout)["status"] == "invalid_opcode"


def test_run_reports_a_revert_with_exit_1():
    completed = jitvm("run", "60006000fd")
    assert completed.returncode == 1
    assert "revert" in completed.stdout


def test_run_bad_inputs():
    assert_one_line_error(jitvm("run", "60zz"), "CODE", "not hex")
    assert_one_line_error(jitvm("run", "00", "--input", "abc"), "--input", "odd number")
    assert_one_line_error(jitvm("run", "00", "--gas", "lots"), "--gas")
    assert_one_line_error(jitvm("run", "00", "--fork", "Frontier"), "--fork", "not executed")
    assert_one_line_error(jitvm("run", "missing/code.hex"), "missing/code.hex", "no such file")


def test_code_longer_than_a_file_name_is_read_as_hex():
    # 400 hex digits: no file system takes it as a name (ENAMETOOLONG), so it must not be tried as one.
    long_code = "5b" * 199 + "00"
    completed = jitvm("run", long_code, "--engine", "reference")
    assert completed.returncode == 0, completed.stderr
    assert jitvm("disasm", "--plain", long_code).stdout.splitlines()[-1].endswith("STOP")
    assert_one_line_error(jitvm("run", "6" * 401), "CODE", "odd number")


def test_disasm_reads_the_table():
    completed = jitvm("disasm", "--plain", "60015b5f00fe0c61ff")
    assert completed.returncode == 0
    assert completed.stdout.splitlines() == [
        "000000  PUSH1 0x01", "000002  JUMPDEST", "000003  PUSH0", "000004  STOP", "000005  INVALID",
        "000006  UNDEFINED(0x0c)", "000007  PUSH2 0xff (truncated)",
    ]
