"""Durable nonces against LiteSVM: nonce accounts created and initialized, advanced, authorized and
withdrawn from, transactions that carry a durable nonce instead of the recent blockhash, and a
nonce account paying the fee."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

from solders.hash import Hash  # noqa: E402
from solders.keypair import Keypair  # noqa: E402
from solders.message import Message  # noqa: E402
from solders.pubkey import Pubkey  # noqa: E402
from solders.system_program import (AdvanceNonceAccountParams, AuthorizeNonceAccountParams,  # noqa: E402
                                    InitializeNonceAccountParams, WithdrawNonceAccountParams,
                                    advance_nonce_account, authorize_nonce_account, initialize_nonce_account,
                                    withdraw_nonce_account)
from solders.transaction import Transaction  # noqa: E402

from tests.svm import system_ix as sx  # noqa: E402
from tests.svm.harness import Pair  # noqa: E402

SOL = 10**9


def _nonce_value(pair, address) -> Hash:
    return Hash(bytes(pair.svm.get_account(address).data[40:72]))


def _expire(pair) -> None:
    pair.lite.expire_blockhash()
    pair.svm.expire_blockhash()
    pair.blockhash = pair.lite.latest_blockhash()
    assert bytes(pair.blockhash) == pair.svm.blockhash


def test_durable_nonce_lifecycle():
    pair = Pair(programs=())
    payer, nonce, authority, other = Keypair(), Keypair(), Keypair(), Keypair()
    pair.fund(payer.pubkey(), 10 * SOL)
    rent = pair.lite.minimum_balance_for_rent_exemption(80)
    init = initialize_nonce_account(InitializeNonceAccountParams(nonce_pubkey=nonce.pubkey(),
                                                                 authority=authority.pubkey()))
    pair.send(pair.transaction([sx.create_account(payer.pubkey(), nonce.pubkey(), rent, 80, Pubkey.default()), init],
                               payer, nonce), expect_error=False)
    pair.send(pair.transaction([init], payer), expect_error=True)  # already initialized
    poor = Keypair()
    pair.send(pair.transaction([sx.create_account(payer.pubkey(), poor.pubkey(), rent - 1, 80, Pubkey.default()),
                                initialize_nonce_account(InitializeNonceAccountParams(
                                    nonce_pubkey=poor.pubkey(), authority=authority.pubkey()))], payer, poor),
              expect_error=True)
    advance = advance_nonce_account(AdvanceNonceAccountParams(nonce_pubkey=nonce.pubkey(),
                                                              authorized_pubkey=authority.pubkey()))
    pair.send(pair.transaction([advance], payer, authority), expect_error=True)  # same blockhash: not expired
    _expire(pair)  # LiteSVM accepts a durable nonce only once the blockhash moved past it
    move = sx.transfer(payer.pubkey(), other.pubkey(), SOL)
    durable = Transaction([payer, authority], Message([advance, move], payer.pubkey()),
                          _nonce_value(pair, nonce.pubkey()))
    pair.send(durable, expect_error=False)
    pair.send(durable, expect_error=True)  # the nonce moved on
    stale = Transaction([payer, authority], Message([move, advance], payer.pubkey()),
                        _nonce_value(pair, nonce.pubkey()))
    pair.send(stale, expect_error=True)  # the advance must come first
    _expire(pair)
    new_authority = Keypair()
    pair.send(pair.transaction([authorize_nonce_account(AuthorizeNonceAccountParams(
        nonce_pubkey=nonce.pubkey(), authorized_pubkey=authority.pubkey(), new_authority=new_authority.pubkey()))],
        payer, authority), expect_error=False)
    pair.send(pair.transaction([advance], payer, authority), expect_error=True)  # the old authority
    for lamports in (SOL, 1, rent):
        pair.send(pair.transaction([withdraw_nonce_account(WithdrawNonceAccountParams(
            nonce_pubkey=nonce.pubkey(), authorized_pubkey=new_authority.pubkey(), to_pubkey=other.pubkey(),
            lamports=lamports))], payer, new_authority))
    pair.send(pair.transaction([sx.raw(b"\x04\x00\x00\x00", [(nonce.pubkey(), False, True)])], payer),
              expect_error=True)  # no recent-blockhashes account


def test_nonce_account_pays_the_fee():
    pair = Pair(programs=())
    funder, nonce = Keypair(), Keypair()
    pair.fund(funder.pubkey(), 10 * SOL)
    rent = pair.lite.minimum_balance_for_rent_exemption(80)
    pair.send(pair.transaction([sx.create_account(funder.pubkey(), nonce.pubkey(), rent + 20_000, 80,
                                                  Pubkey.default()),
                                initialize_nonce_account(InitializeNonceAccountParams(
                                    nonce_pubkey=nonce.pubkey(), authority=nonce.pubkey()))], funder, nonce),
              expect_error=False)
    from solders.compute_budget import set_compute_unit_price

    for price in range(1, 6):  # the fee may not take the nonce account below its rent-exempt minimum
        pair.send(Transaction([nonce], Message([set_compute_unit_price(price * 10**6)], nonce.pubkey()),
                              pair.blockhash))
