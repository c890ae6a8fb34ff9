"""Invariants of opcodes/bpf.toml, checked against RFC 9669's encoding rather than against itself."""

import pytest

from jitvm.bpf import reference
from jitvm.bpf.table import load_table, profile_table

# RFC 9669 section 3 and 4: the field values, written out independently of the table.
CLASS = {"ld": 0, "ldx": 1, "st": 2, "stx": 3, "alu": 4, "jmp": 5, "jmp32": 6, "alu64": 7, "pqr": 6}
SIZE = {1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18}

# Spot checks from RFC 9669 appendix A (and Solana's sBPF opcode list for the sBPF-only rows).
KNOWN = {
    ("ebpf-v4", "add", "imm"): 0x07, ("ebpf-v4", "add32", "reg"): 0x0C, ("ebpf-v4", "lddw", None): 0x18,
    ("ebpf-v4", "ldxw", None): 0x61, ("ebpf-v4", "ldxdw", None): 0x79, ("ebpf-v4", "stb", None): 0x72,
    ("ebpf-v4", "stxdw", None): 0x7B, ("ebpf-v4", "call", "imm"): 0x85, ("ebpf-v4", "callx", "reg"): 0x8D,
    ("ebpf-v4", "exit", "imm"): 0x95, ("ebpf-v4", "lock add", None): 0xDB, ("ebpf-v4", "lock add32", None): 0xC3,
    ("ebpf-v4", "le16", "imm"): 0xD4, ("ebpf-v4", "be64", "reg"): 0xDC, ("ebpf-v4", "bswap32", "imm"): 0xD7,
    ("ebpf-v4", "ja32", "imm"): 0x06, ("ebpf-v4", "jeq32", "reg"): 0x1E, ("ebpf-v4", "ldxsb", None): 0x91,
    ("ebpf-v4", "movsx832", "reg"): 0xBC, ("ebpf-v4", "sdiv", "imm"): 0x37, ("ebpf-v4", "jsle", "reg"): 0xDD,
    ("sbpf-v2", "hor64", "imm"): 0xF7, ("sbpf-v2", "ldxb", None): 0x2C, ("sbpf-v2", "stxdw", None): 0x9F,
    ("sbpf-v2", "udiv64", "imm"): 0x56, ("sbpf-v2", "srem32", "reg"): 0xEE, ("sbpf-v2", "uhmul64", "imm"): 0x36,
}


def test_profiles_resolve_their_deltas():
    profiles = load_table().profiles
    assert set(profiles) == {"ebpf-v1", "ebpf-v2", "ebpf-v3", "ebpf-v4", "sbpf-v0", "sbpf-v0-nogaps", "sbpf-v1",
                             "sbpf-v2", "sbpf-v3"}
    assert not profiles["sbpf-v0-nogaps"].stack_frame_gaps and profiles["sbpf-v0-nogaps"].version == 0
    assert profiles["sbpf-v1"].max_call_depth == 64 and profiles["sbpf-v1"].dynamic_stack_frames
    assert profiles["sbpf-v2"].sub_imm_reversed and not profiles["sbpf-v3"].sub_imm_reversed
    assert profiles["sbpf-v3"].static_syscalls and not profiles["sbpf-v3"].stack_frame_gaps
    assert profiles["sbpf-v0"].alu32_sign_extends == {"add", "sub", "mul"}
    assert profiles["ebpf-v1"].division_by_zero == "defined" and profiles["sbpf-v0"].division_by_zero == "error"


@pytest.mark.parametrize("key,opcode", sorted(KNOWN.items(), key=str), ids=lambda value: str(value))
def test_known_opcodes(key, opcode):
    profile, mnemonic, source = key
    row = profile_table(profile).lookup(mnemonic, source)
    assert row is not None and row.opcode == opcode


def test_every_row_is_its_fields():
    for row in load_table().instructions:
        assert row.opcode & 0x07 == CLASS[row.op_class], row.mnemonic
        if row.op_class in ("ldx", "st", "stx") and not row.sbpf_versions == {2}:
            assert row.opcode & 0x18 == SIZE[row.width], row.mnemonic
        if row.source is not None and row.op_class != "pqr" and row.form not in ("load", "store_imm", "store_reg"):
            assert bool(row.opcode & 0x08) == (row.source == "reg"), row.mnemonic


def test_each_profile_decodes_each_encoding_once():
    table = load_table()
    for name in table.profiles:
        view = table.for_profile(name)
        for row in view.instructions:
            if row.fallback:
                continue
            values = {"src": 0, "off": 0, "imm": 0, **dict(row.match)}
            assert view.decode(row.opcode, values["src"], values["off"], values["imm"]) is row
        assert view.valid_opcode.sum() == len(view.by_opcode)


def test_version_gating():
    assert profile_table("ebpf-v1").lookup("jlt", "imm") is None
    assert profile_table("ebpf-v2").lookup("jlt", "imm") is not None
    assert profile_table("ebpf-v2").lookup("jeq32", "imm") is None
    assert profile_table("ebpf-v3").lookup("jeq32", "imm") is not None
    assert profile_table("ebpf-v3").lookup("sdiv", "imm") is None
    assert profile_table("sbpf-v2").lookup("lddw", None) is None
    assert profile_table("sbpf-v3").lookup("lddw", None) is not None
    assert profile_table("sbpf-v0").lookup("jeq32", "imm") is None
    assert profile_table("sbpf-v3").lookup("jeq32", "imm") is not None


def test_every_semantics_has_a_reference_implementation():
    assert set(load_table().semantics) <= set(reference.SEMANTICS)


def test_rfc9669_groups_are_covered():
    groups = {row.group for row in load_table().instructions if row.ebpf_from}
    assert {"base32", "base64", "atomic32", "atomic64", "divmul32", "divmul64", "callx"} <= groups


def test_fast_engine_arrays():
    view = profile_table("ebpf-v4")
    assert view.valid_opcode.dtype.name == "bool" and view.valid_opcode.shape == (256,)
    assert view.slots[0x18] == 2 and view.slots[0x07] == 1 and not view.valid_opcode[0x00]


def test_sbpf_decodes_by_the_opcode_byte():
    """Solana's verifier keys on the opcode byte: `off` of div and `src` of lddw are not looked at,
    while le/be widths and v3's call kinds still choose their row, the rest of v3's calls falling back."""
    v0, v3 = profile_table("sbpf-v0"), profile_table("sbpf-v3")
    assert v0.decode(0x37, 0, 1, 3).mnemonic == "div"        # eBPF: sdiv
    assert profile_table("ebpf-v4").decode(0x37, 0, 1, 3).mnemonic == "sdiv"
    assert v0.decode(0x18, 5, 0, 1).mnemonic == "lddw"       # eBPF: a pseudo lddw
    assert v0.decode(0xD4, 0, 0, 17) is None and v0.decode(0xD4, 0, 0, 32).mnemonic == "le32"
    assert v3.decode(0x85, 1, 0, 0).semantics == "call_local" and v3.decode(0x85, 0, 0, 0).semantics == "call_helper"
    assert v3.decode(0x85, 7, 0, 0).semantics == "call_unsupported"
