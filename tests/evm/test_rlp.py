"""RLP against the Ethereum RLPTests vectors, plus round trips and the strictness of the decoder."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitvm.evm.rlp import RLPDecodingError, decode, encode

RLP_TESTS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "evm" / "RLPTests"

if not RLP_TESTS.is_dir():
    pytest.skip(f"RLP fixtures not found at {RLP_TESTS}", allow_module_level=True)


def load_vectors(*relative_paths: str) -> list:
    vectors = []
    for relative_path in relative_paths:
        for name, vector in json.loads((RLP_TESTS / relative_path).read_text()).items():
            vectors.append(pytest.param(vector, id=f"{relative_path}:{name}"))
    return vectors


def fixture_bytes(hex_text: str) -> bytes:
    """Fixtures write encodings as hex, sometimes without 0x and sometimes in upper case."""
    return bytes.fromhex(hex_text.removeprefix("0x"))


def fixture_item(value):
    """Fixture inputs: text strings are their bytes, '#digits' is a big integer, lists nest."""
    if isinstance(value, list):
        return [fixture_item(element) for element in value]
    if isinstance(value, str) and value.startswith("#"):
        return int(value[1:])
    if isinstance(value, str):
        return value.encode()
    return value


def as_decoded(item):
    """What decoding gives back for an encoded item: integers come back as their bytes."""
    if isinstance(item, list):
        return [as_decoded(element) for element in item]
    if isinstance(item, int):
        return item.to_bytes((item.bit_length() + 7) // 8, "big")
    return item


@pytest.mark.parametrize("vector", load_vectors("rlptest.json"))
def test_encodes_and_decodes_the_valid_vectors(vector):
    item = fixture_item(vector["in"])
    encoded = fixture_bytes(vector["out"])
    assert encode(item) == encoded
    assert decode(encoded) == as_decoded(item)


@pytest.mark.parametrize("vector", load_vectors("invalidRLPTest.json"))
def test_rejects_the_invalid_vectors(vector):
    assert vector["in"] == "INVALID"
    with pytest.raises(RLPDecodingError):
        decode(fixture_bytes(vector["out"]))


@pytest.mark.parametrize("vector", load_vectors("RandomRLPTests/example.json"))
def test_round_trips_the_random_vectors(vector):
    encoded = fixture_bytes(vector["out"])
    if vector["in"] == "VALID":
        assert encode(decode(encoded)) == encoded
    else:
        with pytest.raises(RLPDecodingError):
            decode(encoded)


items = st.recursive(
    st.binary(max_size=80), lambda children: st.lists(children, max_size=6), max_leaves=30
)


@settings(max_examples=200, deadline=None)
@given(items)
def test_decode_inverts_encode(item):
    assert decode(encode(item)) == item


@pytest.mark.parametrize(
    ("encoded", "problem"),
    [
        (b"", "empty input"),
        (b"\x81\x05", "must encode itself"),
        (b"\xb8\x05abcde", "long form"),
        (b"\xb9\x00\x40" + bytes(64), "leading zero"),
        (b"\x83ab", "declares 3 byte.s. but only 2 remain"),
        (b"\x80\x80", "trailing"),
        (b"\xc2\x83abc", "declares 3 byte.s. but only 1 remain"),
        (b"\xbf\x0f\x00", "8-byte length is cut short"),
        (b"\xbf\x0f\x00\x00\x00\x00\x00\x00\x02\x11", "only 1 remain"),
    ],
)
def test_decoding_errors_say_what_is_wrong(encoded, problem):
    with pytest.raises(RLPDecodingError, match=problem):
        decode(encoded)


def test_decoding_errors_are_value_errors():
    assert issubclass(RLPDecodingError, ValueError)


@pytest.mark.parametrize("item", [-1, "text", 1.5, True, None])
def test_encode_rejects_what_rlp_cannot_hold(item):
    with pytest.raises((TypeError, ValueError)):
        encode(item)


def test_tuples_encode_like_lists():
    assert encode((b"dog", 1)) == encode([b"dog", 1])
