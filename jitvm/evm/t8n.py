"""The state transition tool (t8n): apply a block's transactions to a pre-state, as geth's `evm t8n`.

Test generators (execution-spec-tests, goevmlab, retesteth) drive every client through this one
interface: a pre-state (`alloc`), a block environment (`env`) and transactions (`txs`) go in; the
post-state (`alloc`) and a result (roots, receipts, rejected transactions, gas used, blob gas) come
out. This module reads those documents, runs the block on jitvm's State with `apply_transaction`, and
writes the outputs in geth's shapes; `jitvm.cli.t8n` is the command.

Transactions arrive signed (v, r, s: the sender is recovered with coincurve), unsigned with a
`secretKey` (signed here, deterministically, as geth and ethereum-spec-evm do), or as one hex string
holding the RLP list of encoded transactions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from jitvm.errors import InputError, parse_hex, parse_int
from jitvm.evm import gas, rlp, system
from jitvm.evm.addresses import create_address
from jitvm.evm.context import BlockEnv
from jitvm.evm.delegation import Authorization
from jitvm.evm.forks import Fork
from jitvm.evm.roots import logs_hash, state_root
from jitvm.evm.state import Account, Log, State
from jitvm.evm.transaction import InvalidTransaction, Transaction, apply_transaction
from jitvm.evm.trie import trie_root
from jitvm.hashing import keccak256

WORD = 32
UINT256_LIMIT = 1 << 256
UINT64_LIMIT = 1 << 64

# secp256k1's group order: signatures need 0 < r < N and, since Homestead (EIP-2), 0 < s <= N / 2.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
LEGACY_V_BASE = 27  # v of a pre-EIP-155 signature: 27 + recovery id
EIP155_V_BASE = 35  # v of an EIP-155 signature: 35 + 2 * chain id + recovery id

# EIP-1559 base fee adjustment.
ELASTICITY_MULTIPLIER = 2
BASE_FEE_MAX_CHANGE_DENOMINATOR = 8

GWEI = 10**9  # withdrawal amounts are in gwei

# Field lists of the signed encodings, per transaction type (EIP-2718 envelopes).
TX_FIELDS = {
    0: ("nonce", "gasPrice", "gas", "to", "value", "input", "v", "r", "s"),
    1: ("chainId", "nonce", "gasPrice", "gas", "to", "value", "input", "accessList", "v", "r", "s"),
    2: ("chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "to", "value", "input", "accessList",
        "v", "r", "s"),
    3: ("chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "to", "value", "input", "accessList",
        "maxFeePerBlobGas", "blobVersionedHashes", "v", "r", "s"),
    4: ("chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas", "gas", "to", "value", "input", "accessList",
        "authorizationList", "v", "r", "s"),
}
AUTHORIZATION_FIELDS = ("chainId", "address", "nonce", "v", "r", "s")  # EIP-7702's tuple, in RLP order
SIGNATURE_FIELDS = 3  # v (y parity for typed transactions), r, s: always last

# geth's wording for a rejected transaction, so that tools matching geth's messages understand jitvm.
REJECTION_MESSAGES = {
    "NONCE_MISMATCH_TOO_LOW": "nonce too low",
    "NONCE_MISMATCH_TOO_HIGH": "nonce too high",
    "NONCE_IS_MAX": "nonce has max value",
    "INSUFFICIENT_ACCOUNT_FUNDS": "insufficient funds for gas * price + value",
    "INTRINSIC_GAS_TOO_LOW": "intrinsic gas too low",
    "INSUFFICIENT_MAX_FEE_PER_GAS": "max fee per gas less than block base fee",
    "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS": "max priority fee per gas higher than max fee per gas",
    "GAS_ALLOWANCE_EXCEEDED": "gas limit reached",
    "SENDER_NOT_EOA": "sender not an eoa",
    "INITCODE_SIZE_EXCEEDED": "max initcode size exceeded",
    "TYPE_3_TX_PRE_FORK": "transaction type not supported",
    "TYPE_3_TX_CONTRACT_CREATION": "blob transaction of type create",
    "TYPE_3_TX_ZERO_BLOBS": "blobless blob transaction",
    "TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH": "blob version not supported",
    "TYPE_3_TX_BLOB_COUNT_EXCEEDED": "blob transaction has too many blobs",
    "TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED": "blob gas limit reached",
    "TYPE_4_TX_PRE_FORK": "transaction type not supported",
    "TYPE_4_TX_CONTRACT_CREATION": "EIP-7702 transaction cannot be used to create contract",
    "TYPE_4_EMPTY_AUTHORIZATION_LIST": "EIP-7702 transaction with empty auth list",
    "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST": "insufficient gas for floor data gas cost",
    "GAS_LIMIT_EXCEEDS_MAXIMUM": "transaction gas limit too high",
    "INSUFFICIENT_MAX_FEE_PER_BLOB_GAS": "max fee per blob gas less than block blob gas fee",
    "INVALID_SIGNATURE": "invalid transaction v, r, s values",
    "INVALID_CHAIN_ID": "invalid chain id for signer",
    "TYPE_NOT_SUPPORTED": "transaction type not supported",
    "MALFORMED": "rlp: invalid transaction",
}


# -- signed transactions ---------------------------------------------------------------------------


class TransactionDecodingError(Exception):
    """A transaction that cannot be read or whose signature is invalid; it is rejected."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{REJECTION_MESSAGES[code]}: {detail}" if detail else REJECTION_MESSAGES[code])
        self.code = code


