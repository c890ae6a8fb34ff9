"""DIV SDIV MOD SMOD ADDMOD MULMOD on limb words: Knuth's algorithm D on 64-bit limbs.

Knuth, TAOCP vol. 2, 4.3.1, algorithm D: normalize so the divisor's top limb has its top bit set,
then produce one quotient limb per step from a 128-by-64 estimate (`divide_2by1`), refined with the
divisor's second limb so it is at most one too large, and fixed by an add-back when the
multiply-and-subtract goes negative. Fast paths skip all of it when both operands fit 64 bits (one
hardware divide) and when the divisor fits 64 bits (one 128-by-64 step per dividend limb).

The working limbs live in stack scratch (`limb_scratch`), so no opcode touches the allocator.
ADDMOD and MULMOD reduce their full 257-bit and 512-bit intermediates with the same routines.
"""

import numpy as np
from numba import carray

from jitvm.evm.limbs.uint256 import (
    ONE_WORD,
    ZERO_WORD,
    add,
    fits_u64,
    is_negative,
    is_zero,
    negate,
    sub,
    unsigned_less,
    word_kernel,
)
from jitvm.evm.limbs.uint256_bits import and_, shr
from jitvm.evm.limbs.word64 import (
    LIMB_BITS,
    ONE,
    ZERO,
    add_carry,
    divide_2by1,
    leading_zeros,
    limb_scratch,
    mul_wide,
    multiply_add,
    reciprocal_2by1,
    sub_borrow,
)
from jitvm.jit.numba_cache import cached_njit

# Longest dividend: MULMOD's 512-bit product. Knuth D needs one more limb for normalization.
_MAX_DIVIDEND_LIMBS = 8
_NORMALIZED_LIMBS = _MAX_DIVIDEND_LIMBS + 1

# Helpers that take limb arrays are inlined by Numba itself: across a real call each array is a
# struct passed by pointer with reference-counting calls, which cost more than the arithmetic.
limb_kernel = cached_njit(__name__, error_model="numpy", inline="always")


# --- Limb-array steps ---------------------------------------------------------------------------


@limb_kernel
def _fill_from_word(limbs, word):
    """Copy a word into limbs[0:4]."""
    for index in range(4):
        limbs[index] = word[index]


@limb_kernel
def _fill_zero(limbs):
    """Set every limb to zero."""
    for index in range(limbs.size):
        limbs[index] = ZERO


@limb_kernel
def _word_from(limbs):
    """The word in limbs[0:4]."""
    return (limbs[0], limbs[1], limbs[2], limbs[3])


@limb_kernel
def _significant_limbs(limbs, count):
    """Length of limbs[:count] without its leading zero limbs."""
    while count > 0 and limbs[count - 1] == ZERO:
        count -= 1
    return count


@limb_kernel
def _shift_left_into(source, count, shift, target):
    """target[:count] = source[:count] << shift (shift < 64); returns the bits pushed out the top."""
    if shift == ZERO:
        for index in range(count):
            target[index] = source[index]
        return ZERO
    back = LIMB_BITS - shift
    carried = ZERO
    for index in range(count):
        limb = source[index]
        target[index] = (limb << shift) | carried
        carried = limb >> back
    return carried


@limb_kernel
def _shift_right_into(source, count, shift, target):
    """target[:count] = source[:count] >> shift (shift < 64), dropping the bits shifted out."""
    if shift == ZERO:
        for index in range(count):
            target[index] = source[index]
        return
    back = LIMB_BITS - shift
    for index in range(count - 1):
        target[index] = (source[index] >> shift) | (source[index + 1] << back)
    target[count - 1] = source[count - 1] >> shift


