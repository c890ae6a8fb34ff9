"""The scenario value format."""

import pytest

from jitvm.errors import InputError
from jitvm.wasm.values import interpret, signed_bytes


@pytest.mark.parametrize("text, expected", [
    ("", b""), ("0", b""), ("5", b"\x05"), ("1,000", b"\x03\xe8"), ("256", b"\x01\x00"),
    ("-1", b"\xff"), ("-128", b"\x80"), ("-129", b"\xff\x7f"), ("+255", b"\x00\xff"), ("+0x80", b"\x00\x80"),
    ("0x0a0b", b"\x0a\x0b"), ("0xabc", b"\x0a\xbc"), ("0b101", b"\x05"),
    ("str:ab", b"ab"), ("``ab", b"ab"), ("''ab", b"ab"), ("true", b"\x01"), ("false", b""),
    ("u8:1", b"\x01"), ("u16:1", b"\x00\x01"), ("u32:258", b"\x00\x00\x01\x02"), ("i8:-1", b"\xff"),
    ("u64:0", bytes(8)), ("biguint:258", b"\x00\x00\x00\x02\x01\x02"), ("nested:str:ab", b"\x00\x00\x00\x02ab"),
    ("u32:1|str:x", b"\x00\x00\x00\x01x"),
    ("address:ab", b"ab" + b"_" * 30), ("sc:ab", bytes(8) + b"\x05\x00" + b"ab" + b"_" * 20),
    ("address:ab#05", b"ab" + b"_" * 29 + b"\x05"),
])
def test_values(text, expected):
    assert interpret(text) == expected


def test_lists_and_maps_concatenate():
    assert interpret(["u8:1", ["u8:2", "u8:3"]]) == b"\x01\x02\x03"
    assert interpret({"a": "u8:1", "b": "str:x"}) == b"\x01x"
    assert interpret({"2-b": "str:x", "1-a": "u8:1"}) == b"\x01x"  # fields in the order of their keys


@pytest.mark.parametrize("text", ["0xzz", "nope", "u8:256", "address:x#1234"])
def test_malformed_values_name_the_input(text):
    with pytest.raises(InputError) as raised:
        interpret(text)
    assert text.split(":", 1)[-1] in str(raised.value)


def test_signed_bytes_are_minimal():
    for number in range(-70000, 70000, 97):
        encoded = signed_bytes(number)
        assert int.from_bytes(encoded, "big", signed=True) == number
        assert len(encoded) <= 1 or encoded[0] not in ((0x00 if encoded[1] < 0x80 else -1), (0xFF if encoded[1] >= 0x80 else -1))
