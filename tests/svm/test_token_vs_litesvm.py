"""SPL Token (the mainnet ELF, under the upgradeable loader and loader v2) on every jitvm engine
against LiteSVM: mints, accounts, mint-to, transfer, transfer-checked, approve, delegated transfer,
burn, close, return data, and the failures (overdraft, wrong authority, missing signer, wrong
decimals, closing a funded account)."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

from solders.compute_budget import set_compute_unit_price
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair

from tests.svm import spl
from tests.svm.harness import TOKEN, Pair

ENGINES = ("reference", "baseline", "jit")


def token_flow(pair: Pair) -> list:
    payer, mint, first, second, delegate = (Keypair() for _ in range(5))
    pair.fund(payer.pubkey(), 10**10)
    rent_mint = pair.lite.minimum_balance_for_rent_exemption(spl.MINT_SIZE)
    rent_account = pair.lite.minimum_balance_for_rent_exemption(spl.ACCOUNT_SIZE)
    results = []

    def send(instructions, *signers, error=None):
        results.append(pair.send(pair.transaction(instructions, payer, *signers), expect_error=error))

    owner = payer.pubkey()
    send([spl.create_mint_account(owner, mint.pubkey(), rent_mint, TOKEN),
          spl.initialize_mint2(TOKEN, mint.pubkey(), owner)], mint, error=False)
    send([spl.create_token_account(owner, first.pubkey(), rent_account, TOKEN),
          spl.initialize_account3(TOKEN, first.pubkey(), mint.pubkey(), owner)], first, error=False)
    send([spl.create_token_account(owner, second.pubkey(), rent_account, TOKEN),
          spl.initialize_account3(TOKEN, second.pubkey(), mint.pubkey(), delegate.pubkey())], second, error=False)
    send([spl.initialize_account3(TOKEN, second.pubkey(), mint.pubkey(), owner)], error=True)  # already initialized
    send([spl.mint_to(TOKEN, mint.pubkey(), first.pubkey(), owner, 1_000)], error=False)
    send([spl.mint_to(TOKEN, mint.pubkey(), first.pubkey(), delegate.pubkey(), 1)], delegate, error=True)
    send([spl.transfer(TOKEN, first.pubkey(), second.pubkey(), owner, 100)], error=False)
    send([spl.transfer(TOKEN, first.pubkey(), second.pubkey(), owner, 10**6)], error=True)  # overdraft
    send([spl.transfer(TOKEN, second.pubkey(), first.pubkey(), owner, 1)], error=True)  # wrong authority
    send([Instruction(TOKEN, bytes(spl.transfer(TOKEN, first.pubkey(), second.pubkey(), owner, 1).data),
                      [AccountMeta(first.pubkey(), False, True), AccountMeta(second.pubkey(), False, True),
                       AccountMeta(delegate.pubkey(), False, False)])], error=True)  # missing signer
    send([spl.transfer_checked(TOKEN, first.pubkey(), mint.pubkey(), second.pubkey(), owner, 5, 2)], error=False)
    send([spl.transfer_checked(TOKEN, first.pubkey(), mint.pubkey(), second.pubkey(), owner, 5, 3)], error=True)
    send([spl.approve(TOKEN, first.pubkey(), delegate.pubkey(), owner, 50)], error=False)
    send([spl.transfer(TOKEN, first.pubkey(), second.pubkey(), delegate.pubkey(), 20)], delegate, error=False)
    send([spl.transfer(TOKEN, first.pubkey(), second.pubkey(), delegate.pubkey(), 31)], delegate, error=True)
    send([spl.burn(TOKEN, first.pubkey(), mint.pubkey(), owner, 10)], error=False)
    send([spl.get_account_data_size(TOKEN, mint.pubkey())], error=False)  # sets return data
    send([spl.close_account(TOKEN, second.pubkey(), owner, delegate.pubkey())], delegate, error=True)  # funded
    send([spl.burn(TOKEN, second.pubkey(), mint.pubkey(), delegate.pubkey(), 125)], delegate, error=False)
    send([set_compute_unit_price(1), spl.close_account(TOKEN, second.pubkey(), owner, delegate.pubkey())], delegate,
         error=False)  # the price makes it a new transaction: the failed one above is in the history
    send([spl.transfer(TOKEN, first.pubkey(), second.pubkey(), owner, 1)], error=True)  # closed
    send([Instruction(TOKEN, b"\xff", [])], error=True)
    return results


@pytest.mark.parametrize("engine", ENGINES)
def test_token_flow_matches_litesvm(engine):
    token_flow(Pair(engine=engine, programs=("token",)))


def test_token_under_loader_v2():
    from tests.svm.harness import PROGRAMS

    PROGRAMS_V2 = dict(PROGRAMS, token=(TOKEN, "token.so", "v2"))
    import tests.svm.harness as harness

    saved = harness.PROGRAMS
    harness.PROGRAMS = PROGRAMS_V2
    try:
        token_flow(Pair(programs=("token",)))
    finally:
        harness.PROGRAMS = saved


def test_token_under_the_deprecated_loader_faults_like_litesvm():
    """token.so expects the aligned input; under loader v1 it reads the unaligned layout wrongly and
    faults: the access violation text, the depleted meter and ProgramFailedToComplete must match."""
    import tests.svm.harness as harness

    saved = harness.PROGRAMS
    harness.PROGRAMS = dict(saved, token=(TOKEN, "token.so", "v1"))
    try:
        pair = Pair(programs=("token",))
    finally:
        harness.PROGRAMS = saved
    payer, mint = Keypair(), Keypair()
    pair.fund(payer.pubkey(), 10**10)
    rent = pair.lite.minimum_balance_for_rent_exemption(spl.MINT_SIZE)
    result = pair.send(pair.transaction([spl.create_mint_account(payer.pubkey(), mint.pubkey(), rent, TOKEN),
                                         spl.initialize_mint2(TOKEN, mint.pubkey(), payer.pubkey())], payer, mint))
    assert result[0] == "InstructionError(1, ProgramFailedToComplete)"
    assert "Access violation" in result[3][-1]
