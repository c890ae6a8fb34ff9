"""Merkle-Patricia roots against the Ethereum TrieTests vectors.

The `trietest*` files list insertions in order (a null value deletes the key); the `trieanyorder*`
and hex-encoded files give the final mapping. `*_secureTrie` and the hex-encoded file hash the keys.
`trietestnextprev.json` tests walking a trie's keys in order, which a root-only builder does not do.
"""

import json
import random
from pathlib import Path

import pytest

from jitvm.evm import rlp
from jitvm.evm.trie import EMPTY_TRIE_ROOT, hex_prefix, trie_root
from jitvm.hashing import keccak256

TRIE_TESTS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "evm" / "TrieTests"

if not TRIE_TESTS.is_dir():
    pytest.skip(f"trie fixtures not found at {TRIE_TESTS}", allow_module_level=True)

# file -> whether its keys are hashed before they go in the trie
ROOT_VECTOR_FILES = {
    "trietest.json": False,
    "trieanyorder.json": False,
    "trietest_secureTrie.json": True,
    "trieanyorder_secureTrie.json": True,
    "hex_encoded_securetrie_test.json": True,
}


def load_vectors() -> list:
    vectors = []
    for file_name, secure in ROOT_VECTOR_FILES.items():
        for name, vector in json.loads((TRIE_TESTS / file_name).read_text()).items():
            vectors.append(pytest.param(vector, secure, id=f"{file_name}:{name}"))
    return vectors


def fixture_bytes(text: str | None) -> bytes:
    """'0x...' is hex, other text is its bytes, null is the empty value that deletes a key."""
    if text is None:
        return b""
    if text.startswith("0x"):
        return bytes.fromhex(text[2:])
    return text.encode()


def final_mapping(updates, secure: bool) -> dict[bytes, bytes]:
    """Apply the updates in order: later values win, an empty value deletes."""
    pairs = updates.items() if isinstance(updates, dict) else updates
    mapping = {}
    for key_text, value_text in pairs:
        key = fixture_bytes(key_text)
        mapping[keccak256(key) if secure else key] = fixture_bytes(value_text)
    return {key: value for key, value in mapping.items() if value}


def test_every_root_vector_file_is_covered():
    files = {path.name for path in TRIE_TESTS.glob("*.json")}
    assert files - set(ROOT_VECTOR_FILES) == {"trietestnextprev.json"}


@pytest.mark.parametrize(("vector", "secure"), load_vectors())
def test_root_matches_the_vector(vector, secure):
    assert trie_root(final_mapping(vector["in"], secure)) == fixture_bytes(vector["root"])


def test_empty_values_are_absent():
    assert trie_root({}) == EMPTY_TRIE_ROOT == keccak256(rlp.encode(b""))
    assert trie_root({b"dog": b""}) == EMPTY_TRIE_ROOT
    assert trie_root({b"dog": b"puppy", b"cat": b""}) == trie_root({b"dog": b"puppy"})


def test_insertion_order_does_not_matter():
    rng = random.Random(7)
    mapping = {
        rng.randbytes(rng.randint(0, 6)): rng.randbytes(rng.randint(1, 40)) for _ in range(300)
    }
    items = list(mapping.items())
    root = trie_root(mapping)
    rng.shuffle(items)
    assert trie_root(dict(items)) == root


def test_a_small_root_node_is_still_hashed():
    leaf = rlp.encode([hex_prefix("61", is_leaf=True), b"b"])  # key b"a" -> nibbles "61"
    assert len(leaf) < 32
    assert trie_root({b"a": b"b"}) == keccak256(leaf)


@pytest.mark.parametrize(
    ("nibbles", "is_leaf", "packed"),
    [
        ("", False, "00"),
        ("", True, "20"),
        ("1", False, "11"),
        ("1", True, "31"),
        ("12", False, "0012"),
        ("0f1cb8", True, "200f1cb8"),
        ("f1cb8", True, "3f1cb8"),
    ],
)
def test_hex_prefix(nibbles, is_leaf, packed):
    assert hex_prefix(nibbles, is_leaf).hex() == packed


def test_roots_match_the_trie_package():
    """Keys that are prefixes of one another, and the empty key, against an independent trie."""
    hexary_trie = pytest.importorskip("trie").HexaryTrie
    rng = random.Random(11)
    for _ in range(30):
        mapping = {
            rng.randbytes(rng.randint(0, 3)): rng.randbytes(rng.randint(1, 50))
            for _ in range(rng.randint(1, 60))
        }
        oracle = hexary_trie(db={})
        for key, value in mapping.items():
            oracle[key] = value
        assert trie_root(mapping) == oracle.root_hash
