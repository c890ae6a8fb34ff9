"""State roots and logs hashes.

The fixtures hold one exact oracle for the state root: when a transaction is invalid the state does
not change, so the post-state hash a state test expects is the root of its pre-state. The `trie` and
`rlp` packages, when installed, check random account sets with storage.
"""

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from jitvm.evm import rlp
from jitvm.evm.roots import (
    EMPTY_LOGS_HASH,
    EMPTY_TRIE_ROOT,
    encode_account,
    logs_hash,
    state_root,
    storage_root,
)
from jitvm.hashing import EMPTY_KECCAK256, keccak256

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "evm"
STATE_TESTS = FIXTURES / "GeneralStateTests"


@dataclass
class Account:
    nonce: int = 0
    balance: int = 0
    code: bytes = b""
    storage: dict[int, int] = field(default_factory=dict)


@dataclass
class Log:
    address: bytes
    topics: list
    data: bytes


def account_from_fixture(fields: dict) -> Account:
    return Account(
        nonce=int(fields["nonce"], 16),
        balance=int(fields["balance"], 16),
        code=bytes.fromhex(fields["code"].removeprefix("0x")),
        storage={int(slot, 16): int(value, 16) for slot, value in fields["storage"].items()},
    )


def invalid_transaction_cases() -> list:
    """(pre-state, expected post hash, expected logs hash) of every post entry that expects an
    exception: such a transaction is rejected and leaves the pre-state as it was."""
    if not STATE_TESTS.is_dir():
        missing = pytest.mark.skip(reason=f"state test fixtures not found at {STATE_TESTS}")
        return [pytest.param(None, None, None, marks=missing, id="no-fixtures")]
    cases = []
    for path in sorted(STATE_TESTS.rglob("*.json")):
        text = path.read_text()
        if "expectException" not in text:
            continue
        for name, test in json.loads(text).items():
            for fork, posts in test["post"].items():
                for post in posts:
                    if "expectException" in post:
                        case_id = f"{path.relative_to(STATE_TESTS)}:{name}:{fork}:{post['indexes']}"
                        case = (test["pre"], post["hash"], post["logs"])
                        cases.append(pytest.param(*case, id=case_id))
    return cases


def test_empty_constants():
    assert EMPTY_TRIE_ROOT == keccak256(rlp.encode(b""))
    assert EMPTY_TRIE_ROOT == bytes.fromhex(
        "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
    )
    assert EMPTY_LOGS_HASH == keccak256(rlp.encode([]))
    assert logs_hash([]).hex() == "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
    assert state_root({}) == storage_root({}) == EMPTY_TRIE_ROOT


def test_zero_slots_are_absent():
    assert storage_root({1: 0, 2: 0}) == EMPTY_TRIE_ROOT
    assert storage_root({1: 5, 2: 0}) == storage_root({1: 5})


def test_account_encoding():
    account = Account(nonce=1, balance=10**18, storage={0: 1})
    expected = rlp.encode([1, 10**18, storage_root({0: 1}), EMPTY_KECCAK256])
    assert encode_account(account) == expected


def test_a_precomputed_code_hash_is_used():
    @dataclass
    class AccountWithCodeHash(Account):
        code_hash: bytes = b""

    code = bytes.fromhex("600160005500")
    honest = AccountWithCodeHash(code=code, code_hash=keccak256(code))
    assert encode_account(honest) == encode_account(Account(code=code))
    stand_in = AccountWithCodeHash(code=code, code_hash=bytes(32))
    assert encode_account(stand_in) != encode_account(Account(code=code))


def test_topics_may_be_ints_or_words():
    address = bytes.fromhex("cc" * 20)
    as_ints = Log(address, [1, 2**256 - 1], b"\x01")
    as_words = Log(address, [(1).to_bytes(32, "big"), b"\xff" * 32], b"\x01")
    assert logs_hash([as_ints]) == logs_hash([as_words])
    expected = keccak256(rlp.encode([[address, [(1).to_bytes(32, "big"), b"\xff" * 32], b"\x01"]]))
    assert logs_hash([as_ints]) == expected


def test_a_topic_must_be_a_word():
    with pytest.raises(ValueError, match="32 bytes"):
        logs_hash([Log(bytes(20), [b"\x01"], b"")])


@pytest.mark.parametrize(("pre", "post_hash", "post_logs"), invalid_transaction_cases())
def test_state_root_of_a_rejected_transaction_is_the_pre_state_root(pre, post_hash, post_logs):
    accounts = {
        bytes.fromhex(address[2:]): account_from_fixture(fields) for address, fields in pre.items()
    }
    assert "0x" + state_root(accounts).hex() == post_hash
    assert "0x" + logs_hash([]).hex() == post_logs


def test_state_root_matches_the_trie_package():
    hexary_trie = pytest.importorskip("trie").HexaryTrie
    oracle_rlp = pytest.importorskip("rlp")
    rng = random.Random(5)
    for _ in range(5):
        accounts = {}
        for _ in range(rng.randint(1, 40)):
            storage = {
                rng.choice([rng.randrange(8), rng.getrandbits(256)]): rng.getrandbits(
                    rng.choice([0, 8, 256])
                )
                for _ in range(rng.randint(0, 30))
            }
            accounts[rng.randbytes(20)] = Account(
                nonce=rng.getrandbits(rng.choice([0, 8, 64])),
                balance=rng.getrandbits(rng.choice([0, 64, 256])),
                code=rng.randbytes(rng.choice([0, 3, 100])),
                storage=storage,
            )
        assert state_root(accounts) == oracle_state_root(accounts, hexary_trie, oracle_rlp)


def oracle_state_root(accounts, hexary_trie, oracle_rlp) -> bytes:
    state = hexary_trie(db={})
    for address, account in accounts.items():
        storage = hexary_trie(db={})
        for slot, value in account.storage.items():
            if value:
                storage[keccak256(slot.to_bytes(32, "big"))] = oracle_rlp.encode(value)
        encoded = oracle_rlp.encode(
            [account.nonce, account.balance, storage.root_hash, keccak256(account.code)]
        )
        state[keccak256(address)] = encoded
    return state.root_hash
