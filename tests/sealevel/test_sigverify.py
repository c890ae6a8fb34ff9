"""The batch signature check of the threaded replay agrees with solders' exact check: valid, forged
and misplaced signatures, legacy and v0 messages, on one and on several threads."""

from __future__ import annotations

import pytest

pytest.importorskip("solders", reason="jitvm.svm is built on solders (the peers extra)")

from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.signature import Signature
from solders.transaction import Transaction, VersionedTransaction

from jitvm.sealevel.sigverify import accepted_transactions
from tests.svm import system_ix as sx


def _batch() -> list:
    keys = [Keypair.from_seed(bytes([number + 1]) * 32) for number in range(6)]
    blockhash = Hash.new_unique()
    batch = []
    for number in range(24):
        payer, other = keys[number % 6], keys[(number + 1) % 6]
        instruction = sx.transfer(payer.pubkey(), other.pubkey(), number + 1)
        if number % 4 == 3:  # a v0 message: signed with its version prefix
            batch.append(VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [instruction], [], blockhash),
                                              [payer]))
            continue
        signers = [payer, other] if number % 5 == 0 else [payer]
        message = Message([instruction, *([sx.transfer(other.pubkey(), payer.pubkey(), 1)] if len(signers) == 2
                                          else [])], payer.pubkey())
        transaction = Transaction(signers, message, blockhash)
        if number % 3 == 0:  # a forged signature (one bit of the last one flipped)
            forged = bytearray(bytes(transaction.signatures[-1]))
            forged[number % 64] ^= 1 << number % 8
            transaction = Transaction.populate(message, [*transaction.signatures[:-1], Signature.from_bytes(bytes(forged))])
        if number == 10:  # signatures swapped: each valid, but under the other key
            transaction = Transaction.populate(message, list(reversed(transaction.signatures)))
        batch.append(transaction)
    return batch


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_batch_check_agrees_with_solders(threads):
    batch = _batch()
    expected = [all(transaction.verify_with_results()) for transaction in batch]
    assert accepted_transactions(batch, threads) == expected
    assert 0 < sum(expected) < len(batch)  # both kinds are in it


def test_an_empty_batch():
    assert accepted_transactions([], 2) == []
