"""Memo (v3 under loader v2, v1 under the deprecated loader with unaligned input), Associated Token
Account creation (CPI into System and Token with a PDA signer) and a Token-2022 flow, against LiteSVM."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

from solders.keypair import Keypair

from tests.svm import spl
from tests.svm.harness import ATA, MEMO, MEMO_V1, TOKEN, TOKEN_2022, Pair

# The native engines compile these large programs (Token-2022 is 1.3 MB) on first use: --slow.
ENGINES = ("reference", pytest.param("baseline", marks=pytest.mark.slow), pytest.param("jit", marks=pytest.mark.slow))


@pytest.mark.parametrize("engine", ENGINES)
def test_memo_v3_and_v1(engine):
    pair = Pair(engine=engine, programs=("memo", "memo_v1"))
    payer, other = Keypair(), Keypair()
    pair.fund(payer.pubkey(), 10**10)
    texts = ((b"hello", ()), (b"signed", (payer,)), ("h\u00e9llo w\u00f6rld".encode(), (payer, other)),
             (b"\xff\xfe", ()), (b"", ()), (b"x" * 600, ()))
    for program in (MEMO, MEMO_V1):
        for text, signers in texts:
            extra = [signer for signer in signers if signer is not payer]
            pair.send(pair.transaction([spl.memo(program, text, [signer.pubkey() for signer in signers])], payer,
                                       *extra))


def _mint(pair, payer, program):
    mint = Keypair()
    rent = pair.lite.minimum_balance_for_rent_exemption(spl.MINT_SIZE)
    pair.send(pair.transaction([spl.create_mint_account(payer.pubkey(), mint.pubkey(), rent, program),
                                spl.initialize_mint2(program, mint.pubkey(), payer.pubkey(), decimals=6)],
                               payer, mint), expect_error=False)
    return mint.pubkey()


@pytest.mark.parametrize("engine", ENGINES)
def test_associated_token_accounts(engine):
    pair = Pair(engine=engine, programs=("token", "token_2022", "ata"))
    payer, wallet = Keypair(), Keypair()
    pair.fund(payer.pubkey(), 10**10)
    for program in (TOKEN, TOKEN_2022):
        mint = _mint(pair, payer, program)
        address, create = spl.create_associated_token_account(payer.pubkey(), wallet.pubkey(), mint, program, ATA)
        pair.send(pair.transaction([create], payer), expect_error=False)
        _, again = spl.create_associated_token_account(payer.pubkey(), wallet.pubkey(), mint, program, ATA,
                                                       idempotent=True)
        pair.send(pair.transaction([again], payer), expect_error=False)
        pair.send(pair.transaction([again, create], payer),
                  expect_error=True)  # creating it twice fails
        pair.send(pair.transaction([spl.mint_to(program, mint, address, payer.pubkey(), 500)], payer),
                  expect_error=False)
        prefunded, create_prefunded = spl.create_associated_token_account(payer.pubkey(), payer.pubkey(), mint,
                                                                          program, ATA)
        pair.fund(prefunded, 1_000)  # an address someone already sent lamports to
        pair.send(pair.transaction([create_prefunded], payer), expect_error=False)


@pytest.mark.parametrize("engine", ENGINES)
def test_token_2022_flow(engine):
    pair = Pair(engine=engine, programs=("token_2022",))
    payer, first, second, delegate = Keypair(), Keypair(), Keypair(), Keypair()
    pair.fund(payer.pubkey(), 10**10)
    program, owner = TOKEN_2022, payer.pubkey()
    mint = _mint(pair, payer, program)
    rent = pair.lite.minimum_balance_for_rent_exemption(spl.ACCOUNT_SIZE)
    for account, holder in ((first, owner), (second, delegate.pubkey())):
        pair.send(pair.transaction([spl.create_token_account(owner, account.pubkey(), rent, program),
                                    spl.initialize_account3(program, account.pubkey(), mint, holder)],
                                   payer, account), expect_error=False)
    steps = [
        ([spl.mint_to(program, mint, first.pubkey(), owner, 10_000)], (), False),
        ([spl.transfer_checked(program, first.pubkey(), mint, second.pubkey(), owner, 300, 6)], (), False),
        ([spl.transfer_checked(program, first.pubkey(), mint, second.pubkey(), owner, 10**9, 6)], (), True),
        ([spl.transfer_checked(program, second.pubkey(), mint, first.pubkey(), owner, 1, 6)], (), True),
        ([spl.approve(program, first.pubkey(), delegate.pubkey(), owner, 40)], (), False),
        ([spl.transfer_checked(program, first.pubkey(), mint, second.pubkey(), delegate.pubkey(), 40, 6)],
         (delegate,), False),
        ([spl.burn(program, second.pubkey(), mint, delegate.pubkey(), 340)], (delegate,), False),
        ([spl.close_account(program, second.pubkey(), owner, delegate.pubkey())], (delegate,), False),
        ([spl.get_account_data_size(program, mint)], (), False),
    ]
    for instructions, signers, error in steps:
        pair.send(pair.transaction(instructions, payer, *signers), expect_error=error)
