"""The LiteSVM-shaped Python API of jitvm.svm.SVM."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction

from jitvm.errors import InputError
from jitvm.svm import SVM, Account
from tests.svm import system_ix as sx
from tests.svm.harness import Pair


def test_simulate_commits_nothing_and_matches_send():
    pair = Pair(programs=())
    payer, other = Keypair(), Keypair().pubkey()
    pair.fund(payer.pubkey(), 10**10)
    tx = pair.transaction([sx.transfer(payer.pubkey(), other, 10**9)], payer)
    simulated = pair.svm.simulate_transaction(tx)
    assert pair.svm.get_account(other) is None and pair.svm.get_balance(payer.pubkey()) == 10**10
    lite = pair.lite.simulate_transaction(tx)
    assert simulated.meta.logs == list(lite.meta().logs())
    assert simulated.meta.compute_units_consumed == lite.meta().compute_units_consumed()
    sent = pair.send(tx, expect_error=False)
    assert sent[3] == simulated.meta.logs
    assert pair.svm.get_transaction(tx.signatures[0]).meta.logs == sent[3]


def test_accounts_blockhash_and_programs():
    svm = SVM()
    payer = Keypair()
    svm.airdrop(payer.pubkey(), 5 * 10**9)
    assert svm.get_balance(payer.pubkey()) == 5 * 10**9
    svm.set_account(payer.pubkey(), Account(7 * 10**9))
    assert svm.get_account(payer.pubkey()).lamports == 7 * 10**9
    assert svm.minimum_balance_for_rent_exemption(0) == 890_880
    old = svm.latest_blockhash()
    tx = Transaction([payer], Message([sx.transfer(payer.pubkey(), payer.pubkey(), 1)], payer.pubkey()), old)
    svm.expire_blockhash()
    assert str(svm.send_transaction(tx).err) == "BlockhashNotFound"
    with pytest.raises(InputError):
        svm.add_program(Pubkey.new_unique(), b"\x7fELF not really", "v2")
    with pytest.raises(InputError):
        svm.add_program(Pubkey.new_unique(), b"", "v7")
    with pytest.raises(InputError):
        svm.send_transaction(b"\x01\x02")


def test_mutated_elfs_raise_only_input_errors():
    """Truncated and bit-flipped copies of token.so: add_program accepts them or raises InputError."""
    import random

    from tests.conftest import fixture_path

    elf = fixture_path("svm", "programs", "token.so").read_bytes()
    rng, svm = random.Random(5), SVM()
    for index in range(30):
        data = bytearray(elf)
        if index % 3 == 0:
            data = data[:rng.randrange(len(data))]
        elif index % 3 == 1:  # the ELF and program headers
            for _ in range(8):
                data[rng.randrange(64 + 56 * 4)] ^= 1 << rng.randrange(8)
        else:
            for _ in range(20):
                data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            svm.add_program(Pubkey.new_unique(), bytes(data), "v2")
        except InputError:
            pass


def test_v0_message_without_lookup_tables():
    from solders.message import MessageV0
    from solders.transaction import VersionedTransaction

    pair = Pair(programs=())
    payer, other = Keypair(), Keypair().pubkey()
    pair.fund(payer.pubkey(), 10**10)
    message = MessageV0.try_compile(payer.pubkey(), [sx.transfer(payer.pubkey(), other, 10**9)], [], pair.blockhash)
    pair.send(VersionedTransaction(message, [payer]), expect_error=False)
    message = MessageV0.try_compile(payer.pubkey(), [sx.transfer(payer.pubkey(), other, 10**12)], [], pair.blockhash)
    pair.send(VersionedTransaction(message, [payer]), expect_error=True)
