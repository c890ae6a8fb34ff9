"""BigFloat arithmetic rounds as Go's 53-bit big.Float does, which for values in float64's range is
exactly IEEE double arithmetic: Python's floats are the oracle."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from jitvm.wasm.bigfloat import BigFloat, BigFloatError, pow10, round_to_precision, sqrt

_RANDOM = random.Random(20261207)
_PAIRS = [(_RANDOM.uniform(-1e6, 1e6) * 10 ** _RANDOM.randint(-30, 30),
           _RANDOM.uniform(-1e6, 1e6) * 10 ** _RANDOM.randint(-30, 30)) for _ in range(500)]


def test_operations_round_like_doubles():
    for a, b in _PAIRS:
        for exact, rounded in ((Fraction(a) + Fraction(b), a + b), (Fraction(a) - Fraction(b), a - b),
                               (Fraction(a) * Fraction(b), a * b), (Fraction(a) / Fraction(b), a / b)):
            assert float(round_to_precision(exact)) == rounded


def test_square_root_is_correctly_rounded():
    for a, _ in _PAIRS:
        assert float(sqrt(BigFloat.of(abs(a))).value) == math.sqrt(abs(a))
    assert sqrt(BigFloat.of(152399025)).value == 12345


def test_go_encoding_round_trips():
    encoded = bytes.fromhex("010b0000003500000016eb34e40000000000")  # -3853625, from the fixtures
    value = BigFloat.gob_decode(encoded)
    assert value.value == -3853625 and value.gob_encode() == encoded
    for a, _ in _PAIRS[:50]:
        value = BigFloat.of(a)
        assert BigFloat.gob_decode(value.gob_encode()) == value


@pytest.mark.parametrize("encoded", ["010a000000350000003a001f1c1a96fe0e2d", "02"])
def test_malformed_encodings_are_refused(encoded):
    with pytest.raises(BigFloatError):
        BigFloat.gob_decode(bytes.fromhex(encoded))


def test_exponent_limit_and_powers_of_ten():
    with pytest.raises(BigFloatError, match="too small or too big"):
        BigFloat(Fraction(2) ** 70000).check_exponent()
    assert pow10(-3) == 0.001 and pow10(-323) == 1e-323 and pow10(0) == 1.0
