"""The assembler against the bytes bpf_conformance assembled, and the disassembler round trip."""

import json

import pytest

from jitvm.bpf.assembler import assemble
from jitvm.bpf.conformance import load_test
from jitvm.bpf.disassembler import disassemble
from jitvm.bpf.errors import AssemblyError

from .fixtures import CONFORMANCE, require


def _classification():
    path = CONFORMANCE / "classification.json"
    return sorted(json.loads(path.read_text()).items()) if path.exists() else []


CASES = _classification()


@pytest.mark.parametrize("name,info", CASES, ids=[name for name, _ in CASES])
def test_assembles_to_the_classified_bytes(name, info):
    test = load_test(require(CONFORMANCE / "tests" / name))
    expected = bytes.fromhex(info["bytecode_hex"])
    assert test.bytecode() == expected
    if test.raw is None:
        assert assemble(test.assembly) == expected


@pytest.mark.parametrize("name,info", CASES, ids=[name for name, _ in CASES])
@pytest.mark.parametrize("labels", [False, True])
def test_disassembly_round_trips(name, info, labels):
    code = bytes.fromhex(info["bytecode_hex"])
    assert assemble(disassemble(code, labels=labels)) == code


def test_classification_is_present():
    require(CONFORMANCE / "classification.json")
    assert len(CASES) == 313


@pytest.mark.parametrize("text,problem", [
    ("mov32 %r0, 2147483648\nexit", "out of range"),
    ("mov32 %r0, 0x100000000\nexit", "out of range"),
    ("ja NOWHERE\nexit", "unknown label"),
    ("or %r0, %r11\nexit", "invalid register"),
    ("ldxq %r0, [%r1]\nexit", "unknown mnemonic"),
    ("ldxb %r0, %r1\nexit", "invalid memory operand"),
    ("lddw %r0\nexit", "takes 2 operand"),
    ("lock or [%r10-8]\nexit", "operands for lock"),
    ("x:\nx:\nexit", "defined twice"),
])
def test_assembly_errors_name_the_line(text, problem):
    with pytest.raises(AssemblyError) as caught:
        assemble(text)
    assert problem in str(caught.value) and caught.value.line is not None


def test_hex_immediates_spell_bit_patterns():
    assert assemble("mov32 %r0, 0xffffffff") == assemble("mov32 %r0, -1")
    assert assemble("stb [%r1+0xffff], 1") == assemble("stb [%r1-1], 1")