@dataclass(slots=True)
class SignedTransaction:
    tx_type: int
    fields: dict[str, Any]  # TX_FIELDS of its type: ints, bytes, and the access list / blob hashes
    chain_id: int | None  # None for a pre-EIP-155 legacy transaction
    transaction: Transaction  # what apply_transaction runs (sender recovered)

    @property
    def envelope(self) -> bytes:
        """The transaction as blocks hold it (and its hash covers)."""
        return encode_envelope(self.tx_type, self.fields)

    @property
    def hash(self) -> bytes:
        return keccak256(self.envelope)


def _rlp_fields(tx_type: int, fields: dict, names: tuple[str, ...]) -> list:
    items = []
    for name in names:
        value = fields[name]
        if name == "accessList":
            value = [[address, [key.to_bytes(WORD, "big") for key in keys]] for address, keys in value]
        elif name == "to":
            value = value or b""
        elif name == "blobVersionedHashes":
            value = list(value)
        elif name == "authorizationList":
            value = [[a.chain_id, a.address, a.nonce, a.y_parity, a.r, a.s] for a in value]
        items.append(value)
    return items


def encode_envelope(tx_type: int, fields: dict) -> bytes:
    encoded = rlp.encode(_rlp_fields(tx_type, fields, TX_FIELDS[tx_type]))
    return encoded if tx_type == 0 else bytes([tx_type]) + encoded


def signing_hash(tx_type: int, fields: dict, chain_id: int | None) -> bytes:
    """The hash a sender signs: the unsigned fields (plus chain id, 0, 0 for EIP-155 legacy)."""
    unsigned = _rlp_fields(tx_type, fields, TX_FIELDS[tx_type][:-SIGNATURE_FIELDS])
    if tx_type == 0:
        if chain_id is not None:
            unsigned += [chain_id, 0, 0]
        return keccak256(rlp.encode(unsigned))
    return keccak256(bytes([tx_type]) + rlp.encode(unsigned))


def sign(tx_type: int, fields: dict, secret_key: bytes, chain_id: int | None) -> None:
    """Fill v, r, s with a deterministic (RFC 6979) signature by `secret_key`."""
    from coincurve import PrivateKey

    signature = PrivateKey(secret_key).sign_recoverable(signing_hash(tx_type, fields, chain_id), hasher=None)
    recovery_id = signature[64]
    fields["r"] = int.from_bytes(signature[:32], "big")
    fields["s"] = int.from_bytes(signature[32:64], "big")
    if tx_type != 0:
        fields["v"] = recovery_id
    elif chain_id is None:
        fields["v"] = LEGACY_V_BASE + recovery_id
    else:
        fields["v"] = EIP155_V_BASE + 2 * chain_id + recovery_id


