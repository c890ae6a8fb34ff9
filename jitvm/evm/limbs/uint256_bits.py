"""AND OR XOR NOT BYTE SHL SHR SAR SIGNEXTEND CLZ on limb words.

Operands come in the order the EVM pops them: the shift amount, byte index or byte position first,
the value second. A shift moves whole limbs by `amount // 64` and then bits by `amount % 64`; the
bit step is skipped when it is zero, because shifting a uint64 by 64 is undefined in LLVM.
"""

import numpy as np

from jitvm.evm.limbs.uint256 import LIMBS, ZERO_WORD, bit_length, fits_u64, is_negative, word_kernel
from jitvm.evm.limbs.word64 import ALL_ONES, LIMB_BITS, ONE, ZERO

_WORD_BITS = np.uint64(256)
_BIT_IN_LIMB = np.uint64(63)
_LIMB_SHIFT = np.uint64(6)
_BYTE_MASK = np.uint64(0xFF)
_LAST_EXTENDABLE_BYTE = np.uint64(30)  # SIGNEXTEND from byte 31 or above leaves the word alone.


@word_kernel
def and_(a, b):
    """AND: bitwise a & b."""
    return (a[0] & b[0], a[1] & b[1], a[2] & b[2], a[3] & b[3])


@word_kernel
def or_(a, b):
    """OR: bitwise a | b."""
    return (a[0] | b[0], a[1] | b[1], a[2] | b[2], a[3] | b[3])


@word_kernel
def xor(a, b):
    """XOR: bitwise a ^ b."""
    return (a[0] ^ b[0], a[1] ^ b[1], a[2] ^ b[2], a[3] ^ b[3])


@word_kernel
def not_(a):
    """NOT: bitwise complement."""
    return (~a[0], ~a[1], ~a[2], ~a[3])


@word_kernel
def byte(index, value):
    """BYTE: byte `index` of value counted from the most significant (0 when index >= 32)."""
    if not fits_u64(index) or index[0] >= np.uint64(32):
        return ZERO_WORD
    position = np.int64(index[0])
    limb = value[LIMBS - 1 - (position >> 3)]
    shift = np.uint64(8 * (7 - (position & 7)))
    return ((limb >> shift) & _BYTE_MASK, ZERO, ZERO, ZERO)


@word_kernel
def _limb_or(word, index, fill):
    """word[index], or `fill` for an index outside 0..3 (the limbs shifted in from outside)."""
    if index < 0 or index >= LIMBS:
        return fill
    return word[index]


@word_kernel
def _limb_shifted_left(value, source, bits):
    """Limb `source` of value moved up by `bits`, with the top bits of the limb below it."""
    high = _limb_or(value, source, ZERO) << bits
    if bits == ZERO:
        return high
    return high | (_limb_or(value, source - 1, ZERO) >> (LIMB_BITS - bits))


@word_kernel
def _limb_shifted_right(value, source, bits, fill):
    """Limb `source` of value moved down by `bits`, with the low bits of the limb above it."""
    low = _limb_or(value, source, fill) >> bits
    if bits == ZERO:
        return low
    return low | (_limb_or(value, source + 1, fill) << (LIMB_BITS - bits))


@word_kernel
def shl(shift, value):
    """SHL: value << shift modulo 2^256 (0 when shift >= 256)."""
    if not fits_u64(shift) or shift[0] >= _WORD_BITS:
        return ZERO_WORD
    limbs = np.int64(shift[0] >> _LIMB_SHIFT)
    bits = shift[0] & _BIT_IN_LIMB
    return (
        _limb_shifted_left(value, 0 - limbs, bits),
        _limb_shifted_left(value, 1 - limbs, bits),
        _limb_shifted_left(value, 2 - limbs, bits),
        _limb_shifted_left(value, 3 - limbs, bits),
    )


@word_kernel
def _shift_right_filling(shift, value, fill):
    """value >> shift with `fill` (0 or all ones) shifted in from the top."""
    if not fits_u64(shift) or shift[0] >= _WORD_BITS:
        return (fill, fill, fill, fill)
    limbs = np.int64(shift[0] >> _LIMB_SHIFT)
    bits = shift[0] & _BIT_IN_LIMB
    return (
        _limb_shifted_right(value, limbs, bits, fill),
        _limb_shifted_right(value, 1 + limbs, bits, fill),
        _limb_shifted_right(value, 2 + limbs, bits, fill),
        _limb_shifted_right(value, 3 + limbs, bits, fill),
    )


@word_kernel
def shr(shift, value):
    """SHR: logical value >> shift (0 when shift >= 256)."""
    return _shift_right_filling(shift, value, ZERO)


@word_kernel
def sar(shift, value):
    """SAR: arithmetic value >> shift, copying the sign bit (all ones for a negative value >= 256)."""
    return _shift_right_filling(shift, value, ALL_ONES if is_negative(value) else ZERO)


@word_kernel
def _extended_limb(value, limb, sign_limb, keep_mask, fill):
    """Limb `limb` of SIGNEXTEND's result: below the sign limb unchanged, above it all `fill`."""
    if limb < sign_limb:
        return value[limb]
    if limb > sign_limb:
        return fill
    return (value[limb] & keep_mask) | (fill & ~keep_mask)


@word_kernel
def signextend(byte_position, value):
    """SIGNEXTEND: extend the sign of the value's low `byte_position + 1` bytes over the whole word.

    The value is unchanged when byte_position >= 31 (the sign bit is already bit 255).
    """
    if not fits_u64(byte_position) or byte_position[0] > _LAST_EXTENDABLE_BYTE:
        return value
    sign_bit = byte_position[0] * np.uint64(8) + np.uint64(7)
    sign_limb = np.int64(sign_bit >> _LIMB_SHIFT)
    bit_in_limb = sign_bit & _BIT_IN_LIMB
    fill = ALL_ONES if (value[sign_limb] >> bit_in_limb) & ONE else ZERO
    # Bits 0..bit_in_limb of the sign limb stay; for bit 63, 2 << 63 wraps to 0 and the mask to ~0.
    keep_mask = (np.uint64(2) << bit_in_limb) - ONE
    return (
        _extended_limb(value, 0, sign_limb, keep_mask, fill),
        _extended_limb(value, 1, sign_limb, keep_mask, fill),
        _extended_limb(value, 2, sign_limb, keep_mask, fill),
        _extended_limb(value, 3, sign_limb, keep_mask, fill),
    )



@word_kernel
def clz(value):
    """CLZ: the number of leading zero bits (256 for zero, EIP-7939)."""
    return (_WORD_BITS - bit_length(value), ZERO, ZERO, ZERO)
