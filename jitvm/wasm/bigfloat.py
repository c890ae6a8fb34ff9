"""MultiversX's BigFloat: Go's `big.Float` at 53 bits of precision, rounded to nearest even after
every operation, with a binary exponent limited to +-65025 and Go's `GobEncode` byte format.

A value is exact rational arithmetic rounded to 53 significant bits, so +, -, *, / and square root
round exactly as Go's correctly rounded operations do."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

PRECISION = 53
MAX_EXPONENT = 65025  # Go's MantExp exponent (x = mant * 2**exp, 0.5 <= |mant| < 1) must stay within this
_GOB_VERSION = 1
_FINITE, _ZERO = 1, 0
_EXACT_ACCURACY = 1 << 3  # (Exact + 1) << 3: stored values are always exact copies


class BigFloatError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BigFloat:
    value: Fraction  # already rounded to PRECISION bits

    @staticmethod
    def of(value) -> "BigFloat":
        return BigFloat(round_to_precision(Fraction(value)))

    @property
    def exponent(self) -> int:
        """Go's MantExp exponent: x = mant * 2**exp with 0.5 <= |mant| < 1 (0 for zero)."""
        if self.value == 0:
            return 0
        numerator, denominator = abs(self.value.numerator), self.value.denominator
        exponent = numerator.bit_length() - denominator.bit_length()
        if Fraction(numerator, denominator) >= Fraction(2) ** exponent:
            exponent += 1
        return exponent

    def check_exponent(self) -> "BigFloat":
        if abs(self.exponent) > MAX_EXPONENT and self.value != 0:
            raise BigFloatError("exponent is either too small or too big")
        return self

    def truncate(self) -> int:
        return int(self.value)  # toward zero, as Go's Float.Int

    def gob_encode(self) -> bytes:
        header = bytes([_GOB_VERSION])
        if self.value == 0:
            return header + bytes([_EXACT_ACCURACY | _ZERO << 1]) + PRECISION.to_bytes(4, "big")
        negative = self.value < 0
        exponent = self.exponent
        # The mantissa as one 64-bit word with its top bit set: |x| = word / 2**64 * 2**exponent.
        word = int(abs(self.value) * Fraction(2) ** (64 - exponent))
        flags = _EXACT_ACCURACY | _FINITE << 1 | int(negative)
        return (header + bytes([flags]) + PRECISION.to_bytes(4, "big") + exponent.to_bytes(4, "big", signed=True)
                + word.to_bytes(8, "big"))

    @staticmethod
    def gob_decode(data: bytes) -> "BigFloat":
        """Go's encoding of a 53-bit float back to a value (its exponent is checked when used)."""
        if len(data) < 6 or data[0] != _GOB_VERSION or int.from_bytes(data[2:6], "big") != PRECISION:
            raise BigFloatError("precision of the big float must be 53")
        form = (data[1] >> 1) & 3
        if form == _ZERO:
            return BigFloat(Fraction(0))
        if form != _FINITE or len(data) < 10:
            raise BigFloatError("big float decode error")
        exponent = int.from_bytes(data[6:10], "big", signed=True)
        mantissa = data[10:]
        if not mantissa or not mantissa[0] & 0x80:
            raise BigFloatError("big float decode error")
        word = int.from_bytes(mantissa, "big")
        value = Fraction(word) / Fraction(2) ** (8 * len(mantissa)) * Fraction(2) ** exponent
        return BigFloat(-value if data[1] & 1 else value)


def round_to_precision(value: Fraction) -> Fraction:
    """`value` rounded to PRECISION significant bits, ties to even."""
    if value == 0:
        return Fraction(0)
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    numerator, denominator = magnitude.numerator, magnitude.denominator
    shift = PRECISION - (numerator.bit_length() - denominator.bit_length())  # scale so 2**52 <= scaled < 2**54
    scaled = Fraction(numerator * 2 ** max(shift, 0), denominator * 2 ** max(-shift, 0))
    while scaled >= 2 ** PRECISION:
        scaled /= 2
        shift -= 1
    while scaled < 2 ** (PRECISION - 1):
        scaled *= 2
        shift += 1
    whole, remainder = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and whole & 1):
        whole += 1
    return sign * Fraction(whole) / Fraction(2) ** shift


def sqrt(value: BigFloat) -> BigFloat:
    """The square root rounded to PRECISION bits: isqrt over enough extra bits decides the rounding."""
    if value.value == 0:
        return value
    scale = 2 * (PRECISION + 8) + 2 * abs(value.exponent)
    root = math.isqrt(int(value.value * 4 ** scale))
    # root / 2**scale is sqrt(value) truncated; an exact root needs no sticky bit.
    exact = root * root == value.value * 4 ** scale
    approximate = Fraction(root, 2 ** scale) + (0 if exact else Fraction(1, 2 ** (scale + 1)))
    return BigFloat.of(approximate)


def pow10(exponent: int) -> float:
    """Go's math.Pow10 for the exponents the hooks use (-323 <= exponent <= 0): a tabulated
    negative power of 10**32 divided by a tabulated power of ten below 32, in float64."""
    if exponent >= 0:
        return float(10 ** exponent)
    n = -exponent
    return float(f"1e-{32 * (n // 32)}") / float(f"1e{n % 32}")
