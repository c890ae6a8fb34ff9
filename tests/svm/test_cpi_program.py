"""A hand-written CPI program (tests/svm/cpi_program.py: sBPF v0 assembly in a minimal ELF) invokes
the System program with a PDA signer through sol_invoke_signed_c; jitvm must match LiteSVM on every
engine: the created account, the values the program reads back after the call, and the failures
(a wrong bump is a signer privilege escalation, a second creation finds the account in use)."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

import struct

from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from jitvm.svm.ids import BPF_LOADER
from tests.svm.cpi_program import elf
from tests.svm.harness import Pair


def deployed(**pair_options):
    """A Pair with the CPI program deployed on both sides (loader v2), a funded payer, and the payer's
    PDA of the program with its bump."""
    pair = Pair(programs=(), **pair_options)
    program_id = Pubkey.new_unique()
    code = elf()
    pair.lite.add_program_with_loader(program_id, code, Pubkey.from_bytes(BPF_LOADER))
    pair.svm.add_program(program_id, code, "v2")
    payer = Keypair()
    pair.fund(payer.pubkey(), 10**10)
    pda, bump = Pubkey.find_program_address([bytes(payer.pubkey())], program_id)
    return pair, program_id, payer, pda, bump


@pytest.mark.parametrize("engine", ["reference", "baseline", "jit"])
def test_cpi_with_pda_signer_matches_litesvm(engine):
    pair, program_id, payer, pda, bump = deployed(engine=engine)

    def create(bump_byte: int, lamports: int, space: int = 0, pda_writable: bool = True):
        data = struct.pack("<BQQ", bump_byte, lamports, space)
        return Instruction(program_id, data, [AccountMeta(payer.pubkey(), True, True),
                                              AccountMeta(pda, False, pda_writable),
                                              AccountMeta(Pubkey.default(), False, False)])

    readonly = pair.send(pair.transaction([create(bump, 10**9, pda_writable=False)], payer), expect_error=True)
    assert readonly[0] == "InstructionError(0, PrivilegeEscalation)"

    wrong = pair.send(pair.transaction([create((bump - 1) % 256, 10**9)], payer), expect_error=True)
    assert "PrivilegeEscalation" in wrong[0] or "Could not create program address" in wrong[3][-1]
    result = pair.send(pair.transaction([create(bump, 10**9)], payer), expect_error=False)
    assert "Program log: 0x3b9aca00, 0x0, 0x1, 0x0, 0x0" in result[3]
    pair.send(pair.transaction([create(bump, 2 * 10**9)], payer), expect_error=True)  # already in use


def test_cpi_to_an_account_that_is_no_program():
    """The callee is checked before its "invoke" line: no log of its own, the caller fails."""
    pair, program_id, payer, pda, bump = deployed()
    impostor = Pubkey.new_unique()
    pair.fund(impostor, 10**9, b"x" * 14)  # 14 bytes, like the System program's account: same offsets
    data = struct.pack("<BQQ", bump, 10**9, 0)
    for third in (impostor, program_id):
        instruction = Instruction(program_id, data, [AccountMeta(payer.pubkey(), True, True),
                                                     AccountMeta(pda, False, True), AccountMeta(third, False, False)])
        pair.send(pair.transaction([instruction], payer), expect_error=True)
