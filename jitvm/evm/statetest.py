"""Ethereum state tests (the GeneralStateTests format): loading them and running each case.

A file holds tests; a test has a pre-state, an environment, a transaction with lists of data, gas
limits and values, and per fork a list of expected results, each naming the (data, gas, value)
indexes it applies to, the post-state root and the hash of the logs. One such entry is a case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from jitvm.errors import InputError, parse_hex, parse_int
from jitvm.evm.context import BlockEnv
from jitvm.evm.delegation import Authorization
from jitvm.evm.forks import (
    BlobSchedule,
    UnsupportedFork,
    canonical_fork_name,
    get_fork,
    with_blob_schedule,
)
from jitvm.evm.roots import logs_hash, state_root
from jitvm.evm.state import Account, State
from jitvm.evm.transaction import InvalidTransaction, Transaction, apply_transaction

UINT256_LIMIT = 1 << 256


@dataclass(slots=True)
class Case:
    file: str
    name: str
    fork: str
    index: int  # position in the fork's post list
    data_index: int
    gas_index: int
    value_index: int
    pre: dict[bytes, Account]
    block: BlockEnv
    transaction: Transaction | None  # None when a field is out of range: it cannot be encoded
    expected_root: bytes
    expected_logs: bytes
    expected_exception: str | None
    blob_schedule: BlobSchedule | None = None  # the test's `config.blobSchedule` for its fork, if it has one

    @property
    def label(self) -> str:
        return f"{self.name}[{self.fork}:d{self.data_index}g{self.gas_index}v{self.value_index}]"


@dataclass(slots=True)
class CaseResult:
    case: Case
    passed: bool
    state_root: bytes
    logs_hash: bytes
    error: str | None  # why the case failed, or the transaction's rejection reason
    gas_used: int = 0
    skipped: str | None = None  # a reason when the case was not run (unsupported fork)


def find_test_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(raw, "no such file or folder")
    return files


def load_cases(path: Path) -> Iterator[Case]:
    try:
        document = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except OSError as exc:
        raise InputError(str(path), exc.strerror or "cannot read") from None
    if not isinstance(document, dict):
        raise InputError(str(path), "expected a JSON object of tests")
    for name, test in document.items():
        yield from _cases_of_test(path, name, test)


def _field(container: dict, key: str, where: str):
    if not isinstance(container, dict) or key not in container:
        raise InputError(where, f"missing field {key!r}")
    return container[key]


def _cases_of_test(path: Path, name: str, test: dict) -> Iterator[Case]:
    where = f"{path}: {name}"
    pre = _parse_pre(_field(test, "pre", where), f"{where}.pre")
    block = _parse_env(_field(test, "env", where), f"{where}.env")
    config = test.get("config") or {}
    if config.get("chainid") is not None:
        block.chain_id = parse_int(config["chainid"], f"{where}.config.chainid")
    schedules = _parse_blob_schedules(config.get("blobSchedule") or {}, f"{where}.config.blobSchedule")
    tx = _field(test, "transaction", where)
    for fork_name, posts in _field(test, "post", where).items():
        try:
            fork = canonical_fork_name(fork_name)
        except KeyError:
            raise InputError(f"{where}.post", f"unknown fork {fork_name!r}") from None
        for position, post in enumerate(posts):
            post_where = f"{where}.post.{fork_name}[{position}]"
            indexes = _field(post, "indexes", post_where)
            d, g, v = (parse_int(_field(indexes, k, f"{post_where}.indexes"), f"{post_where}.indexes.{k}")
                       for k in ("data", "gas", "value"))
            yield Case(
                file=str(path),
                name=name,
                fork=fork,
                index=position,
                data_index=d,
                gas_index=g,
                value_index=v,
                pre=pre,
                block=block,
                transaction=_parse_transaction(tx, d, g, v, f"{where}.transaction"),
                expected_root=parse_hex(_field(post, "hash", post_where), f"{post_where}.hash"),
                expected_logs=parse_hex(_field(post, "logs", post_where), f"{post_where}.logs"),
                expected_exception=post.get("expectException"),
                blob_schedule=schedules.get(fork),
            )


def _parse_blob_schedules(schedules: dict, where: str) -> dict[str, BlobSchedule]:
    """EIP-7840's per-fork blob parameters, as execution-spec-tests write them in a test's config."""
    parsed = {}
    for name, entry in schedules.items():
        entry_where = f"{where}.{name}"
        try:
            fork = canonical_fork_name(name)
        except KeyError:
            continue  # a fork jitvm does not know cannot be asked for either
        parsed[fork] = BlobSchedule(
            target=parse_int(_field(entry, "target", entry_where), f"{entry_where}.target"),
            max=parse_int(_field(entry, "max", entry_where), f"{entry_where}.max"),
            base_fee_update_fraction=parse_int(_field(entry, "baseFeeUpdateFraction", entry_where),
                                               f"{entry_where}.baseFeeUpdateFraction"),
        )
    return parsed


def _parse_address(text, where: str) -> bytes:
    address = parse_hex(text, where)
    if len(address) != 20:
        raise InputError(where, f"an address has 20 bytes, got {len(address)}")
    return address


def _parse_pre(pre: dict, where: str) -> dict[bytes, Account]:
    if not isinstance(pre, dict):
        raise InputError(where, "expected an object of accounts")
    accounts = {}
    for address_text, fields in pre.items():
        account_where = f"{where}.{address_text}"
        storage_fields = fields.get("storage", {})
        storage = {}
        for key, value in storage_fields.items():
            slot = parse_int(key, f"{account_where}.storage")
            word = parse_int(value, f"{account_where}.storage.{key}")
            if word:
                storage[slot] = word
        accounts[_parse_address(address_text, account_where)] = Account(
            nonce=parse_int(fields.get("nonce", "0x0"), f"{account_where}.nonce"),
            balance=parse_int(fields.get("balance", "0x0"), f"{account_where}.balance"),
            code=parse_hex(fields.get("code", "0x"), f"{account_where}.code"),
            storage=storage,
        )
    return accounts


def _parse_env(env: dict, where: str) -> BlockEnv:
    def number(key: str, default=None) -> int:
        if key not in env:
            if default is None:
                raise InputError(where, f"missing field {key!r}")
            return default
        return parse_int(env[key], f"{where}.{key}")

    hashes = {}
    if "previousHash" in env:
        hashes[0] = parse_hex(env["previousHash"], f"{where}.previousHash")
    return BlockEnv(
        coinbase=_parse_address(_field(env, "currentCoinbase", where), f"{where}.currentCoinbase"),
        number=number("currentNumber"),
        timestamp=number("currentTimestamp"),
        gas_limit=number("currentGasLimit"),
        base_fee=number("currentBaseFee", 0),
        prev_randao=number("currentRandom", 0),
        excess_blob_gas=number("currentExcessBlobGas", 0),
        block_hashes=hashes,
    )


def _sender_of(tx: dict, where: str) -> bytes:
    if "sender" in tx:
        return _parse_address(tx["sender"], f"{where}.sender")
    from coincurve import PrivateKey

    from jitvm.hashing import keccak256

    secret = parse_hex(_field(tx, "secretKey", where), f"{where}.secretKey")
    public_key = PrivateKey(secret).public_key.format(compressed=False)
    return keccak256(public_key[1:])[12:]


def _parse_tx_int(text, where: str) -> int:
    """A transaction number; retesteth writes values that cannot be encoded as "0x:bigint 0x..."."""
    if isinstance(text, str) and text.startswith("0x:bigint "):
        return parse_int(text[len("0x:bigint "):], where)
    return parse_int(text, where)


def _parse_transaction(tx: dict, d: int, g: int, v: int, where: str) -> Transaction | None:
    def pick(key: str, index: int):
        values = _field(tx, key, where)
        if not isinstance(values, list) or not 0 <= index < len(values):
            raise InputError(f"{where}.{key}", f"no entry {index}")
        return values[index]

    def optional(key: str) -> int | None:
        return parse_int(tx[key], f"{where}.{key}") if key in tx else None

    to_text = _field(tx, "to", where)
    access_lists = tx.get("accessLists")
    access_list = None
    if access_lists is not None and d < len(access_lists) and access_lists[d] is not None:
        access_list = tuple(
            (
                _parse_address(entry["address"], f"{where}.accessLists"),
                tuple(parse_int(key, f"{where}.accessLists.storageKeys") for key in entry["storageKeys"]),
            )
            for entry in access_lists[d]
        )
    blob_hashes = tx.get("blobVersionedHashes")
    authorizations = _parse_authorizations(tx["authorizationList"], f"{where}.authorizationList") \
        if tx.get("authorizationList") is not None else None
    transaction = Transaction(
        sender=_sender_of(tx, where),
        to=_parse_address(to_text, f"{where}.to") if to_text else None,
        nonce=parse_int(_field(tx, "nonce", where), f"{where}.nonce"),
        gas_limit=_parse_tx_int(pick("gasLimit", g), f"{where}.gasLimit[{g}]"),
        value=_parse_tx_int(pick("value", v), f"{where}.value[{v}]"),
        data=parse_hex(pick("data", d), f"{where}.data[{d}]"),
        gas_price=optional("gasPrice"),
        max_fee_per_gas=optional("maxFeePerGas"),
        max_priority_fee_per_gas=optional("maxPriorityFeePerGas"),
        access_list=access_list if access_list is not None else (() if "maxFeePerGas" in tx else None),
        blob_hashes=tuple(parse_hex(h, f"{where}.blobVersionedHashes") for h in blob_hashes)
        if blob_hashes is not None else None,
        max_fee_per_blob_gas=optional("maxFeePerBlobGas"),
        authorizations=authorizations,
    )
    numbers = (transaction.nonce, transaction.gas_limit, transaction.value, transaction.gas_price or 0,
               transaction.max_fee_per_gas or 0, transaction.max_priority_fee_per_gas or 0)
    if any(n >= UINT256_LIMIT for n in numbers) or not all(map(_encodable, authorizations or ())):
        return None  # no valid encoding exists; such a transaction is rejected (RLP_INVALID_VALUE)
    return transaction


def _parse_authorizations(entries, where: str) -> tuple[Authorization, ...]:
    if not isinstance(entries, list):
        raise InputError(where, "expected a list of authorizations")
    authorizations = []
    for i, entry in enumerate(entries):
        entry_where = f"{where}[{i}]"
        y_parity = entry.get("yParity", entry.get("v"))
        authorizations.append(Authorization(
            chain_id=_parse_tx_int(_field(entry, "chainId", entry_where), f"{entry_where}.chainId"),
            address=_parse_address(_field(entry, "address", entry_where), f"{entry_where}.address"),
            nonce=_parse_tx_int(_field(entry, "nonce", entry_where), f"{entry_where}.nonce"),
            y_parity=_parse_tx_int(y_parity if y_parity is not None else _field(entry, "yParity", entry_where),
                                   f"{entry_where}.yParity"),
            r=_parse_tx_int(_field(entry, "r", entry_where), f"{entry_where}.r"),
            s=_parse_tx_int(_field(entry, "s", entry_where), f"{entry_where}.s"),
        ))
    return tuple(authorizations)


def _encodable(authorization: Authorization) -> bool:
    """Whether the authorization's fields fit their encoded sizes (EIP-7702: chain id, r and s 256
    bits, nonce 64 bits, y parity 8 bits)."""
    return (authorization.chain_id < UINT256_LIMIT and authorization.nonce < 1 << 64
            and authorization.y_parity < 1 << 8 and authorization.r < UINT256_LIMIT and authorization.s < UINT256_LIMIT)


def run_case(case: Case, engine=None, tracer=None) -> CaseResult:
    try:
        fork = get_fork(case.fork)
    except UnsupportedFork as exc:
        return CaseResult(case, False, b"", b"", None, skipped=str(exc))
    if case.blob_schedule is not None:
        fork = with_blob_schedule(fork, case.blob_schedule)
    state = State({address: account.copy() for address, account in case.pre.items()})
    rejection = None
    gas_used = 0
    logs = []
    if case.transaction is None:
        rejection = "RLP_INVALID_VALUE"
    else:
        try:
            result = apply_transaction(state, case.block, case.transaction, fork, engine=engine, tracer=tracer)
            logs = result.logs
            gas_used = result.gas_used
        except InvalidTransaction as exc:
            rejection = exc.code
    root = state_root(state.accounts)
    logs_digest = logs_hash(logs)
    problems = []
    if case.expected_exception and rejection is None:
        problems.append(f"expected rejection {case.expected_exception}, but the transaction ran")
    elif rejection is not None and not case.expected_exception:
        problems.append(f"transaction rejected ({rejection}) but valid in the test")
    if root != case.expected_root:
        problems.append(f"state root 0x{root.hex()} != expected 0x{case.expected_root.hex()}")
    if logs_digest != case.expected_logs:
        problems.append(f"logs hash 0x{logs_digest.hex()} != expected 0x{case.expected_logs.hex()}")
    return CaseResult(case, not problems, root, logs_digest, "; ".join(problems) or rejection, gas_used)