def recover_sender(tx_type: int, fields: dict, chain_id: int) -> tuple[bytes, int | None]:
    """(sender, chain id the signature commits to). TransactionDecodingError for a bad signature."""
    from coincurve import PublicKey

    v, r, s = fields["v"], fields["r"], fields["s"]
    signed_chain_id: int | None
    if tx_type == 0:
        if v in (LEGACY_V_BASE, LEGACY_V_BASE + 1):
            recovery_id, signed_chain_id = v - LEGACY_V_BASE, None
        elif v >= EIP155_V_BASE:
            signed_chain_id, recovery_id = divmod(v - EIP155_V_BASE, 2)
            if signed_chain_id != chain_id:
                raise TransactionDecodingError("INVALID_CHAIN_ID", f"have {signed_chain_id} want {chain_id}")
        else:
            raise TransactionDecodingError("INVALID_SIGNATURE", f"v = {v}")
    else:
        if v not in (0, 1):
            raise TransactionDecodingError("INVALID_SIGNATURE", f"y parity = {v}")
        recovery_id, signed_chain_id = v, fields["chainId"]
        if signed_chain_id != chain_id:
            raise TransactionDecodingError("INVALID_CHAIN_ID", f"have {signed_chain_id} want {chain_id}")
    if not (0 < r < SECP256K1_N and 0 < s <= SECP256K1_N // 2):
        raise TransactionDecodingError("INVALID_SIGNATURE", "r or s out of range")
    digest = signing_hash(tx_type, fields, signed_chain_id)
    signature = r.to_bytes(WORD, "big") + s.to_bytes(WORD, "big") + bytes([recovery_id])
    try:
        public_key = PublicKey.from_signature_and_message(signature, digest, hasher=None)
    except Exception as exc:  # coincurve raises plain Exception for unrecoverable signatures
        raise TransactionDecodingError("INVALID_SIGNATURE", str(exc)) from None
    return keccak256(public_key.format(compressed=False)[1:])[12:], signed_chain_id


def _to_transaction(tx_type: int, fields: dict, sender: bytes) -> Transaction:
    access_list = tuple((address, tuple(keys)) for address, keys in fields.get("accessList", ()))
    return Transaction(
        sender=sender,
        to=fields["to"] or None,
        nonce=fields["nonce"],
        gas_limit=fields["gas"],
        value=fields["value"],
        data=fields["input"],
        gas_price=fields.get("gasPrice"),
        max_fee_per_gas=fields.get("maxFeePerGas"),
        max_priority_fee_per_gas=fields.get("maxPriorityFeePerGas"),
        access_list=access_list if tx_type != 0 else None,
        blob_hashes=tuple(fields["blobVersionedHashes"]) if tx_type == 3 else None,
        max_fee_per_blob_gas=fields.get("maxFeePerBlobGas"),
        authorizations=tuple(fields["authorizationList"]) if tx_type == 4 else None,
    )


def _signed(tx_type: int, fields: dict, chain_id: int) -> SignedTransaction:
    sender, signed_chain_id = recover_sender(tx_type, fields, chain_id)
    return SignedTransaction(tx_type, fields, signed_chain_id, _to_transaction(tx_type, fields, sender))


def transaction_from_json(obj: dict, chain_id: int, where: str) -> SignedTransaction:
    """A transaction in geth's JSON form, signed with `secretKey` if it carries no signature."""
    if not isinstance(obj, dict):
        raise InputError(where, "a transaction is a JSON object")
    if "type" in obj:
        tx_type = parse_int(obj["type"], f"{where}.type")
    elif "authorizationList" in obj:
        tx_type = 4
    elif "maxFeePerBlobGas" in obj:
        tx_type = 3
    elif "maxFeePerGas" in obj:
        tx_type = 2
    elif "accessList" in obj:
        tx_type = 1
    else:
        tx_type = 0
    if tx_type not in TX_FIELDS:
        raise TransactionDecodingError("TYPE_NOT_SUPPORTED", f"type {tx_type}")

    def number(key: str, default=None) -> int:
        value = obj.get(key, default)
        if value is None:
            raise InputError(where, f"missing field {key!r}")
        return 0 if value == "0x" else parse_int(value, f"{where}.{key}")

    fields: dict[str, Any] = {}
    for name in TX_FIELDS[tx_type]:
        if name == "to":
            to = obj.get("to")
            fields["to"] = parse_hex(to, f"{where}.to") if to else b""
        elif name == "input":
            fields["input"] = parse_hex(obj.get("input", obj.get("data", "0x")), f"{where}.input")
        elif name == "gas":
            fields["gas"] = number("gas", obj.get("gasLimit"))
        elif name == "accessList":
            fields["accessList"] = [
                (parse_hex(entry["address"], f"{where}.accessList"),
                 [parse_int(key, f"{where}.accessList.storageKeys") for key in entry.get("storageKeys", [])])
                for entry in obj.get("accessList") or []
            ]
        elif name == "blobVersionedHashes":
            fields[name] = [parse_hex(h, f"{where}.{name}") for h in obj.get(name) or []]
        elif name == "authorizationList":
            fields[name] = [_authorization_from_json(entry, f"{where}.{name}[{i}]")
                            for i, entry in enumerate(obj.get(name) or [])]
        elif name == "chainId":
            fields[name] = number("chainId", chain_id)
        elif name == "v":
            fields["v"] = number("v", obj.get("yParity", obj.get("y_parity", "0x0")))
        elif name in ("r", "s"):
            fields[name] = number(name, "0x0")
        else:
            fields[name] = number(name)
    if fields["to"] and len(fields["to"]) != 20:
        raise InputError(f"{where}.to", f"an address has 20 bytes, got {len(fields['to'])}")
    if fields["v"] == fields["r"] == fields["s"] == 0 and obj.get("secretKey"):
        protected = obj.get("protected", True)
        signing_chain = fields.get("chainId", chain_id) if tx_type != 0 or protected else None
        sign(tx_type, fields, parse_hex(obj["secretKey"], f"{where}.secretKey"), signing_chain)
    return _signed(tx_type, fields, chain_id)


def _authorization_from_json(entry, where: str) -> Authorization:
    """An EIP-7702 authorization in JSON: chainId, address, nonce, v (or yParity), r, s."""
    if not isinstance(entry, dict):
        raise InputError(where, "an authorization is a JSON object")

    def number(key: str, *alternatives: str) -> int:
        for name in (key, *alternatives):
            if entry.get(name) is not None:
                return parse_int(entry[name], f"{where}.{name}")
        raise InputError(where, f"missing field {key!r}")

    authorization = Authorization(number("chainId"), _address(entry.get("address"), f"{where}.address"),
                                  number("nonce"), number("v", "yParity"), number("r"), number("s"))
    if not _authorization_fits(authorization):
        raise TransactionDecodingError("MALFORMED", "an authorization field is out of range")
    return authorization


def _authorization_fits(authorization: Authorization) -> bool:
    """Its fields fit their encoded types (chain id, r, s: 256 bits; nonce: 64; y parity: 8)."""
    return (max(authorization.chain_id, authorization.r, authorization.s) < UINT256_LIMIT
            and authorization.nonce < UINT64_LIMIT and authorization.y_parity < 256)


def _rlp_authorizations(value) -> list[Authorization]:
    if not isinstance(value, list):
        raise TransactionDecodingError("MALFORMED", "authorization list is not a list")
    authorizations = []
    for entry in value:
        if not isinstance(entry, list) or len(entry) != len(AUTHORIZATION_FIELDS):
            raise TransactionDecodingError("MALFORMED", "bad authorization")
        chain_id, address, nonce, y_parity, r, s = entry
        if not isinstance(address, bytes) or len(address) != 20:
            raise TransactionDecodingError("MALFORMED", "bad authorization address")
        authorization = Authorization(_rlp_int(chain_id, "chainId"), address, _rlp_int(nonce, "nonce"),
                                      _rlp_int(y_parity, "yParity"), _rlp_int(r, "r"), _rlp_int(s, "s"))
        if not _authorization_fits(authorization):
            raise TransactionDecodingError("MALFORMED", "an authorization field is out of range")
        authorizations.append(authorization)
    return authorizations


def _rlp_int(item, name: str) -> int:
    if not isinstance(item, bytes):
        raise TransactionDecodingError("MALFORMED", f"{name} is a list")
    if item[:1] == b"\x00":
        raise TransactionDecodingError("MALFORMED", f"{name} has leading zero bytes")
    return int.from_bytes(item, "big")


def _rlp_access_list(value) -> list:
    """[[address, [32-byte key, ...]], ...] -> [(address, [int key, ...]), ...]."""
    def is_bytes(item, size: int) -> bool:
        return isinstance(item, bytes) and len(item) == size

    if not isinstance(value, list):
        raise TransactionDecodingError("MALFORMED", "access list is not a list")
    entries = []
    for entry in value:
        if (not isinstance(entry, list) or len(entry) != 2 or not is_bytes(entry[0], 20)
                or not isinstance(entry[1], list) or not all(is_bytes(key, WORD) for key in entry[1])):
            raise TransactionDecodingError("MALFORMED", "bad access list entry")
        entries.append((entry[0], [int.from_bytes(key, "big") for key in entry[1]]))
    return entries


def transaction_from_rlp(item) -> tuple[int, dict]:
    """Decode one element of an RLP transaction list into (type, fields), or raise."""
    if isinstance(item, list):
        tx_type, values = 0, item
    else:
        if not item or item[0] >= 0x80:
            raise TransactionDecodingError("MALFORMED", "not a typed transaction")
        tx_type = item[0]
        if tx_type not in TX_FIELDS:
            raise TransactionDecodingError("TYPE_NOT_SUPPORTED", f"type {tx_type}")
        try:
            values = rlp.decode(item[1:])
        except rlp.RLPDecodingError as exc:
            raise TransactionDecodingError("MALFORMED", str(exc)) from None
        if not isinstance(values, list):
            raise TransactionDecodingError("MALFORMED", "payload is not a list")
    names = TX_FIELDS[tx_type]
    if len(values) != len(names):
        raise TransactionDecodingError("MALFORMED", f"{len(values)} fields, type {tx_type} has {len(names)}")
    fields: dict[str, Any] = {}
    for name, value in zip(names, values):
        if name == "to":
            if not isinstance(value, bytes) or len(value) not in ((0, 20) if tx_type < 3 else (20,)):
                raise TransactionDecodingError("MALFORMED", "bad recipient")
            fields["to"] = value
        elif name == "input":
            if not isinstance(value, bytes):
                raise TransactionDecodingError("MALFORMED", "input is a list")
            fields["input"] = value
        elif name == "accessList":
            fields["accessList"] = _rlp_access_list(value)
        elif name == "blobVersionedHashes":
            if not isinstance(value, list) or not all(isinstance(h, bytes) and len(h) == WORD for h in value):
                raise TransactionDecodingError("MALFORMED", "bad blob versioned hashes")
            fields[name] = value
        elif name == "authorizationList":
            fields[name] = _rlp_authorizations(value)
        else:
            fields[name] = _rlp_int(value, name)
    return tx_type, fields


# -- inputs ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Withdrawal:
    index: int
    validator_index: int
    address: bytes
    amount: int  # gwei


@dataclass(slots=True)
class Environment:
    block: BlockEnv
    withdrawals: list[Withdrawal] | None
    parent_beacon_block_root: bytes | None
    difficulty: int | None = None


@dataclass(slots=True)
class ParsedTransactions:
    """Every input transaction, by its index: runnable or already rejected."""

    signed: dict[int, SignedTransaction] = field(default_factory=dict)
    rejected: dict[int, str] = field(default_factory=dict)
    count: int = 0


def _address(text, where: str) -> bytes:
    address = parse_hex(text, where)
    if len(address) != 20:
        raise InputError(where, f"an address has 20 bytes, got {len(address)}")
    return address


def parse_alloc(alloc: dict, where: str = "alloc") -> dict[bytes, Account]:
    if not isinstance(alloc, dict):
        raise InputError(where, "expected an object of accounts")
    accounts = {}
    for address_text, fields in alloc.items():
        account_where = f"{where}.{address_text}"
        if not isinstance(fields, dict):
            raise InputError(account_where, "expected an account object")
        storage = {}
        for key, value in (fields.get("storage") or {}).items():
            word = parse_int(value, f"{account_where}.storage.{key}")
            if word:
                storage[parse_int(key, f"{account_where}.storage")] = word
        accounts[_address(address_text, account_where)] = Account(
            nonce=parse_int(fields.get("nonce") or "0x0", f"{account_where}.nonce"),
            balance=parse_int(fields.get("balance") or "0x0", f"{account_where}.balance"),
            code=parse_hex(fields.get("code") or "0x", f"{account_where}.code"),
            storage=storage,
        )
    return accounts


def expected_base_fee(parent_gas_limit: int, parent_gas_used: int, parent_base_fee: int) -> int:
    """EIP-1559: the base fee after a parent block that used `parent_gas_used`."""
    target = parent_gas_limit // ELASTICITY_MULTIPLIER
    if parent_gas_used == target:
        return parent_base_fee
    if parent_gas_used > target:
        delta = parent_base_fee * (parent_gas_used - target) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
        return parent_base_fee + max(delta, 1)
    delta = parent_base_fee * (target - parent_gas_used) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
    return parent_base_fee - delta


def expected_excess_blob_gas(fork: Fork, parent_excess_blob_gas: int, parent_blob_gas_used: int,
                             parent_base_fee: int) -> int:
    """EIP-4844: blob gas used above the fork's target accumulates as excess. From Osaka (EIP-7918),
    while blobs cost less than BLOB_BASE_COST execution gas, the excess only grows (by the used gas
    above the target share of the maximum), so the blob fee rises back to that bound."""
    parent_blob_gas = parent_excess_blob_gas + parent_blob_gas_used
    target = fork.target_blob_gas_per_block
    if parent_blob_gas < target:
        return 0
    if fork.at_least("Osaka"):
        blob_price = gas.GAS_PER_BLOB * fork.blob_base_fee(parent_excess_blob_gas)
        if gas.BLOB_BASE_COST * parent_base_fee > blob_price:
            schedule = fork.blob_schedule
            return parent_excess_blob_gas + parent_blob_gas_used * (schedule.max - schedule.target) // schedule.max
    return parent_blob_gas - target


def parse_env(env: dict, fork: Fork, chain_id: int, where: str = "env") -> Environment:
    if not isinstance(env, dict):
        raise InputError(where, "expected an object")

    def number(key: str, default: int | None = None) -> int:
        if env.get(key) is None:
            if default is None:
                raise InputError(where, f"missing field {key!r}")
            return default
        return parse_int(env[key], f"{where}.{key}")

    block_number = number("currentNumber")
    gas_limit = number("currentGasLimit")
    if env.get("currentBaseFee") is not None:
        base_fee = number("currentBaseFee")
    elif env.get("parentBaseFee") is not None:
        base_fee = expected_base_fee(number("parentGasLimit"), number("parentGasUsed"), number("parentBaseFee"))
    else:
        raise InputError(where, "need currentBaseFee, or parentBaseFee, parentGasUsed and parentGasLimit")
    excess_blob_gas = 0
    if fork.at_least("Cancun"):
        if env.get("currentExcessBlobGas") is not None:
            excess_blob_gas = number("currentExcessBlobGas")
        else:
            excess_blob_gas = expected_excess_blob_gas(fork, number("parentExcessBlobGas", 0),
                                                       number("parentBlobGasUsed", 0), number("parentBaseFee", 0))
    random = env.get("currentRandom")
    prev_randao = 0 if random is None else parse_int(random if random[:2] in ("0x", "0X") else "0x" + random,
                                                     f"{where}.currentRandom")
    # BLOCKHASH of a block the environment does not name is zero, as in geth's t8n.
    hashes = {n: bytes(WORD) for n in range(max(0, block_number - gas.BLOCKHASH_WINDOW), block_number)}
    for key, value in (env.get("blockHashes") or {}).items():
        hashes[parse_int(key, f"{where}.blockHashes")] = parse_hex(value, f"{where}.blockHashes.{key}")
    withdrawals = None
    if fork.at_least("Shanghai") and env.get("withdrawals") is not None:
        withdrawals = [
            Withdrawal(
                index=parse_int(w["index"], f"{where}.withdrawals[{i}].index"),
                validator_index=parse_int(w["validatorIndex"], f"{where}.withdrawals[{i}].validatorIndex"),
                address=_address(w["address"], f"{where}.withdrawals[{i}].address"),
                amount=parse_int(w["amount"], f"{where}.withdrawals[{i}].amount"),
            )
            for i, w in enumerate(env["withdrawals"])
        ]
    root = env.get("parentBeaconBlockRoot")
    return Environment(
        block=BlockEnv(
            coinbase=_address(env.get("currentCoinbase", "0x" + "00" * 20), f"{where}.currentCoinbase"),
            number=block_number,
            timestamp=number("currentTimestamp"),
            gas_limit=gas_limit,
            base_fee=base_fee,
            prev_randao=prev_randao,
            excess_blob_gas=excess_blob_gas,
            chain_id=chain_id,
            block_hashes=hashes,
        ),
        withdrawals=withdrawals,
        parent_beacon_block_root=parse_hex(root, f"{where}.parentBeaconBlockRoot") if root else None,
        difficulty=number("currentDifficulty") if env.get("currentDifficulty") is not None else None,
    )


def parse_txs(txs, chain_id: int, where: str = "txs") -> ParsedTransactions:
    """JSON transactions (a list) or an RLP list (a hex string). Bad ones are rejected, not fatal."""
    parsed = ParsedTransactions()
    if txs is None:
        return parsed
    if isinstance(txs, str):
        try:
            items = rlp.decode(parse_hex(txs, where))
        except rlp.RLPDecodingError as exc:
            raise InputError(where, f"not an RLP list of transactions: {exc}") from None
        if not isinstance(items, list):
            raise InputError(where, "the RLP is not a list of transactions")
        decode: Callable = lambda item, index: _signed(*transaction_from_rlp(item), chain_id)
    elif isinstance(txs, list):
        items = txs
        decode = lambda item, index: transaction_from_json(item, chain_id, f"{where}[{index}]")
    else:
        raise InputError(where, "expected a list of transactions or an RLP hex string")
    parsed.count = len(items)
    for index, item in enumerate(items):
        try:
            signed = decode(item, index)
        except TransactionDecodingError as exc:
            parsed.rejected[index] = str(exc)
            continue
        numbers = (signed.transaction.nonce, signed.transaction.gas_limit, signed.transaction.value,
                   *(signed.fields.get(k, 0) for k in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas")))
        if any(n >= UINT256_LIMIT for n in numbers):
            parsed.rejected[index] = f"{REJECTION_MESSAGES['MALFORMED']}: a field exceeds 256 bits"
            continue
        parsed.signed[index] = signed
    return parsed


# -- the transition ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Receipt:
    tx_type: int
    succeeded: bool
    cumulative_gas_used: int
    gas_used: int
    logs: list[Log]
    tx_hash: bytes
    index: int  # position among the included transactions
    contract_address: bytes | None
    effective_gas_price: int
    blob_gas_used: int = 0

    @property
    def bloom(self) -> bytes:
        return logs_bloom(self.logs)

    def encode(self) -> bytes:
        """The receipt as the receipts trie holds it (typed receipts carry their type byte)."""
        encoded = rlp.encode([1 if self.succeeded else 0, self.cumulative_gas_used, self.bloom,
                              [_log_rlp(log) for log in self.logs]])
        return encoded if self.tx_type == 0 else bytes([self.tx_type]) + encoded


@dataclass(slots=True)
class TransitionResult:
    state: State
    environment: Environment
    fork: Fork
    included: list[SignedTransaction]
    receipts: list[Receipt]
    parsed: ParsedTransactions
    rejected: dict[int, str]
    gas_used: int
    blob_gas_used: int
    requests: system.Requests | None = None  # Prague on (EIP-7685)


def _topic_bytes(topic) -> bytes:
    return topic.to_bytes(WORD, "big") if isinstance(topic, int) else bytes(topic)


def _log_rlp(log: Log) -> list:
    return [log.address, [_topic_bytes(t) for t in log.topics], log.data]


BLOOM_BITS = 2048


def logs_bloom(logs) -> bytes:
    """The 2048-bit filter of the logs' addresses and topics (three bits per item, yellow paper M3:2048)."""
    bits = 0
    for log in logs:
        for item in (log.address, *(_topic_bytes(t) for t in log.topics)):
            digest = keccak256(item)
            for i in (0, 2, 4):
                bits |= 1 << (((digest[i] << 8) | digest[i + 1]) & (BLOOM_BITS - 1))
    return bits.to_bytes(BLOOM_BITS // 8, "big")


def _apply_withdrawals(state: State, withdrawals: list[Withdrawal]) -> None:
    """Credit each withdrawal (an empty account credited with nothing does not come to exist)."""
    state.begin_transaction()
    for withdrawal in withdrawals:
        state.add_balance(withdrawal.address, withdrawal.amount * GWEI)


def _effective_gas_price(tx: Transaction, base_fee: int) -> int:
    if tx.max_fee_per_gas is None:
        return tx.gas_price
    return base_fee + min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - base_fee)


def transition(
    accounts: dict[bytes, Account],
    environment: Environment,
    transactions: ParsedTransactions,
    fork: Fork,
    engine=None,
    state_test: bool = False,
    tracer_for: Callable[[int, bytes], Any] | None = None,
) -> TransitionResult:
    """Apply the block. `state_test` skips the system operations (history and beacon roots, withdrawals,
    requests), as ethereum-spec-evm's --state-test does; `tracer_for(index, tx hash)` gives a tracer
    per transaction."""
    state = State(accounts)
    block = environment.block
    if not state_test:
        system.before_transactions(state, block, fork, environment.parent_beacon_block_root, engine)
    rejected = dict(transactions.rejected)
    included: list[SignedTransaction] = []
    receipts: list[Receipt] = []
    gas_used = blob_gas_used = 0
    for index in range(transactions.count):
        signed = transactions.signed.get(index)
        if signed is None:
            continue
        tx = signed.transaction
        tx_blob_gas = gas.GAS_PER_BLOB * len(tx.blob_hashes or ())
        if tx.gas_limit > block.gas_limit - gas_used:
            rejected[index] = (f"{REJECTION_MESSAGES['GAS_ALLOWANCE_EXCEEDED']}: have {block.gas_limit - gas_used}, "
                               f"want {tx.gas_limit}")
            continue
        if blob_gas_used + tx_blob_gas > fork.max_blob_gas_per_block:
            rejected[index] = (f"{REJECTION_MESSAGES['TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED']}: "
                               f"{tx_blob_gas} more blob gas")
            continue
        tracer = tracer_for(index, signed.hash) if tracer_for is not None else None
        try:
            result = apply_transaction(state, block, tx, fork, engine=engine, tracer=tracer)
        except InvalidTransaction as exc:
            detail = str(exc).split(": ", 1)[1] if ": " in str(exc) else ""
            message = REJECTION_MESSAGES.get(exc.code, exc.code)
            rejected[index] = f"{message}: address 0x{tx.sender.hex()}" + (f", {detail}" if detail else "")
            continue
        gas_used += result.gas_used
        blob_gas_used += tx_blob_gas
        receipts.append(Receipt(
            tx_type=signed.tx_type,
            succeeded=result.is_success,
            cumulative_gas_used=gas_used,
            gas_used=result.gas_used,
            logs=result.logs,
            tx_hash=signed.hash,
            index=len(included),
            contract_address=create_address(tx.sender, tx.nonce) if tx.to is None else None,
            effective_gas_price=_effective_gas_price(tx, block.base_fee),
            blob_gas_used=tx_blob_gas,
        ))
        included.append(signed)
    if not state_test and environment.withdrawals is not None:
        _apply_withdrawals(state, environment.withdrawals)
    requests = None
    if fork.at_least("Prague"):
        logs = [log for receipt in receipts for log in receipt.logs]
        requests = system.Requests([]) if state_test else system.after_transactions(state, block, fork, logs, engine)
    return TransitionResult(state, environment, fork, included, receipts, transactions, rejected, gas_used,
                            blob_gas_used, requests)


# -- outputs -----------------------------------------------------------------------------------------


def _hex(value: int) -> str:
    return hex(value)


def _data(value: bytes) -> str:
    return "0x" + value.hex()


def _indexed_root(values: list[bytes]) -> bytes:
    return trie_root({rlp.encode(index): value for index, value in enumerate(values)})


def withdrawals_root(withdrawals: list[Withdrawal]) -> bytes:
    return _indexed_root([rlp.encode([w.index, w.validator_index, w.address, w.amount]) for w in withdrawals])


def result_json(outcome: TransitionResult) -> dict:
    """result.json in geth's shape (a superset of ethereum-spec-evm's)."""
    block = outcome.environment.block
    all_logs = [log for receipt in outcome.receipts for log in receipt.logs]
    zero_hash = _data(bytes(WORD))
    receipts = []
    log_index = 0
    for receipt in outcome.receipts:
        logs = []
        for log in receipt.logs:
            logs.append({
                "address": _data(log.address),
                "topics": [_data(_topic_bytes(t)) for t in log.topics],
                "data": _data(log.data),
                "blockNumber": _hex(block.number),
                "transactionHash": _data(receipt.tx_hash),
                "transactionIndex": _hex(receipt.index),
                "blockHash": zero_hash,
                "logIndex": _hex(log_index),
                "removed": False,
            })
            log_index += 1
        entry = {
            "type": _hex(receipt.tx_type),
            "root": "0x",
            "status": _hex(int(receipt.succeeded)),
            "cumulativeGasUsed": _hex(receipt.cumulative_gas_used),
            "logsBloom": _data(receipt.bloom),
            "logs": logs or None,
            "transactionHash": _data(receipt.tx_hash),
            "contractAddress": _data(receipt.contract_address or bytes(20)),
            "gasUsed": _hex(receipt.gas_used),
            "effectiveGasPrice": _hex(receipt.effective_gas_price),
            "blockHash": zero_hash,
            "transactionIndex": _hex(receipt.index),
        }
        if receipt.tx_type == 3:
            entry["blobGasUsed"] = _hex(receipt.blob_gas_used)
            entry["blobGasPrice"] = _hex(outcome.fork.blob_base_fee(block.excess_blob_gas))
        receipts.append(entry)
    result = {
        "stateRoot": _data(state_root(outcome.state.accounts)),
        "txRoot": _data(_indexed_root([signed.envelope for signed in outcome.included])),
        "receiptsRoot": _data(_indexed_root([receipt.encode() for receipt in outcome.receipts])),
        "logsHash": _data(logs_hash(all_logs)),
        "logsBloom": _data(logs_bloom(all_logs)),
        "receipts": receipts,
        "rejected": [{"index": index, "error": error} for index, error in sorted(outcome.rejected.items())],
        "currentDifficulty": None if outcome.environment.difficulty is None else _hex(outcome.environment.difficulty),
        "gasUsed": _hex(outcome.gas_used),
        "currentBaseFee": _hex(block.base_fee),
    }
    if outcome.environment.withdrawals is not None:
        result["withdrawalsRoot"] = _data(withdrawals_root(outcome.environment.withdrawals))
    if outcome.fork.at_least("Cancun"):
        result["currentExcessBlobGas"] = _hex(block.excess_blob_gas)
        result["blobGasUsed"] = _hex(outcome.blob_gas_used)
    if outcome.requests is not None:  # each request with its type byte, as ethereum-spec-evm writes them
        result["requestsHash"] = _data(outcome.requests.hash)
        result["requests"] = [_data(request) for request in outcome.requests.items]
        if outcome.requests.invalid is not None:
            result["blockException"] = outcome.requests.invalid
    return result


def alloc_json(state: State) -> dict:
    """alloc.json in geth's shape: balance always, nonce / code / storage when not empty."""
    alloc = {}
    for address in sorted(state.accounts):
        account = state.accounts[address]
        entry: dict[str, Any] = {}
        if account.code:
            entry["code"] = _data(account.code)
        if account.storage:
            entry["storage"] = {_data(key.to_bytes(WORD, "big")): _data(value.to_bytes(WORD, "big"))
                                for key, value in sorted(account.storage.items())}
        entry["balance"] = _hex(account.balance)
        if account.nonce:
            entry["nonce"] = _hex(account.nonce)
        alloc[_data(address)] = entry
    return alloc


def body_rlp(outcome: TransitionResult) -> str:
    """Every readable input transaction, rejected or not, as an RLP list in hex (typed transactions
    are byte strings in it), as geth and ethereum-spec-evm write the body."""
    parsed = outcome.parsed
    items = [parsed.signed[index] for index in sorted(parsed.signed)]
    return _data(rlp.encode_list_of_encoded(
        signed.envelope if signed.tx_type == 0 else rlp.encode(signed.envelope) for signed in items))