@limb_kernel
def _divide_by_limb(numerator, length, divisor, quotient):
    """quotient[:length] = numerator[:length] // divisor, returning the remainder (divisor != 0)."""
    shift = leading_zeros(divisor)
    normalized = divisor << shift
    reciprocal = reciprocal_2by1(normalized)
    if shift == ZERO:
        remainder = ZERO
        for index in range(length - 1, -1, -1):
            limb, remainder = divide_2by1(remainder, numerator[index], normalized, reciprocal)
            quotient[index] = limb
        return remainder
    # Shift the dividend left with the divisor, one limb at a time, instead of copying it.
    back = LIMB_BITS - shift
    remainder = numerator[length - 1] >> back
    for index in range(length - 1, 0, -1):
        low = (numerator[index] << shift) | (numerator[index - 1] >> back)
        limb, remainder = divide_2by1(remainder, low, normalized, reciprocal)
        quotient[index] = limb
    limb, remainder = divide_2by1(remainder, numerator[0] << shift, normalized, reciprocal)
    quotient[0] = limb
    return remainder >> shift


@limb_kernel
def _estimate_quotient_limb(top, middle, low, divisor_top, divisor_next, reciprocal):
    """Knuth's q-hat: (top:middle:low) / (divisor_top:divisor_next), at most one too large.

    The caller guarantees top <= divisor_top (the running remainder is below the divisor).
    """
    if top == divisor_top:
        # The 2-by-1 quotient would not fit a limb; 2^64 - 1 is the largest candidate.
        estimate = ~ZERO
        remainder = middle + divisor_top
        if remainder < divisor_top:
            return estimate  # The remainder passed 2^64, so the test below cannot fail.
    else:
        estimate, remainder = divide_2by1(top, middle, divisor_top, reciprocal)
    # While estimate * divisor_next > (remainder:low) the estimate is too large (at most twice).
    product_low, product_high = mul_wide(estimate, divisor_next)
    while product_high > remainder or (product_high == remainder and product_low > low):
        estimate -= ONE
        remainder += divisor_top
        if remainder < divisor_top:
            break
        if product_low < divisor_next:
            product_high -= ONE
        product_low -= divisor_next
    return estimate


@limb_kernel
def _subtract_multiple(running, offset, divisor, count, multiplier):
    """running[offset : offset+count+1] -= multiplier * divisor[:count]; True if it went negative."""
    carry = ZERO
    borrow = ZERO
    for index in range(count):
        product_low, carry = multiply_add(multiplier, divisor[index], carry, ZERO)
        difference, borrow = sub_borrow(running[offset + index], product_low, borrow)
        running[offset + index] = difference
    difference, borrow = sub_borrow(running[offset + count], carry, borrow)
    running[offset + count] = difference
    return borrow != ZERO


@limb_kernel
def _add_back(running, offset, divisor, count):
    """running[offset : offset+count+1] += divisor[:count], dropping the final carry."""
    carry = ZERO
    for index in range(count):
        total, carry = add_carry(running[offset + index], divisor[index], carry)
        running[offset + index] = total
    running[offset + count] += carry


@limb_kernel
def _divide_long(numerator, length, divisor, divisor_length, quotient, remainder):
    """Algorithm D for 2 <= divisor_length <= length and a nonzero top divisor limb.

    Writes quotient[: length - divisor_length + 1] and remainder[:divisor_length].
    """
    top = divisor_length - 1
    shift = leading_zeros(divisor[top])
    running = carray(limb_scratch(_NORMALIZED_LIMBS), _NORMALIZED_LIMBS)
    normalized = carray(limb_scratch(4), 4)
    _shift_left_into(divisor, divisor_length, shift, normalized)
    running[length] = _shift_left_into(numerator, length, shift, running)
    divisor_top = normalized[top]
    divisor_next = normalized[top - 1]
    reciprocal = reciprocal_2by1(divisor_top)
    for position in range(length - divisor_length, -1, -1):
        estimate = _estimate_quotient_limb(
            running[position + divisor_length],
            running[position + top],
            running[position + top - 1],
            divisor_top,
            divisor_next,
            reciprocal,
        )
        if _subtract_multiple(running, position, normalized, divisor_length, estimate):
            estimate -= ONE
            _add_back(running, position, normalized, divisor_length)
        quotient[position] = estimate
    _shift_right_into(running, divisor_length, shift, remainder)


