"""The root hash of a Merkle-Patricia trie, built in one pass from the sorted keys.

Only the root is needed (for state, storage and receipt roots), so no trie is kept: the keys are
sorted, and each node is encoded straight from the run of keys below it. A run of keys that share a
nibble prefix becomes an extension, a run that splits becomes a branch, a single key becomes a leaf.

Nibble paths are written as lowercase hex strings: one character per nibble, ordered like the bytes
they come from, and sliced, compared and hex-prefix encoded with plain string operations.

Keys are used as given; a secure trie hashes them first, which is the caller's business.
"""

from collections.abc import Mapping

from jitvm.evm.rlp import encode, encode_list_of_encoded
from jitvm.hashing import keccak256

# keccak256(rlp(b"")): the root of a trie with no keys.
EMPTY_TRIE_ROOT = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")

EMPTY_SLOT = encode(b"")  # an absent child or value in a branch
BRANCH_WIDTH = 16  # one child per nibble; the 17th slot holds the value of a key ending here
HASHED_REFERENCE_SIZE = 32  # nodes encoding to this many bytes or more are referenced by their hash

# Hex-prefix encoding: the first nibble says whether the node is a leaf and whether the path is odd.
LEAF_FLAG = 2
ODD_FLAG = 1


def trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """The Merkle-Patricia root of `items`; a key whose value is empty is absent."""
    entries = sorted((bytes(key).hex(), bytes(value)) for key, value in items.items() if value)
    if not entries:
        return EMPTY_TRIE_ROOT
    paths = [path for path, _ in entries]
    values = [value for _, value in entries]
    return keccak256(_encode_node(paths, values, 0, len(paths), 0))


def _encode_node(paths: list[str], values: list[bytes], first: int, end: int, depth: int) -> bytes:
    """Encode the node holding entries first..end-1, which all share their first `depth` nibbles."""
    path = paths[first]
    if end - first == 1:
        return _encode_short_node(path[depth:], encode(values[first]), is_leaf=True)
    # Sorted, so what the first and last paths share, all of them share.
    shared_depth = _common_prefix_end(path, paths[end - 1], depth)
    if shared_depth == depth:
        return _encode_branch(paths, values, first, end, depth)
    branch = _encode_branch(paths, values, first, end, shared_depth)
    return _encode_short_node(path[depth:shared_depth], _reference(branch), is_leaf=False)


def _encode_short_node(nibbles: str, encoded_payload: bytes, is_leaf: bool) -> bytes:
    """A leaf [path, value] or an extension [path, child reference]."""
    return encode_list_of_encoded([encode(hex_prefix(nibbles, is_leaf)), encoded_payload])


def _encode_branch(
    paths: list[str], values: list[bytes], first: int, end: int, depth: int
) -> bytes:
    """Encode a branch at `depth`: entries first..end-1 split on their nibble at `depth`."""
    slots = [EMPTY_SLOT] * (BRANCH_WIDTH + 1)
    if len(paths[first]) == depth:  # a key ending here sorts first; its value lives in the branch
        slots[BRANCH_WIDTH] = encode(values[first])
        first += 1
    group_start = first
    while group_start < end:
        nibble = paths[group_start][depth]
        group_end = group_start + 1
        while group_end < end and paths[group_end][depth] == nibble:
            group_end += 1
        child = _encode_node(paths, values, group_start, group_end, depth + 1)
        slots[int(nibble, 16)] = _reference(child)
        group_start = group_end
    return encode_list_of_encoded(slots)


def _reference(encoded_node: bytes) -> bytes:
    """How a parent refers to a child: small nodes are embedded, others go by their hash."""
    if len(encoded_node) < HASHED_REFERENCE_SIZE:
        return encoded_node
    return encode(keccak256(encoded_node))


def _common_prefix_end(a: str, b: str, start: int) -> int:
    end = start
    limit = min(len(a), len(b))
    while end < limit and a[end] == b[end]:
        end += 1
    return end


def hex_prefix(nibbles: str, is_leaf: bool) -> bytes:
    """Pack a nibble path (hex string) into bytes behind a flag nibble: leaf or not, odd or even."""
    flag = LEAF_FLAG if is_leaf else 0
    if len(nibbles) % 2:
        return bytes.fromhex(f"{flag | ODD_FLAG:x}{nibbles}")
    return bytes.fromhex(f"{flag:x}0{nibbles}")
