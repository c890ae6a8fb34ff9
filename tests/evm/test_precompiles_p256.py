"""P256VERIFY (EIP-7951, Osaka, at 0x100): signatures made here with `cryptography`, every invalid-input
rule (empty output, the fixed price still charged, never a failure), and a differential test against
ethereum-execution on generated signatures and damaged ones."""

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jitvm.evm.precompiles import PrecompileError, run_precompile
from tests.evm.precompile_oracle import assert_same_as_reference

P256VERIFY = 0x100
PRICE = 6_900
# The curve's group order and field prime (FIPS 186-4, D.1.2.3).
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
VALID = (1).to_bytes(32, "big")


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def signed(secret: int, message: bytes) -> tuple[bytes, int, int, int, int]:
    """(hash, r, s, x, y) for `message` signed by the key `secret`."""
    key = ec.derive_private_key(secret, ec.SECP256R1())
    message_hash = hashlib.sha256(message).digest()
    r, s = decode_dss_signature(key.sign(message_hash, ec.ECDSA(Prehashed(SHA256()))))
    public = key.public_key().public_numbers()
    return message_hash, r, s, public.x, public.y


def encode(message_hash: bytes, r: int, s: int, x: int, y: int) -> bytes:
    return message_hash + word(r) + word(s) + word(x) + word(y)


def run(data: bytes):
    return run_precompile(P256VERIFY, data, PRICE, "Osaka")


SIGNATURE = signed(0xC0FFEE, b"jitvm")


def test_a_valid_signature():
    assert run(encode(*SIGNATURE)) == (VALID, PRICE)


def test_the_high_s_twin_is_valid_too():
    # No malleability rule: (r, n - s) verifies as well as (r, s).
    message_hash, r, s, x, y = SIGNATURE
    assert run(encode(message_hash, r, N - s, x, y)) == (VALID, PRICE)


def test_price_is_charged_first():
    with pytest.raises(PrecompileError):
        run_precompile(P256VERIFY, encode(*SIGNATURE), PRICE - 1, "Osaka")
    with pytest.raises(PrecompileError):
        run_precompile(P256VERIFY, b"", PRICE - 1, "Osaka")


def test_only_from_osaka():
    with pytest.raises(KeyError):
        run_precompile(P256VERIFY, encode(*SIGNATURE), PRICE, "Prague")


def _other_curve_point(x: int, y: int) -> tuple[int, int]:
    return x, (y + 1) % P


@pytest.mark.parametrize(
    "change",
    [
        {"r": 0}, {"s": 0}, {"r": N}, {"s": N}, {"r": 2**256 - 1},
        {"x": 0, "y": 0},  # the point at infinity's usual encoding
        {"x": P}, {"y": P}, {"x": 2**256 - 1},  # coordinates not below p
        {"off_curve": True},
        {"hash": hashlib.sha256(b"not jitvm").digest()},
        {"s_plus_one": True},
    ],
    ids=lambda change: ",".join(change),
)
def test_invalid_inputs_return_nothing_and_charge_the_price(change):
    message_hash, r, s, x, y = SIGNATURE
    fields = {"hash": message_hash, "r": r, "s": s, "x": x, "y": y}
    if change.pop("off_curve", False):
        change["x"], change["y"] = _other_curve_point(x, y)
    if change.pop("s_plus_one", False):
        change["s"] = s + 1
    fields.update(change)
    data = encode(fields["hash"], fields["r"], fields["s"], fields["x"], fields["y"])
    assert run(data) == (b"", PRICE)


@pytest.mark.parametrize("size", [0, 1, 159, 161, 192])
def test_any_other_length_returns_nothing(size):
    data = (encode(*SIGNATURE) + bytes(32))[:size]
    assert run(data) == (b"", PRICE)


# --- differential: ethereum-execution on the same calls ---------------------------------------------

SPECIAL_WORDS = [0, 1, N - 1, N, N + 1, P - 1, P, 2**256 - 1]


@st.composite
def p256_inputs(draw):
    """A real signature, often with one field replaced by an edge value or noise, or cut or extended."""
    message_hash, r, s, x, y = signed(draw(st.integers(1, N - 1)), draw(st.binary(max_size=40)))
    fields = [int.from_bytes(message_hash, "big"), r, s, x, y]
    if draw(st.booleans()):
        index = draw(st.integers(0, 4), label="field")
        fields[index] = draw(st.one_of(st.sampled_from(SPECIAL_WORDS), st.integers(0, 2**256 - 1)))
    data = b"".join(word(value) for value in fields)
    return draw(st.sampled_from([data] * 5 + [data[:-1], data + b"\x00", b""]), label="length")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=p256_inputs(), gas=st.sampled_from([PRICE - 1, PRICE, 100_000]))
def test_same_as_reference(data, gas):
    assert_same_as_reference(P256VERIFY, data, gas, "Osaka")