@limb_kernel
def _divide_limbs(numerator_memory, length, divisor, quotient_memory):
    """quotient[:length] = numerator[:length] // divisor; returns the remainder as a word.

    Every long division lands here (divisor != 0, length <= 8, quotient zeroed by the caller). It
    is inlined into DIV/MOD, ADDMOD and MULMOD: one shared out-of-line copy compiled 2.8 s faster
    from cold but cost 5 ns per division (DIV 256/256: 57 -> 62 ns). It takes raw pointers so that
    moving it out of line again would not bring reference-counting calls with the arrays.
    """
    numerator = carray(numerator_memory, length)
    quotient = carray(quotient_memory, length)
    length = _significant_limbs(numerator, length)
    if length == 0:
        return ZERO_WORD
    if fits_u64(divisor):
        return (_divide_by_limb(numerator, length, divisor[0], quotient), ZERO, ZERO, ZERO)
    divisor_limbs = carray(limb_scratch(4), 4)
    _fill_from_word(divisor_limbs, divisor)
    divisor_length = _significant_limbs(divisor_limbs, 4)
    remainder = carray(limb_scratch(4), 4)
    _fill_zero(remainder)
    if length < divisor_length:
        for index in range(length):
            remainder[index] = numerator[index]
    else:
        _divide_long(numerator, length, divisor_limbs, divisor_length, quotient, remainder)
    return _word_from(remainder)


@limb_kernel
def _reduce(numerator, length, modulus):
    """The limbs at `numerator` (a pointer to `length` <= 8 limbs) mod modulus (modulus != 0)."""
    quotient = limb_scratch(_MAX_DIVIDEND_LIMBS)
    _fill_zero(carray(quotient, _MAX_DIVIDEND_LIMBS))
    return _divide_limbs(numerator, length, modulus, quotient)


# --- Unsigned and signed division ----------------------------------------------------------------


