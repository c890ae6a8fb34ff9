"""`jitvm svm run LEDGER.json`: the JSON report equals LiteSVM's results for the same ledger, and a
malformed ledger gets a one-line error with exit status 2."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

import base64
import json

from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import Transaction

from jitvm.cli.main import main
from tests.conftest import fixture_path
from tests.svm import spl
from tests.svm import system_ix as sx
from tests.svm.harness import TOKEN, _lite_summary, litesvm

SOL = 10**9


def _ledger(tmp_path):
    lite = litesvm.LiteSVM()
    elf_path = fixture_path("svm", "programs", "token.so")
    lite.add_program_with_loader(TOKEN, elf_path.read_bytes(),
                                 Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111"))
    blockhash = lite.latest_blockhash()
    payer, mint, account, stranger = Keypair(), Keypair(), Keypair(), Keypair()
    lite.airdrop(payer.pubkey(), 10 * SOL)
    funded = lite.get_account(payer.pubkey())

    def tx(instructions, *signers):
        return Transaction([payer, *signers], Message(instructions, payer.pubkey()), blockhash)

    owner = payer.pubkey()
    transactions = [
        tx([spl.create_mint_account(owner, mint.pubkey(), lite.minimum_balance_for_rent_exemption(82), TOKEN),
            spl.initialize_mint2(TOKEN, mint.pubkey(), owner)], mint),
        tx([spl.create_token_account(owner, account.pubkey(), lite.minimum_balance_for_rent_exemption(165), TOKEN),
            spl.initialize_account3(TOKEN, account.pubkey(), mint.pubkey(), owner)], account),
        tx([spl.mint_to(TOKEN, mint.pubkey(), account.pubkey(), owner, 77)]),
        tx([spl.get_account_data_size(TOKEN, mint.pubkey())]),
        tx([sx.transfer(owner, stranger.pubkey(), 100 * SOL)]),
        tx([sx.transfer(owner, stranger.pubkey(), SOL)]),
    ]
    expected = [_lite_summary(lite.send_transaction(transaction)) for transaction in transactions]
    ledger = {
        "accounts": [{"pubkey": str(payer.pubkey()), "lamports": funded.lamports, "owner": str(funded.owner),
                      "executable": False, "data": ""}],
        "programs": [{"program_id": str(TOKEN), "elf": str(elf_path), "loader": "upgradeable"}],
        "blockhash": str(blockhash),
        "transactions": [base64.b64encode(bytes(transaction)).decode() for transaction in transactions],
    }
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(ledger))
    return path, ledger, expected, lite


@pytest.mark.parametrize("engine", ["reference", "jit"])
def test_json_report_matches_litesvm(tmp_path, capsys, engine):
    path, ledger, expected, lite = _ledger(tmp_path)
    assert main(["svm", "run", str(path), "--json", "--engine", engine]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["transactions"]) == len(expected)
    for entry, (err, units, fee, logs, (_, returned)) in zip(report["transactions"], expected):
        assert (entry["err"], entry["compute_units_consumed"], entry["fee"], entry["logs"]) == (err, units, fee, logs)
        assert base64.b64decode(entry["return_data"]) == returned
    for account in report["accounts"]:
        mine = lite.get_account(Pubkey.from_string(account["pubkey"]))
        if mine is None:
            assert account["lamports"] == 0
            continue
        assert (account["lamports"], base64.b64decode(account["data"]), account["owner"]) == \
               (mine.lamports, bytes(mine.data), str(mine.owner))
    assert len(report["accounts"]) == 4  # payer, mint, token account, stranger (programs, sysvars left out)


def test_text_report(tmp_path, capsys):
    path, *_ = _ledger(tmp_path)
    assert main(["svm", "run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "transaction 4" in out and "error InstructionError(0, Custom(1))" in out and "accounts:" in out


def _broken(tmp_path, mutate):
    path, ledger, *_ = _ledger(tmp_path)
    text = mutate(ledger)
    path.write_text(text if isinstance(text, str) else json.dumps(ledger))
    return path


@pytest.mark.parametrize("mutate, fragment", [
    (lambda ledger: "{not json", "not JSON"),
    (lambda ledger: ledger.pop("blockhash") and None, "blockhash"),
    (lambda ledger: ledger["accounts"][0].update(pubkey="xyz"), "accounts[0].pubkey"),
    (lambda ledger: ledger["accounts"][0].update(lamports=-1), "accounts[0].lamports"),
    (lambda ledger: ledger["accounts"][0].update(data="!!"), "accounts[0].data"),
    (lambda ledger: ledger["programs"][0].update(loader="v9"), "programs[0].loader"),
    (lambda ledger: ledger["programs"][0].update(program_id="not-a-key"), "programs[0].program_id"),
    (lambda ledger: ledger["programs"][0].update(elf="/nonexistent.so"), "programs[0].elf"),
    (lambda ledger: ledger["transactions"].append("AAAA"), "transactions[6]"),
    (lambda ledger: ledger["transactions"].append(5), "transactions[6]"),
    (lambda ledger: ledger.update(extra=1), "extra"),
    (lambda ledger: ledger["accounts"].append({"pubkey": str(Pubkey.new_unique()), "lamports": 1, "executable": True,
                                               "owner": "BPFLoader2111111111111111111111111111111111",
                                               "data": "AAAA"}), "accounts[1]"),
    (lambda ledger: "[]", "expected a JSON object"),
])
def test_malformed_ledger_is_one_line_error(tmp_path, capsys, mutate, fragment):
    path = _broken(tmp_path, mutate)
    assert main(["svm", "run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_corrupt_elf_is_one_line_error(tmp_path, capsys):
    path, ledger, *_ = _ledger(tmp_path)
    corrupt = tmp_path / "corrupt.so"
    corrupt.write_bytes(fixture_path("svm", "programs", "token.so").read_bytes()[:5000])
    ledger["programs"][0]["elf"] = str(corrupt)
    path.write_text(json.dumps(ledger))
    assert main(["svm", "run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "programs[0]" in err


def test_missing_ledger_file(tmp_path, capsys):
    assert main(["svm", "run", str(tmp_path / "absent.json")]) == 2
    assert "absent.json" in capsys.readouterr().err


def test_transaction_to_an_unknown_program(tmp_path, capsys):
    """A program the ledger does not have is not bad input: the transaction fails as in LiteSVM."""
    from solders.instruction import Instruction

    path, ledger, _, lite = _ledger(tmp_path)
    blockhash = Transaction.from_bytes(base64.b64decode(ledger["transactions"][0])).message.recent_blockhash
    payer = Keypair()
    lite.airdrop(payer.pubkey(), SOL)
    funded = lite.get_account(payer.pubkey())
    ledger["accounts"].append({"pubkey": str(payer.pubkey()), "lamports": funded.lamports,
                               "owner": str(funded.owner), "executable": False, "data": ""})
    transaction = Transaction([payer], Message([Instruction(Pubkey.new_unique(), b"", [])], payer.pubkey()),
                              blockhash)
    expected = _lite_summary(lite.send_transaction(transaction))
    ledger["transactions"] = [base64.b64encode(bytes(transaction)).decode()]
    path.write_text(json.dumps(ledger))
    assert main(["svm", "run", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert expected[0] is not None and report["transactions"][0]["err"] == expected[0]


def test_ledger_with_a_lookup_table(tmp_path, capsys):
    """A v0 transaction paying an address from a lookup table the ledger holds: LiteSVM's result, the
    looked-up account in the report, and the same on two threads."""
    import struct

    from solders.account import Account as SoldersAccount
    from solders.address_lookup_table_account import AddressLookupTableAccount
    from solders.message import MessageV0
    from solders.system_program import TransferParams, transfer
    from solders.transaction import VersionedTransaction

    lite = litesvm.LiteSVM()
    payer, table, recipient = Keypair(), Pubkey.new_unique(), Pubkey.new_unique()
    lite.airdrop(payer.pubkey(), 10 * SOL)
    meta = struct.pack("<IQQB", 1, 2**64 - 1, 0, 0) + b"\x01" + bytes(payer.pubkey()) + bytes(2)
    table_account = SoldersAccount(10**9, meta + bytes(recipient), Pubkey.from_string(
        "AddressLookupTab1e1111111111111111111111111"), False, 0)
    lite.set_account(table, table_account)
    message = MessageV0.try_compile(payer.pubkey(), [transfer(TransferParams(
        from_pubkey=payer.pubkey(), to_pubkey=recipient, lamports=SOL))], [AddressLookupTableAccount(table, [recipient])],
        lite.latest_blockhash())
    transaction = VersionedTransaction(message, [payer])
    expected = _lite_summary(lite.send_transaction(transaction))
    funded = lite.get_account(payer.pubkey())
    ledger = {
        "accounts": [{"pubkey": str(payer.pubkey()), "lamports": 10 * SOL, "owner": str(funded.owner),
                      "executable": False, "data": ""},
                     {"pubkey": str(table), "lamports": 10**9, "owner": str(table_account.owner), "executable": False,
                      "data": base64.b64encode(bytes(table_account.data)).decode()}],
        "programs": [], "blockhash": str(lite.latest_blockhash()),
        "transactions": [base64.b64encode(bytes(transaction)).decode()],
    }
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(ledger))
    assert main(["svm", "run", str(path), "--json", "--threads", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    entry = report["transactions"][0]
    assert (entry["err"], entry["compute_units_consumed"], entry["fee"], entry["logs"]) == expected[:4]
    accounts = {account["pubkey"]: account for account in report["accounts"]}
    assert accounts[str(recipient)]["lamports"] == lite.get_account(recipient).lamports == SOL
