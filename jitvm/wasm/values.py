"""MultiversX scenario values: the one expression format scenario files use for every byte string
(addresses, amounts, storage keys and values, arguments, log topics, code).

    ""  "0"            empty bytes (the number zero is encoded with no bytes)
    "1,000" "-5" "+5"  numbers: unsigned as minimal big-endian bytes, signed ("-", "+") as minimal two's complement
    "0x0a0b" "0b101"   raw bytes in hexadecimal, a number in binary
    "str:abc" "``abc" "''abc"                   UTF-8 text
    "address:name" "address:name#01"            32 bytes: name padded with '_' (the last byte a shard)
    "sc:name" "sc:name#01"                      the same after 8 zero bytes and the Wasm VM type 05 00 (a contract)
    "u8:" .. "u64:" "i8:" .. "i64:"             fixed-width integers
    "biguint:N" "nested:EXPR"                   a 4-byte big-endian length, then the bytes
    "keccak256:EXPR"  "file:PATH"  "mxsc:PATH"  a hash; a file's bytes; the code of an .mxsc.json file
    "true" "false"     1 and empty
    "a|b"              concatenation (binds loosest)

A JSON list stands for the concatenation of its values, an object for that of its values in the
order of their keys.
"""

from __future__ import annotations

import json
from pathlib import Path

from jitvm.errors import InputError
from jitvm.hashing import keccak256

SC_PREFIX = bytes(8) + b"\x05\x00"  # a contract address: 8 zero bytes, then the VM type (Wasm)
ADDRESS_LENGTH = 32
_FIXED_WIDTHS = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "i8": 1, "i16": 2, "i32": 4, "i64": 8}



def interpret(value, base: Path | None = None) -> bytes:
    """The bytes a scenario value expression stands for; `base` resolves file: and mxsc: paths."""
    if isinstance(value, list):
        return b"".join(interpret(item, base) for item in value)
    if isinstance(value, dict):  # the fields in the order of their keys, as the format defines
        return b"".join(interpret(value[key], base) for key in sorted(value))
    if not isinstance(value, str):
        raise InputError("scenario value", f"expected a string, list or object, got {value!r}")
    parts = value.split("|")
    if len(parts) > 1 and not value.startswith(("file:", "mxsc:")):
        return b"".join(_single(part, base) for part in parts)
    return _single(value, base)


def _single(text: str, base: Path | None) -> bytes:
    if text == "" or text == "false":
        return b""
    if text == "true":
        return b"\x01"
    for prefix in ("str:", "``", "''"):
        if text.startswith(prefix):
            return text[len(prefix):].encode()
    if text.startswith("address:"):
        return _address(text[len("address:"):], b"")
    if text.startswith("sc:"):
        return _address(text[len("sc:"):], SC_PREFIX)
    if text.startswith("keccak256:"):
        return keccak256(interpret(text[len("keccak256:"):], base))
    if text.startswith("nested:"):
        inner = interpret(text[len("nested:"):], base)
        return len(inner).to_bytes(4, "big") + inner
    if text.startswith("biguint:"):
        inner = _number(text[len("biguint:"):], text)
        return len(inner).to_bytes(4, "big") + inner
    if text.startswith("file:"):
        return _read(text[len("file:"):], base, text)
    if text.startswith("mxsc:"):
        document = _read(text[len("mxsc:"):], base, text)
        try:
            return bytes.fromhex(json.loads(document)["code"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(text, f"not an .mxsc.json file with a hex 'code' field ({exc})") from None
    prefix, colon, rest = text.partition(":")
    if colon and prefix in _FIXED_WIDTHS:
        return _fixed(rest, _FIXED_WIDTHS[prefix], prefix.startswith("i"), text)
    return _number(text, text)


def _address(name: str, prefix: bytes) -> bytes:
    shard = None
    if "#" in name:
        name, shard_hex = name.split("#", 1)
        try:
            shard = bytes.fromhex(shard_hex)
        except ValueError:
            shard = b""
        if len(shard) != 1:
            raise InputError(f"{name}#{shard_hex}", "the shard after '#' must be one hex byte")
    length = ADDRESS_LENGTH - (1 if shard is not None else 0)
    body = name.encode()[: length - len(prefix)]
    address = prefix + body + b"_" * (length - len(prefix) - len(body))
    return address + (shard or b"")


def _fixed(text: str, width: int, signed: bool, whole: str) -> bytes:
    number = int.from_bytes(_number(text, whole), "big") if not text.startswith("-") else _integer(text, whole)
    try:
        return number.to_bytes(width, "big", signed=signed or number < 0)
    except OverflowError:
        raise InputError(whole, f"does not fit in {width} bytes") from None


def _integer(text: str, whole: str) -> int:
    cleaned = text.replace(",", "")
    try:
        if cleaned.lower().startswith(("0x", "-0x")):
            return int(cleaned, 16)
        if cleaned.lower().startswith("0b"):
            return int(cleaned[2:], 2)
        return int(cleaned, 10)
    except ValueError:
        raise InputError(whole, "not a scenario value (unknown prefix or malformed number)") from None


def _number(text: str, whole: str) -> bytes:
    if text.lower().startswith("0x"):
        digits = text[2:].replace(",", "")
        if len(digits) % 2:
            digits = "0" + digits
        try:
            return bytes.fromhex(digits)
        except ValueError:
            raise InputError(whole, "malformed hexadecimal") from None
    if text.startswith("+"):  # a positive number in the signed encoding (a leading 0 byte if needed)
        return signed_bytes(_integer(text[1:], whole))
    number = _integer(text, whole)
    return signed_bytes(number) if number < 0 else unsigned_bytes(number)


def unsigned_bytes(number: int) -> bytes:
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


def signed_bytes(number: int) -> bytes:
    """Minimal two's complement big-endian bytes (zero is empty)."""
    if number == 0:
        return b""
    length = (number.bit_length() + 8) // 8
    encoded = number.to_bytes(length, "big", signed=True)
    while len(encoded) > 1 and ((encoded[0] == 0 and encoded[1] < 0x80) or (encoded[0] == 0xFF and encoded[1] >= 0x80)):
        encoded = encoded[1:]
    return encoded


def _read(path: str, base: Path | None, whole: str) -> bytes:
    file = (base / path) if base is not None else Path(path)
    try:
        return file.read_bytes()
    except OSError as exc:
        raise InputError(whole, f"cannot read {file}: {exc.strerror or exc}") from None


def as_int(value, base: Path | None = None) -> int:
    """A scenario number (nonces, balances, gas): unsigned big-endian."""
    return int.from_bytes(interpret(value, base), "big")
