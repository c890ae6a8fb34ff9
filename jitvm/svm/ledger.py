"""LEDGER.json: accounts, programs, a blockhash and wire-format transactions, run in order.

    {"accounts": [{"pubkey": base58, "lamports": int, "owner": base58, "executable": bool, "data": base64}],
     "programs": [{"program_id": base58, "elf": path, "loader": "v1" | "v2" | "upgradeable"}],
     "blockhash": base58,
     "transactions": [base64 of bytes(solders.transaction.Transaction)]}   (or a v0 message without lookups)

ELF paths are relative to the ledger file. Every problem is an InputError naming the field.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from jitvm.errors import InputError
from jitvm.svm.accounts import Account
from jitvm.svm.bank import SVM, TransactionResult, describe_account
from jitvm.svm.ids import BPF_LOADER_UPGRADEABLE, LOADERS, base58

U64_LIMIT = 1 << 64


@dataclass
class Ledger:
    accounts: list[tuple[bytes, Account]]
    programs: list[tuple[bytes, bytes, str]]  # (program id, ELF, loader)
    blockhash: bytes
    transactions: list  # solders Transactions


def load_ledger(path) -> Ledger:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or str(exc)) from None
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    return parse_ledger(document, str(path), path.parent)


def parse_ledger(document, source: str = "ledger", base_directory: Path = Path(".")) -> Ledger:
    if not isinstance(document, dict):
        raise InputError(source, "expected a JSON object with accounts, programs, blockhash and transactions")
    unknown = set(document) - {"accounts", "programs", "blockhash", "transactions"}
    if unknown:
        raise InputError(source, f"unknown field {sorted(unknown)[0]!r}")
    accounts = [_account(entry, f"{source}: accounts[{i}]")
                for i, entry in enumerate(_list(document, "accounts", source))]
    programs = [_program(entry, f"{source}: programs[{i}]", base_directory)
                for i, entry in enumerate(_list(document, "programs", source))]
    if "blockhash" not in document:
        raise InputError(source, "missing field 'blockhash' (the recent blockhash transactions must use)")
    blockhash = _base58(document["blockhash"], f"{source}: blockhash")
    if "transactions" not in document:
        raise InputError(source, "missing field 'transactions'")
    transactions = [_transaction(entry, f"{source}: transactions[{i}]")
                    for i, entry in enumerate(_list(document, "transactions", source))]
    return Ledger(accounts, programs, blockhash, transactions)


def _list(document: dict, name: str, source: str) -> list:
    value = document.get(name, [])
    if not isinstance(value, list):
        raise InputError(f"{source}: {name}", f"expected a list, got {type(value).__name__}")
    return value


def _base58(value, source: str) -> bytes:
    from solders.pubkey import Pubkey

    if not isinstance(value, str):
        raise InputError(source, f"expected a base58 string, got {type(value).__name__}")
    try:
        return bytes(Pubkey.from_string(value))
    except ValueError:
        raise InputError(source, f"{value[:60]!r} is not a base58 32-byte key") from None


def _fields(entry, source: str, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(entry, dict):
        raise InputError(source, f"expected an object, got {type(entry).__name__}")
    unknown = set(entry) - allowed
    if unknown:
        raise InputError(source, f"unknown field {sorted(unknown)[0]!r}")
    missing = required - set(entry)
    if missing:
        raise InputError(source, f"missing field {sorted(missing)[0]!r}")
    return entry


def _account(entry, source: str) -> tuple[bytes, Account]:
    entry = _fields(entry, source, {"pubkey", "lamports", "owner", "executable", "data", "rent_epoch"},
                    {"pubkey", "lamports"})
    address = _base58(entry["pubkey"], f"{source}.pubkey")
    lamports = _u64(entry["lamports"], f"{source}.lamports")
    owner = _base58(entry["owner"], f"{source}.owner") if "owner" in entry else bytes(32)
    executable = entry.get("executable", False)
    if not isinstance(executable, bool):
        raise InputError(f"{source}.executable", "expected true or false")
    data = entry.get("data", "")
    if not isinstance(data, str):
        raise InputError(f"{source}.data", "expected a base64 string")
    try:
        payload = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{source}.data", "not base64") from None
    rent_epoch = _u64(entry.get("rent_epoch", 0), f"{source}.rent_epoch")
    return address, Account(lamports, bytearray(payload), owner, executable, rent_epoch)


def _u64(value, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < U64_LIMIT:
        raise InputError(source, f"expected an integer from 0 to 2^64-1, got {value!r}")
    return value


def _program(entry, source: str, base_directory: Path) -> tuple[bytes, bytes, str]:
    entry = _fields(entry, source, {"program_id", "elf", "loader"}, {"program_id", "elf"})
    address = _base58(entry["program_id"], f"{source}.program_id")
    loader = entry.get("loader", "upgradeable")
    if loader not in LOADERS:
        raise InputError(f"{source}.loader", f"unknown loader {loader!r} (choose v1, v2 or upgradeable)")
    if not isinstance(entry["elf"], str):
        raise InputError(f"{source}.elf", "expected a path")
    path = base_directory / entry["elf"]
    try:
        elf = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{source}.elf", f"{path}: {exc.strerror or exc}") from None
    return address, elf, loader


def _transaction(entry, source: str):
    from solders.transaction import VersionedTransaction

    if not isinstance(entry, str):
        raise InputError(source, "expected base64 of a wire-format transaction")
    try:
        wire = base64.b64decode(entry, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(source, "not base64") from None
    try:
        transaction = VersionedTransaction.from_bytes(wire)
    except Exception:
        raise InputError(source, "does not parse as a wire-format transaction") from None
    if bytes(transaction) != wire:
        raise InputError(source, "has trailing bytes after the transaction")
    legacy = transaction.into_legacy_transaction()
    return legacy if legacy is not None else transaction


def run_ledger(ledger: Ledger, engine: str = "reference", threads: int = 1,
               processes: int = 1) -> tuple[SVM, list[TransactionResult]]:
    """Set up the ledger's accounts and programs, then run its transactions in order (on `threads`
    threads or `processes` worker processes, with the same results: jitvm.sealevel)."""
    from jitvm.bpf.errors import ElfError, VerifyError

    svm = SVM(engine=engine)
    svm.blockhash = ledger.blockhash
    # programdata before the program accounts that point at it: plain accounts first
    ordered = sorted(enumerate(ledger.accounts), key=lambda entry: entry[1][1].executable)
    for index, (address, account) in ordered:
        try:
            svm.set_account(address, account)
        except InputError as error:
            raise InputError(f"accounts[{index}] ({base58(address)})", error.problem) from None
    for index, (address, elf, loader) in enumerate(ledger.programs):
        try:
            svm.add_program(address, elf, loader)
        except (ElfError, VerifyError) as error:
            raise InputError(f"programs[{index}] ({base58(address)})", f"ELF rejected: {error.problem}") from None
        except Exception as error:  # noqa: BLE001 - a malformed ELF may still trip the parser underneath
            raise InputError(f"programs[{index}] ({base58(address)})",
                             f"ELF rejected: {type(error).__name__}: {error}") from None
    from jitvm.sealevel.parallel import run_in_order

    return svm, run_in_order(svm, list(ledger.transactions), threads, processes)


def _lookups(transaction) -> list:
    return list(getattr(transaction.message, "address_table_lookups", None) or [])


def _looked_up(svm: SVM, transaction) -> list[bytes]:
    """The addresses a transaction's lookups name in the bank's tables now (for the report)."""
    from jitvm.svm.lookup_tables import ADDRESS_LOOKUP_TABLE_PROGRAM, AddressLookupError, parse_table

    addresses = []
    for lookup in _lookups(transaction):
        account = svm.accounts.get(bytes(lookup.account_key))
        if account is None or account.owner != ADDRESS_LOOKUP_TABLE_PROGRAM:
            continue
        try:
            table = parse_table(bytes(account.data))
        except AddressLookupError:
            continue
        for index in bytes(lookup.writable_indexes) + bytes(lookup.readonly_indexes):
            if index < len(table.addresses):
                addresses.append(table.addresses[index])
    return addresses


def accounts_after(svm: SVM, ledger: Ledger) -> list[dict]:
    """The ledger's accounts and every account a transaction names, in first-seen order (programs,
    builtins and sysvars left out); an account that no longer exists shows zero lamports."""
    from jitvm.svm.bank import BUILTIN_PROGRAMS

    hidden = set(BUILTIN_PROGRAMS) | set(svm.sysvars.accounts())
    for address, _, loader in ledger.programs:
        hidden.add(address)
        if LOADERS[loader] == BPF_LOADER_UPGRADEABLE:
            hidden.add(svm.programdata_address(address))
    seen: dict[bytes, None] = {}
    for address, _ in ledger.accounts:
        seen.setdefault(address)
    for transaction in ledger.transactions:
        for key in [bytes(key) for key in transaction.message.account_keys] + _looked_up(svm, transaction):
            if key not in hidden:
                seen.setdefault(key)
    return [describe_account(address, svm.accounts.get(address) or Account()) for address in seen]


def result_json(result: TransactionResult) -> dict:
    return {"signature": str(result.meta.signature), "err": str(result.err) if result.err else None,
            "compute_units_consumed": result.meta.compute_units_consumed, "fee": result.meta.fee,
            "logs": list(result.meta.logs), "return_data": base64.b64encode(result.meta.return_data[1]).decode()}
