"""The hashes a state test checks after execution: the state root and the hash of the logs.

Accounts and logs are duck-typed so that every engine's own state can be hashed without copying:
an account has `nonce`, `balance`, `code` and `storage` (slot -> value, ints), and may carry a
precomputed `code_hash`; a log has `address`, `topics` (ints or 32-byte strings) and `data`.

The accounts given are the accounts that exist: removing empty or destroyed accounts is a rule of
the fork, applied before hashing.
"""

from collections.abc import Iterable, Mapping

from jitvm.evm import rlp
from jitvm.evm.trie import EMPTY_TRIE_ROOT, trie_root
from jitvm.hashing import keccak256

__all__ = [
    "EMPTY_TRIE_ROOT",
    "EMPTY_LOGS_HASH",
    "storage_root",
    "state_root",
    "encode_account",
    "logs_hash",
]

WORD_SIZE = 32  # storage slots and log topics are 256-bit words

# keccak256(rlp([])): the hash of no logs.
EMPTY_LOGS_HASH = bytes.fromhex("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347")


def storage_root(storage: Mapping[int, int]) -> bytes:
    """Root of the secure trie of an account's storage; slots holding zero are absent."""
    if not storage:
        return EMPTY_TRIE_ROOT
    encoded_values = {}
    for slot, value in storage.items():
        if value:
            encoded_values[_secure_key(slot.to_bytes(WORD_SIZE, "big"))] = rlp.encode(value)
    return trie_root(encoded_values)


def encode_account(account) -> bytes:
    """RLP of an account as the state trie stores it: [nonce, balance, storage root, code hash]."""
    code_hash = getattr(account, "code_hash", None) or keccak256(account.code)
    return rlp.encode([account.nonce, account.balance, storage_root(account.storage), code_hash])


def state_root(accounts: Mapping[bytes, object]) -> bytes:
    """Root of the secure trie mapping each address to its encoded account."""
    return trie_root(
        {_secure_key(address): encode_account(account) for address, account in accounts.items()}
    )


def logs_hash(logs: Iterable) -> bytes:
    """keccak256 of the RLP list of logs, each [address, [topic, ...], data]."""
    return keccak256(rlp.encode([_log_entry(log) for log in logs]))


def _log_entry(log) -> list:
    return [log.address, [_topic_word(topic) for topic in log.topics], log.data]


def _secure_key(key: bytes) -> bytes:
    """Secure tries key by the hash, so that nobody can choose keys that make the trie deep."""
    return keccak256(key)


def _topic_word(topic: int | bytes) -> bytes:
    if isinstance(topic, int):
        return topic.to_bytes(WORD_SIZE, "big")
    if len(topic) != WORD_SIZE:
        raise ValueError(f"a log topic is {WORD_SIZE} bytes, got {len(topic)}")
    return bytes(topic)
