"""Accounts, legacy transactions, fees and the System and Compute Budget programs, each case run on
LiteSVM and on jitvm's SVM with every reported field and account compared (tests/svm/harness.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

from solders.compute_budget import request_heap_frame, set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import AccountMeta, CompiledInstruction, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.sysvar import CLOCK
from solders.transaction import Transaction

from tests.svm import system_ix as sx
from tests.svm.harness import Pair

SOL = 10**9
RENT_EXEMPT_EMPTY = 890_880


@pytest.fixture
def pair():
    return Pair(programs=())


@pytest.fixture
def payer(pair):
    keypair = Keypair()
    pair.fund(keypair.pubkey(), 10 * SOL)
    return keypair


def test_transfer_and_its_failures(pair, payer):
    other = Keypair()
    pair.send(pair.transaction([sx.transfer(payer.pubkey(), other.pubkey(), SOL)], payer), expect_error=False)
    pair.send(pair.transaction([sx.transfer(payer.pubkey(), other.pubkey(), 100 * SOL)], payer), expect_error=True)
    pair.send(pair.transaction([sx.transfer(other.pubkey(), payer.pubkey(), 5, source_signs=False)], payer),
              expect_error=True)
    pair.send(pair.transaction([sx.transfer(payer.pubkey(), Keypair().pubkey(), 1000)], payer), expect_error=True)
    pair.send(pair.transaction([sx.transfer(payer.pubkey(), CLOCK, 1000)], payer), expect_error=True)
    pair.send(pair.transaction([sx.transfer(payer.pubkey(), other.pubkey(), 7, destination_writable=False)], payer),
              expect_error=True)
    pair.send(pair.transaction([sx.transfer(payer.pubkey(), payer.pubkey(), 7)], payer), expect_error=False)


def test_create_allocate_assign(pair, payer):
    new, owner = Keypair(), Keypair().pubkey()
    pair.send(pair.transaction([sx.create_account(payer.pubkey(), new.pubkey(), SOL, 64, owner)], payer, new))
    pair.send(pair.transaction([sx.create_account(payer.pubkey(), new.pubkey(), SOL, 64, owner)], payer, new),
              expect_error=True)  # already in use
    unsigned = Keypair()
    pair.send(pair.transaction([sx.create_account(payer.pubkey(), unsigned.pubkey(), SOL, 1, owner, new_signs=False)],
                               payer), expect_error=True)
    poor = Keypair()
    pair.send(pair.transaction([sx.create_account(payer.pubkey(), poor.pubkey(), 10, 100, owner)], payer, poor),
              expect_error=True)  # not rent exempt
    space = Keypair()
    pair.fund(space.pubkey(), SOL)
    pair.send(pair.transaction([sx.allocate(space.pubkey(), 200)], payer, space), expect_error=False)
    pair.send(pair.transaction([sx.allocate(space.pubkey(), 300)], payer, space), expect_error=True)
    pair.send(pair.transaction([sx.assign(space.pubkey(), owner)], payer, space), expect_error=False)
    pair.send(pair.transaction([sx.assign(space.pubkey(), Pubkey.default())], payer, space), expect_error=True)
    huge = Keypair()
    pair.fund(huge.pubkey(), SOL)
    pair.send(pair.transaction([sx.allocate(huge.pubkey(), 11 * 1024 * 1024)], payer, huge), expect_error=True)
    pair.send(pair.transaction([sx.allocate(huge.pubkey(), 5, signs=False)], payer), expect_error=True)
    pair.send(pair.transaction([sx.assign(huge.pubkey(), owner, signs=False)], payer), expect_error=True)


def test_seed_variants(pair, payer):
    owner = Keypair().pubkey()
    base = payer.pubkey()
    derived = Pubkey.create_with_seed(base, "vault", owner)
    pair.send(pair.transaction([sx.create_account_with_seed(base, derived, base, "vault", SOL, 10, owner)], payer),
              expect_error=False)
    wrong = Pubkey.create_with_seed(base, "other", owner)
    pair.send(pair.transaction([sx.create_account_with_seed(base, wrong, base, "vault", SOL, 10, owner)], payer),
              expect_error=True)
    long_seed = "x" * 33
    pair.send(pair.transaction([sx.create_account_with_seed(base, derived, base, long_seed, SOL, 10, owner)], payer),
              expect_error=True)
    marked_owner = Pubkey(bytes(11) + b"ProgramDerivedAddress")
    pair.send(pair.transaction([sx.create_account_with_seed(base, Keypair().pubkey(), base, "pda", SOL, 10,
                                                            marked_owner)], payer), expect_error=True)
    pair.send(pair.transaction([sx.assign_with_seed(derived, base, "y" * 40, owner)], payer), expect_error=True)
    system_owned = Pubkey.create_with_seed(base, "wallet", Pubkey.default())
    pair.send(pair.transaction([sx.transfer(base, system_owned, 2 * SOL)], payer), expect_error=False)
    pair.send(pair.transaction([sx.transfer_with_seed(system_owned, base, "wallet", Pubkey.default(), base, SOL)],
                               payer), expect_error=False)
    pair.send(pair.transaction([sx.transfer_with_seed(system_owned, base, "wrong", Pubkey.default(), base, SOL)],
                               payer), expect_error=True)
    slot = Pubkey.create_with_seed(base, "slot", owner)
    pair.send(pair.transaction([sx.transfer(base, slot, SOL)], payer))
    pair.send(pair.transaction([sx.allocate_with_seed(slot, base, "slot", 32, owner)], payer), expect_error=False)
    other = Pubkey.create_with_seed(base, "assign", owner)
    pair.send(pair.transaction([sx.transfer(base, other, SOL)], payer))
    pair.send(pair.transaction([sx.assign_with_seed(other, base, "assign", owner)], payer), expect_error=False)


def test_malformed_system_instructions(pair, payer):
    pair.send(pair.transaction([sx.raw(b"\x09\x00\x00\x00")], payer), expect_error=True)
    pair.send(pair.transaction([sx.raw(b"\x02\x00\x00\x00\x01")], payer), expect_error=True)
    pair.send(pair.transaction([sx.raw(b"\x02\x00\x00\x00" + bytes(8), [(payer.pubkey(), True, True)])], payer),
              expect_error=True)
    pair.send(pair.transaction([sx.raw(b"\x02\x00\x00\x00" + bytes(8) + b"trailing",
                                       [(payer.pubkey(), True, True), (Keypair().pubkey(), False, True)])], payer))


def test_compute_budget_and_priority_fee(pair, payer):
    other = Keypair().pubkey()
    pair.send(pair.transaction([sx.transfer(payer.pubkey(), other, SOL)], payer))
    move = sx.transfer(payer.pubkey(), other, 10)
    for instructions in ([set_compute_unit_price(1_000), set_compute_unit_limit(10_000), move],
                         [set_compute_unit_price(123_456_789), move],
                         [set_compute_unit_limit(200), move],
                         [set_compute_unit_limit(1), move],
                         [set_compute_unit_limit(2), set_compute_unit_limit(3), move],
                         [request_heap_frame(1000), move],
                         [request_heap_frame(64 * 1024), move],
                         [Instruction(set_compute_unit_limit(1).program_id, b"\x07", []), move],
                         [Instruction(set_compute_unit_limit(1).program_id, bytes(set_compute_unit_limit(900).data)
                                      + b"zz", []), move]):
        pair.send(pair.transaction(instructions, payer))


def test_fee_payer_rules(pair):
    bh = pair.blockhash
    for lamports, data, owner in ((4_000, b"", Pubkey.default()), (10_000, b"", Pubkey.default()),
                                  (RENT_EXEMPT_EMPTY + 4_999, b"", Pubkey.default()),
                                  (RENT_EXEMPT_EMPTY + 5_000, b"", Pubkey.default()), (5_000, b"", Pubkey.default()),
                                  (SOL, b"x", Pubkey.default()), (SOL, b"", Keypair().pubkey())):
        payer = Keypair()
        pair.fund(payer.pubkey(), lamports, data, owner)
        pair.send(Transaction([payer], Message([sx.transfer(payer.pubkey(), payer.pubkey(), 0)], payer.pubkey()), bh))
    ghost = Keypair()
    pair.send(Transaction([ghost], Message([sx.transfer(ghost.pubkey(), ghost.pubkey(), 0)], ghost.pubkey()), bh),
              expect_error=True)


def test_transaction_checks(pair, payer):
    other = Keypair().pubkey()
    move = sx.transfer(payer.pubkey(), other, SOL)
    pair.send(Transaction([payer], Message([move], payer.pubkey()), Hash.default()), expect_error=True)
    good = pair.transaction([move], payer)
    pair.send(good, expect_error=False)
    pair.send(good, expect_error=True)  # AlreadyProcessed
    forged = Transaction.populate(good.message, [Signature.default()])
    pair.send(forged, expect_error=True)
    unsigned = Transaction.populate(pair.transaction([sx.transfer(payer.pubkey(), other, 3)], payer).message, [])
    pair.send(unsigned, expect_error=True)  # fewer signatures than the header requires
    duplicated = Message.new_with_compiled_instructions(
        1, 0, 1, [payer.pubkey(), payer.pubkey(), Pubkey.default()], pair.blockhash,
        [CompiledInstruction(2, bytes(move.data), bytes([0, 1]))])
    pair.send(Transaction([payer], duplicated, pair.blockhash), expect_error=True)
    pair.send(pair.transaction([Instruction(Keypair().pubkey(), b"", [])], payer), expect_error=True)
    pair.send(pair.transaction([Instruction(payer.pubkey(), b"", [])], payer), expect_error=True)
    writes_clock = Instruction(Pubkey.default(), bytes(move.data),
                               [AccountMeta(payer.pubkey(), True, True), AccountMeta(CLOCK, False, True)])
    pair.send(pair.transaction([writes_clock], payer), expect_error=True)  # a sysvar is demoted to read-only
    pair.send(pair.transaction([move, sx.transfer(payer.pubkey(), other, 100 * SOL)], payer), expect_error=True)


def test_create_account_allow_prefund(pair, payer):
    """SIMD-0312: the new account may hold lamports already; the funder adds more after the allocation."""
    owner = Pubkey.new_unique()
    cases = [(0, None, False), (SOL, payer, False), (SOL, payer, True), (0, None, True), (5, None, True),
             (SOL, payer, "unsigned"), (SOL, payer, "in use"), (0, None, "too big")]
    results = []
    for lamports, funder, prefunded in cases:
        new = Keypair()
        if prefunded is True:
            pair.fund(new.pubkey(), SOL)
        elif prefunded == "in use":
            pair.fund(new.pubkey(), SOL, b"x")
        space = 10 * 1024 * 1024 + 1 if prefunded == "too big" else 10
        instruction = sx.create_account_allow_prefund(new.pubkey(), lamports, space, owner,
                                                      funder.pubkey() if funder else None,
                                                      new_signs=prefunded != "unsigned")
        signers = [new] if prefunded != "unsigned" else []
        results.append(pair.send(pair.transaction([instruction], payer, *signers))[0])
    assert results.count(None) == 4 and "InstructionError(0, MissingAccount)" in results


def test_slot_history_sysvar_account(pair, payer):
    """A transaction naming the slot-history sysvar: the account is LiteSVM's (compared after the send)."""
    slot_history = Pubkey.from_string("SysvarS1otHistory11111111111111111111111111")
    other = Keypair().pubkey()
    transfer = sx.transfer(payer.pubkey(), other, SOL)
    named = Instruction(transfer.program_id, bytes(transfer.data),
                        list(transfer.accounts) + [AccountMeta(slot_history, False, False)])
    pair.send(pair.transaction([named], payer), expect_error=False)
