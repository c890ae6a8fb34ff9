"""Recursive Length Prefix (RLP): Ethereum's serialization of byte strings and nested lists.

An item is a byte string or a list of items. Integers are not part of RLP itself; by convention they
are encoded as their minimal big-endian bytes (zero is the empty string), and `encode` does that.

`decode` is strict: every item must be in its one canonical form, because Ethereum hashes encodings
and two spellings of the same value would give two hashes.
"""

from collections.abc import Iterable

# The first byte of an encoding says what follows.
SHORT_STRING = 0x80  # + length, for strings of 0..55 bytes (a single byte below 0x80 is itself)
LONG_STRING = 0xB7  # + length of the length, for strings of 56 bytes or more
SHORT_LIST = 0xC0  # + length of the payload, for payloads of 0..55 bytes
LONG_LIST = 0xF7  # + length of the length, for payloads of 56 bytes or more
SHORT_LIMIT = 56  # payloads this long or longer take the long form

Item = bytes | list


class RLPDecodingError(ValueError):
    """The bytes are not the canonical RLP encoding of anything."""


def encode(item) -> bytes:
    """Encode bytes, a non-negative int, or a (nested) list or tuple of those."""
    if isinstance(item, (bytes, bytearray, memoryview)):
        return _encode_string(bytes(item))
    if isinstance(item, (list, tuple)):
        return encode_list_of_encoded(encode(element) for element in item)
    if isinstance(item, int) and not isinstance(item, bool):
        return _encode_string(int_to_minimal_bytes(item))
    raise TypeError(f"RLP encodes bytes, ints and lists, not {type(item).__name__}")


def encode_list_of_encoded(encoded_items: Iterable[bytes]) -> bytes:
    """The RLP list of items that are already encoded (so the trie can embed encoded nodes)."""
    payload = b"".join(encoded_items)
    return _length_prefix(len(payload), SHORT_LIST, LONG_LIST) + payload


def int_to_minimal_bytes(value: int) -> bytes:
    """Big-endian bytes without leading zeros; zero is the empty string."""
    if value < 0:
        raise ValueError(f"RLP cannot encode a negative integer ({value})")
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _encode_string(data: bytes) -> bytes:
    if len(data) == 1 and data[0] < SHORT_STRING:
        return data
    return _length_prefix(len(data), SHORT_STRING, LONG_STRING) + data


def _length_prefix(length: int, short_base: int, long_base: int) -> bytes:
    if length < SHORT_LIMIT:
        return bytes([short_base + length])
    length_bytes = int_to_minimal_bytes(length)
    return bytes([long_base + len(length_bytes)]) + length_bytes


def decode(data: bytes) -> Item:
    """Decode one canonical RLP item that spans all of `data` into nested bytes and lists."""
    data = bytes(data)
    if not data:
        raise RLPDecodingError("empty input: an RLP item is at least one byte")
    item, end = _decode_item(data, 0, len(data))
    if end != len(data):
        raise RLPDecodingError(f"{len(data) - end} trailing byte(s) after the item at offset 0")
    return item


def _decode_item(data: bytes, start: int, limit: int) -> tuple[Item, int]:
    """Decode the item at `start`, which must end by `limit`; return it and the offset past it."""
    is_list, payload_start, payload_end = _read_header(data, start, limit)
    if not is_list:
        return data[payload_start:payload_end], payload_end
    items = []
    position = payload_start
    while position < payload_end:
        item, position = _decode_item(data, position, payload_end)
        items.append(item)
    return items, payload_end


def _read_header(data: bytes, start: int, limit: int) -> tuple[bool, int, int]:
    """Read the prefix at `start`: whether it is a list, and where its payload starts and ends."""
    prefix = data[start]
    if prefix < SHORT_STRING:
        return False, start, start + 1
    if prefix <= LONG_STRING:
        length = prefix - SHORT_STRING
        payload_end = _payload_end(start, start + 1, length, limit)
        if length == 1 and data[start + 1] < SHORT_STRING:
            raise RLPDecodingError(f"offset {start}: a single byte below 0x80 must encode itself")
        return False, start + 1, payload_end
    if prefix < SHORT_LIST:
        length, payload_start = _read_long_length(data, start, prefix - LONG_STRING, limit)
        return False, payload_start, _payload_end(start, payload_start, length, limit)
    if prefix <= LONG_LIST:
        return True, start + 1, _payload_end(start, start + 1, prefix - SHORT_LIST, limit)
    length, payload_start = _read_long_length(data, start, prefix - LONG_LIST, limit)
    return True, payload_start, _payload_end(start, payload_start, length, limit)


def _read_long_length(
    data: bytes, start: int, length_of_length: int, limit: int
) -> tuple[int, int]:
    """Read the big-endian length that follows a long-form prefix; it must be minimal and >= 56."""
    length_start = start + 1
    length_end = length_start + length_of_length
    if length_end > limit:
        raise RLPDecodingError(f"offset {start}: its {length_of_length}-byte length is cut short")
    if data[length_start] == 0:
        raise RLPDecodingError(f"offset {start}: length has a leading zero byte")
    length = int.from_bytes(data[length_start:length_end], "big")
    if length < SHORT_LIMIT:
        raise RLPDecodingError(f"offset {start}: short length {length} written in the long form")
    return length, length_end


def _payload_end(start: int, payload_start: int, length: int, limit: int) -> int:
    """Where `length` bytes from `payload_start` end, if the enclosing item has room for them."""
    payload_end = payload_start + length
    if payload_end > limit:
        room = limit - payload_start
        raise RLPDecodingError(f"offset {start}: declares {length} byte(s) but only {room} remain")
    return payload_end
