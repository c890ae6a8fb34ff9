"""Runs the same transactions on LiteSVM (solders) and on jitvm's SVM and compares everything a
transaction reports (error in Rust Debug form, compute units, fee, logs, return data) and every
account the transaction names afterwards."""

from __future__ import annotations

import re

import pytest

from tests.conftest import fixture_path

litesvm = pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM")

from solders.account import Account as SoldersAccount  # noqa: E402
from solders.keypair import Keypair  # noqa: E402
from solders.message import Message  # noqa: E402
from solders.pubkey import Pubkey  # noqa: E402
from solders.transaction import Transaction  # noqa: E402

from jitvm.svm import SVM  # noqa: E402
from jitvm.svm.ids import LOADERS  # noqa: E402

TOKEN = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022 = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ATA = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
MEMO_V1 = Pubkey.from_string("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo")
PROGRAMS = {"token": (TOKEN, "token.so", "upgradeable"), "token_2022": (TOKEN_2022, "token_2022.so", "upgradeable"),
            "ata": (ATA, "associated_token.so", "v2"), "memo": (MEMO, "memo.so", "v2"),
            "memo_v1": (MEMO_V1, "memo-v1.so", "v1")}


def litesvm_error(result) -> str | None:
    """The error of a LiteSVM result in Rust's compact Debug form (solders prints it pretty)."""
    text = repr(result)
    if "err: " not in text:
        return None
    text = text.split("err: ", 1)[1].split("meta: TransactionMetadata")[0]
    text = " ".join(line.strip() for line in text.splitlines()).strip().rstrip(",")
    text = re.sub(r"\( ", "(", text)
    text = re.sub(r",\s*\)", ")", text)
    return re.sub(r",\s*\}", " }", text)


def _lite_summary(result):
    meta = result.meta() if hasattr(result, "err") else result
    returned = meta.return_data()
    return (litesvm_error(result), meta.compute_units_consumed(), meta.fee(), list(meta.logs()),
            (bytes(returned.program_id), bytes(returned.data)))


def _jitvm_summary(result):
    meta = result.meta
    return (str(result.err) if result.err else None, meta.compute_units_consumed, meta.fee, meta.logs,
            meta.return_data)


def _inner_rows(lists) -> list[list[tuple]]:
    rows = []
    for inner in lists:
        rows.append([])
        for entry in inner:
            compiled = entry.instruction() if callable(entry.instruction) else entry.instruction
            height = entry.stack_height() if callable(entry.stack_height) else entry.stack_height
            rows[-1].append((compiled.program_id_index, bytes(compiled.accounts), bytes(compiled.data), height))
    return rows


def assert_same_inner_instructions(lite_result, jitvm_result) -> None:
    """The metadata's inner instructions (program index, account indices, data, stack height)."""
    lite_meta = lite_result.meta() if hasattr(lite_result, "err") else lite_result
    expected, got = _inner_rows(lite_meta.inner_instructions()), _inner_rows(jitvm_result.meta.inner_instructions)
    assert got == expected, f"inner instructions: jitvm {got}\nLiteSVM {expected}"


class Pair:
    """LiteSVM and jitvm's SVM kept in the same state."""

    def __init__(self, engine: str = "reference", programs=("token",)):
        self.lite = litesvm.LiteSVM()
        self.svm = SVM(engine=engine)
        for name in programs:
            address, file_name, loader = PROGRAMS[name]
            elf = fixture_path("svm", "programs", file_name).read_bytes()
            self.lite.add_program_with_loader(address, elf, Pubkey.from_bytes(LOADERS[loader]))
            self.svm.add_program(address, elf, loader)
        self.blockhash = self.lite.latest_blockhash()
        assert bytes(self.blockhash) == self.svm.blockhash

    def fund(self, address, lamports: int, data: bytes = b"", owner=Pubkey.default()) -> None:
        account = SoldersAccount(lamports, data, owner, False, 0)
        self.lite.set_account(address, account)
        self.svm.set_account(address, account)

    def transaction(self, instructions, payer: Keypair, *signers: Keypair) -> Transaction:
        return Transaction([payer, *signers], Message(instructions, payer.pubkey()), self.blockhash)

    def send(self, transaction, *, expect_error: bool | None = None):
        """Send to both; assert every reported field and every named account agree. Returns the summary."""
        lite_result, jitvm_result = self.lite.send_transaction(transaction), self.svm.send_transaction(transaction)
        expected, got = _lite_summary(lite_result), _jitvm_summary(jitvm_result)
        assert got[0] == expected[0], f"error: {got[0]} != LiteSVM {expected[0]}\nlogs {got[3]}\nLiteSVM {expected[3]}"
        assert got == expected, f"jitvm {got}\nLiteSVM {expected}"
        assert_same_inner_instructions(lite_result, jitvm_result)
        for address in transaction.message.account_keys:
            self.assert_same_account(address)
        if expect_error is not None:
            assert (expected[0] is not None) == expect_error, expected
        return expected

    def assert_same_account(self, address) -> None:
        lite, mine = self.lite.get_account(address), self.svm.get_account(address)
        if lite is None or mine is None:
            assert lite is None and mine is None, f"{address}: LiteSVM {lite} jitvm {mine}"
            return
        assert (lite.lamports, bytes(lite.data), bytes(lite.owner), lite.executable, lite.rent_epoch) == \
               (mine.lamports, bytes(mine.data), mine.owner, mine.executable, mine.rent_epoch), \
               f"account {address} differs"