@word_kernel
def divmod_words(a, b):
    """(a // b, a % b) as words; (0, 0) when b is zero, as the EVM defines it."""
    if is_zero(b):
        return ZERO_WORD, ZERO_WORD
    if fits_u64(a) and fits_u64(b):
        return (a[0] // b[0], ZERO, ZERO, ZERO), (a[0] % b[0], ZERO, ZERO, ZERO)
    if unsigned_less(a, b):
        return ZERO_WORD, a
    numerator = limb_scratch(4)
    quotient = limb_scratch(4)
    _fill_from_word(carray(numerator, 4), a)
    _fill_zero(carray(quotient, 4))
    remainder = _divide_limbs(numerator, 4, b, quotient)
    return _word_from(carray(quotient, 4)), remainder


@word_kernel
def single_bit(word):
    """The index of the word's only set bit, or -1 when it has none or several: dividing by a power
    of two is a shift (contracts divide by 2**k to shift; sha1_divs does little else)."""
    index = -1
    for limb in range(4):
        value = word[limb]
        if value != ZERO:
            if index >= 0 or (value & (value - ONE)) != ZERO:
                return -1
            index = 64 * limb + 63 - np.int64(leading_zeros(value))
    return index


@word_kernel
def div(a, b):
    """DIV: a // b, or 0 when b is 0. The cases short of a long division stay inline."""
    bit = single_bit(b)
    if bit >= 0:
        return shr((np.uint64(bit), ZERO, ZERO, ZERO), a)
    if fits_u64(a) and fits_u64(b) and b[0] != ZERO:
        return (a[0] // b[0], ZERO, ZERO, ZERO)
    quotient, _ = divmod_words(a, b)
    return quotient


@word_kernel
def mod(a, b):
    """MOD: a % b, or 0 when b is 0. The cases short of a long division stay inline."""
    if single_bit(b) >= 0:
        return and_(a, sub(b, ONE_WORD))
    if fits_u64(a) and fits_u64(b) and b[0] != ZERO:
        return (a[0] % b[0], ZERO, ZERO, ZERO)
    _, remainder = divmod_words(a, b)
    return remainder


@word_kernel
def _magnitude(a):
    """|a| of a two's-complement word (2^255 for -2^255, which is right read as unsigned)."""
    return negate(a) if is_negative(a) else a


@word_kernel
def sdiv(a, b):
    """SDIV: a / b rounded toward zero, as two's complement; -2^255 / -1 wraps to -2^255."""
    quotient, _ = divmod_words(_magnitude(a), _magnitude(b))
    return negate(quotient) if is_negative(a) != is_negative(b) else quotient


@word_kernel
def smod(a, b):
    """SMOD: the remainder of SDIV, with the sign of the dividend a (0 when b is 0)."""
    _, remainder = divmod_words(_magnitude(a), _magnitude(b))
    return negate(remainder) if is_negative(a) else remainder


# --- Modular arithmetic over the full-precision intermediate ------------------------------------


@word_kernel
def addmod(a, b, modulus):
    """ADDMOD: (a + b) mod modulus over the exact 257-bit sum, or 0 when modulus is 0."""
    if is_zero(modulus):
        return ZERO_WORD
    if unsigned_less(a, modulus) and unsigned_less(b, modulus):
        # a + b < 2 * modulus: one conditional subtraction, which may wrap past 2^256 back in range.
        total = add(a, b)
        if unsigned_less(total, a) or not unsigned_less(total, modulus):
            return sub(total, modulus)
        return total
    total_memory = limb_scratch(5)
    total = carray(total_memory, 5)
    carry = ZERO
    for index in range(4):
        limb, carry = add_carry(a[index], b[index], carry)
        total[index] = limb
    total[4] = carry
    return _reduce(total_memory, 5, modulus)


@limb_kernel
def _multiply_full(a, b, product):
    """product[0:8] = a * b, all 512 bits, by schoolbook rows."""
    _fill_zero(product)
    for row in range(4):
        carry = ZERO
        for column in range(4):
            low, carry = multiply_add(a[row], b[column], product[row + column], carry)
            product[row + column] = low
        product[row + 4] = carry


@limb_kernel
def _shift_pair_left(high, low, shift):
    """The top limb of (high:low) << shift, for 0 <= shift < 64 (no shift by 64, which LLVM leaves
    undefined)."""
    return (high << shift) | ((low >> ONE) >> (np.uint64(63) - shift))


@limb_kernel
def _shift_pair_right(low, high, shift):
    """The low limb of (high:low) >> shift, for 0 <= shift < 64."""
    return (low >> shift) | ((high << ONE) << (np.uint64(63) - shift))


@limb_kernel
def _reduce_step(w0, w1, w2, w3, w4, d0, d1, d2, d3, reciprocal):
    """(w4:w3:w2:w1:w0) mod the normalized divisor (d3:d2:d1:d0), given that it is below
    2^64 times the divisor: one step of algorithm D on values in registers."""
    estimate = _estimate_quotient_limb(w4, w3, w2, d3, d2, reciprocal)
    p0, carry = mul_wide(estimate, d0)
    p1, carry = multiply_add(estimate, d1, carry, ZERO)
    p2, carry = multiply_add(estimate, d2, carry, ZERO)
    p3, carry = multiply_add(estimate, d3, carry, ZERO)
    r0, borrow = sub_borrow(w0, p0, ZERO)
    r1, borrow = sub_borrow(w1, p1, borrow)
    r2, borrow = sub_borrow(w2, p2, borrow)
    r3, borrow = sub_borrow(w3, p3, borrow)
    _, borrow = sub_borrow(w4, carry, borrow)
    if borrow != ZERO:  # the estimate was one too large (rare): add the divisor back
        r0, carry = add_carry(r0, d0, ZERO)
        r1, carry = add_carry(r1, d1, carry)
        r2, carry = add_carry(r2, d2, carry)
        r3, carry = add_carry(r3, d3, carry)
    return r0, r1, r2, r3


@limb_kernel
def _mulmod_wide_modulus(a, b, modulus):
    """a * b mod a modulus whose top limb is not zero (the usual case: a prime of 193 bits or
    more), written out on values in registers: the 512-bit product, normalized, then five steps of
    algorithm D. The general path (_multiply_full, _reduce) keeps its limbs in stack arrays and
    loops over lengths it learns at run time, which costs a third more (bench/mulmod_speed.py)."""
    x0, carry = mul_wide(a[0], b[0])
    x1, carry = multiply_add(a[0], b[1], carry, ZERO)
    x2, carry = multiply_add(a[0], b[2], carry, ZERO)
    x3, x4 = multiply_add(a[0], b[3], carry, ZERO)
    x1, carry = multiply_add(a[1], b[0], x1, ZERO)
    x2, carry = multiply_add(a[1], b[1], x2, carry)
    x3, carry = multiply_add(a[1], b[2], x3, carry)
    x4, x5 = multiply_add(a[1], b[3], x4, carry)
    x2, carry = multiply_add(a[2], b[0], x2, ZERO)
    x3, carry = multiply_add(a[2], b[1], x3, carry)
    x4, carry = multiply_add(a[2], b[2], x4, carry)
    x5, x6 = multiply_add(a[2], b[3], x5, carry)
    x3, carry = multiply_add(a[3], b[0], x3, ZERO)
    x4, carry = multiply_add(a[3], b[1], x4, carry)
    x5, carry = multiply_add(a[3], b[2], x5, carry)
    x6, x7 = multiply_add(a[3], b[3], x6, carry)
    shift = leading_zeros(modulus[3])
    d3 = _shift_pair_left(modulus[3], modulus[2], shift)
    d2 = _shift_pair_left(modulus[2], modulus[1], shift)
    d1 = _shift_pair_left(modulus[1], modulus[0], shift)
    d0 = modulus[0] << shift
    reciprocal = reciprocal_2by1(d3)
    r0, r1, r2, r3 = _reduce_step(_shift_pair_left(x4, x3, shift), _shift_pair_left(x5, x4, shift),
                                  _shift_pair_left(x6, x5, shift), _shift_pair_left(x7, x6, shift),
                                  _shift_pair_left(ZERO, x7, shift), d0, d1, d2, d3, reciprocal)
    r0, r1, r2, r3 = _reduce_step(_shift_pair_left(x3, x2, shift), r0, r1, r2, r3, d0, d1, d2, d3, reciprocal)
    r0, r1, r2, r3 = _reduce_step(_shift_pair_left(x2, x1, shift), r0, r1, r2, r3, d0, d1, d2, d3, reciprocal)
    r0, r1, r2, r3 = _reduce_step(_shift_pair_left(x1, x0, shift), r0, r1, r2, r3, d0, d1, d2, d3, reciprocal)
    r0, r1, r2, r3 = _reduce_step(x0 << shift, r0, r1, r2, r3, d0, d1, d2, d3, reciprocal)
    return (_shift_pair_right(r0, r1, shift), _shift_pair_right(r1, r2, shift), _shift_pair_right(r2, r3, shift),
            r3 >> shift)


@word_kernel
def mulmod(a, b, modulus):
    """MULMOD: (a * b) mod modulus over the exact 512-bit product, or 0 when modulus is 0."""
    if modulus[3] != ZERO:
        return _mulmod_wide_modulus(a, b, modulus)
    if is_zero(modulus):
        return ZERO_WORD
    product = limb_scratch(_MAX_DIVIDEND_LIMBS)
    _multiply_full(a, b, carray(product, _MAX_DIVIDEND_LIMBS))
    return _reduce(product, _MAX_DIVIDEND_LIMBS, modulus)
