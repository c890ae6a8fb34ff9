"""The transaction metadata's inner instructions against LiteSVM: Associated Token Account creation
invokes the Token program and the System program (stack height 2), and a failing second instruction
still reports one list per top-level instruction. (Every Pair.send compares them too.)"""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from tests.svm import spl
from tests.svm.harness import ATA, TOKEN, Pair
from tests.svm.test_programs_vs_litesvm import _mint


def test_inner_instructions_of_nested_invocations():
    pair = Pair(programs=("token", "ata"))
    payer, wallet = Keypair(), Keypair()
    pair.fund(payer.pubkey(), 10**10)
    mint = _mint(pair, payer, TOKEN)
    address, create = spl.create_associated_token_account(payer.pubkey(), wallet.pubkey(), mint, TOKEN, ATA)
    mint_more = spl.mint_to(TOKEN, mint, address, payer.pubkey(), 5)
    transaction = pair.transaction([create, mint_more, create], payer)  # the third fails: already in use
    pair.send(transaction, expect_error=True)
    inner = pair.svm.get_transaction(transaction.signatures[0]).meta.inner_instructions
    assert len(inner) == 3 and inner[1] == []
    assert [entry.stack_height for entry in inner[0]] == [2, 2, 2, 2]  # GetAccountDataSize, create, ...
    keys = transaction.message.account_keys
    assert {str(keys[entry.instruction.program_id_index]) for entry in inner[0]} >= {str(TOKEN), "11111111111111111111111111111111"}
    assert inner[2] == []  # ATA refuses the existing account before invoking anything


def test_no_inner_instructions_when_the_fee_cannot_be_paid():
    pair = Pair(programs=())
    payer = Keypair()
    pair.fund(payer.pubkey(), 1)
    result = pair.send(pair.transaction([spl.memo(Pubkey.new_unique(), b"x")], payer), expect_error=True)
    assert result[0] == "InsufficientFundsForFee"
