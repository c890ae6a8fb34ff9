"""User workload files: every documented form is read, and every mistake is one line naming the field."""

import json

import pytest

from jitvm.bench.userfile import load_workload_file
from jitvm.bench.workloads import filter_cases
from jitvm.cli.main import main
from jitvm.errors import InputError

from .helpers import bpf_length, evm_answer, write_workloads


def test_reads_evm_and_bpf_workloads_in_every_documented_form(tmp_path):
    (tmp_path / "answer.hex").write_text(evm_answer()["code"] + "\n")
    (tmp_path / "length.asm").write_text("mov %r0, %r2\nexit\n")
    path = write_workloads(
        tmp_path,
        evm_answer(),
        evm_answer(name="from-file", code="answer.hex", calldata="0x01", gas="0x100000",
                   pre_state={"0x" + "11" * 20: {"balance": "0x10", "nonce": 1, "code": "0x00", "storage": {"0x01": 2}}}),
        bpf_length(),
        bpf_length(name="hex", program="0xbf20000000000000" "9500000000000000"),
        bpf_length(name="file", program="length.asm", memory={"zero": 5}, expected_r0=5),
        bpf_length(name="seq", memory={"seq": 4}, expected_r0=4, expected_instructions=None),
    )
    cases = load_workload_file(path)
    assert [case.key for case in cases] == ["evm/answer", "evm/from-file", "bpf/length", "bpf/hex", "bpf/file", "bpf/seq"]
    answer, from_file, length, hex_program, from_asm, seq = cases
    assert from_file.code == answer.code and from_file.calldata == b"\x01" and from_file.gas == 0x100000
    (account,) = from_file.pre_state
    assert (account.address, account.balance, account.nonce, account.code, account.storage) == (
        bytes.fromhex("11" * 20), 16, 1, b"\x00", ((1, 2),))
    assert hex_program.program.code == length.program.code == from_asm.program.code
    assert from_asm.memory.build() == bytes(5)
    assert len(seq.memory.build()) == 4 and seq.expected_instructions is None
    assert [case.key for case in filter_cases(cases, "bpf/*e*")] == ["bpf/length", "bpf/hex", "bpf/file", "bpf/seq"]
    assert [case.key for case in filter_cases(cases, "FILE")] == ["evm/from-file", "bpf/file"]


def test_a_single_workload_object_is_a_file_too(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(bpf_length()))
    assert [case.key for case in load_workload_file(path)] == ["bpf/length"]


MISTAKES = [
    (lambda w: w[0].pop("code"), "workloads[0].code: missing"),
    (lambda w: w[0].update(calldata="0xzz"), "workloads[0].calldata: not hex"),
    (lambda w: w[0].update(expected_ouput="0x"), "workloads[0].expected_ouput: unknown field"),
    (lambda w: w[0].update(kind="wasm"), "workloads[0].kind: expected \"evm\" or \"bpf\""),
    (lambda w: w[0].update(expected_gas=-1), "workloads[0].expected_gas: negative value"),
    (lambda w: w[0].update(code="missing.hex"), "workloads[0].code: no such file"),
    (lambda w: w[0].update(pre_state={"0x12": {}}), "workloads[0].pre_state.0x12: an address has 20 bytes"),
    (lambda w: w[1].update(program="mov %r0, \nexit"), "workloads[1].program: line 1: immediate"),
    (lambda w: w[1].update(program="0x0102"), "workloads[1].program: BPF code is a whole number"),
    (lambda w: w[1].update(memory={"ones": 3}), "workloads[1].memory: expected hex bytes"),
    (lambda w: w[1].update(expected_r0="three"), "workloads[1].expected_r0: not an integer"),
    (lambda w: w[1].pop("expected_r0"), "workloads[1].expected_r0: missing"),
    (lambda w: w[1].update(name=""), "workloads[1].name: expected a non-empty string"),
    (lambda w: w.append(bpf_length()), "name: two workloads are called 'length'"),
]


@pytest.mark.parametrize("mistake,message", MISTAKES, ids=[message.split(":")[0] for _, message in MISTAKES])
def test_a_malformed_workload_names_the_field(tmp_path, mistake, message):
    workloads = [evm_answer(), bpf_length()]
    mistake(workloads)
    path = write_workloads(tmp_path, *workloads)
    with pytest.raises(InputError) as raised:
        load_workload_file(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


@pytest.mark.parametrize("text,message", [
    ("{\"workloads\": [", "malformed JSON"),
    ("[1, 2]", "expected a JSON object"),
    ("{\"workloads\": []}", "workloads: expected a non-empty list"),
    ("{\"workloads\": [1]}", "workloads[0]: expected a workload object"),
    ("{\"workloads\": [{}], \"extra\": 1}", "extra: unknown field"),
])
def test_a_malformed_file_says_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_workload_file(path)


def test_the_command_prints_one_line_and_exits_2(tmp_path, capsys):
    path = write_workloads(tmp_path, evm_answer(calldata="0x123"))
    assert main(["bench", "--workload", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "workloads[0].calldata: odd number of hex digits" in captured.err
