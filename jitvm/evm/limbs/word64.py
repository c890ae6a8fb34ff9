"""64-bit building blocks of 256-bit arithmetic: wide products, carries and 128-by-64 division.

Numba has no 128-bit integer, so small LLVM intrinsics fill the gap: the full 64x64 -> 128 product
(one `mul` instruction on x86-64), count-leading-zeros, and scratch limbs on the machine stack for
the division's working arrays. The 128-by-64 division never uses a
128-bit divide; it follows the reciprocal method of Möller and Granlund ("Improved division by
invariant integers", IEEE Trans. Computers, 2011): one reciprocal per divisor, computed by Newton
steps from a small table, then a multiply and at most two corrections per quotient limb.

Every value is a numpy uint64: mixing signed and unsigned integers makes Numba compute in float64.
"""

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from jitvm.jit.numba_cache import cached_njit

ZERO = np.uint64(0)
ONE = np.uint64(1)
ALL_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
LIMB_BITS = np.uint64(64)
TOP_BIT = np.uint64(1 << 63)

_I64 = ir.IntType(64)
_I128 = ir.IntType(128)


@intrinsic
def mul_wide(typingctx, a, b):
    """(low, high) limbs of the exact 128-bit product a * b of two uint64."""
    if a != types.uint64 or b != types.uint64:
        return None
    signature = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64)

    def codegen(context, builder, sig, args):
        product = builder.mul(builder.zext(args[0], _I128), builder.zext(args[1], _I128))
        low = builder.trunc(product, _I64)
        high = builder.trunc(builder.lshr(product, ir.Constant(_I128, 64)), _I64)
        return context.make_tuple(builder, sig.return_type, (low, high))

    return signature, codegen


@intrinsic
def leading_zeros(typingctx, value):
    """Number of leading zero bits of a uint64 (64 for zero)."""
    if value != types.uint64:
        return None

    def codegen(context, builder, sig, args):
        return builder.ctlz(args[0], ir.Constant(ir.IntType(1), 0))

    return types.uint64(types.uint64), codegen


@intrinsic
def store_big_endian(typingctx, buffer, index, value):
    """buffer[index : index + 8] = the uint64 `value`, big-endian, in one unaligned store (`buffer` a
    1-d uint8 array). Like any Numba indexing it checks nothing: the caller has proven the bounds.
    (LLVM merges the equivalent eight byte stores for one limb of a word, but not for four.)"""
    if not (isinstance(buffer, types.Array) and buffer.dtype == types.uint8 and buffer.ndim == 1
            and isinstance(index, types.Integer) and value == types.uint64):
        return None

    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        address = builder.bitcast(builder.gep(data, [args[1]]), _I64.as_pointer())
        builder.store(builder.bswap(args[2]), address, align=1)
        return context.get_dummy_value()

    return types.void(buffer, index, value), codegen


@intrinsic
def limb_scratch(typingctx, count):
    """Pointer to `count` uint64 of stack memory in the calling function (count must be a literal).

    Division needs small mutable limb arrays; stack memory costs nothing to allocate, where a numpy
    array would go through the allocator on every opcode. View it with `numba.carray(ptr, count)`.
    """
    if not isinstance(count, types.IntegerLiteral):
        return None
    size = count.literal_value

    def codegen(context, builder, sig, args):
        return cgutils.alloca_once(builder, _I64, size=size)

    return types.CPointer(types.uint64)(count), codegen


@cached_njit(__name__)
def add_carry(a, b, carry):
    """(sum, carry out) of a + b + carry, with carry 0 or 1."""
    partial = a + b
    total = partial + carry
    carry_out = ONE if (partial < a) or (total < partial) else ZERO
    return total, carry_out


@cached_njit(__name__)
def sub_borrow(a, b, borrow):
    """(difference, borrow out) of a - b - borrow, with borrow 0 or 1."""
    partial = a - b
    difference = partial - borrow
    borrow_out = ONE if (a < b) or (partial < borrow) else ZERO
    return difference, borrow_out


@cached_njit(__name__)
def multiply_add(a, b, addend, carry):
    """(low, high) of a * b + addend + carry; cannot overflow 128 bits ((2^64-1)^2 + 2(2^64-1))."""
    low, high = mul_wide(a, b)
    low += addend
    if low < addend:
        high += ONE
    low += carry
    if low < carry:
        high += ONE
    return low, high


# v0 of the reciprocal, indexed by the divisor's top 9 bits minus 256: floor((2^19 - 3 * 2^8) / d9).
_RECIPROCAL_SEEDS = np.array([(2**19 - 3 * 2**8) // top9 for top9 in range(256, 512)], dtype=np.uint64)


@cached_njit(__name__)
def reciprocal_2by1(divisor):
    """floor((2^128 - 1) / divisor) - 2^64 for a normalized divisor (top bit set).

    Möller and Granlund's algorithm 2: an 11-bit seed from a table, three Newton steps (the first
    two on the divisor's top 40 bits, the third on half the divisor) and one adjustment against the
    whole divisor that makes it exact. No divide instruction at all.
    """
    lowest_bit = divisor & ONE
    top_40 = (divisor >> np.uint64(24)) + ONE
    half_up = (divisor >> ONE) + lowest_bit
    seed = _RECIPROCAL_SEEDS[(divisor >> np.uint64(55)) - np.uint64(256)]
    step1 = (seed << np.uint64(11)) - ((seed * seed * top_40) >> np.uint64(40)) - ONE
    step2 = (step1 << np.uint64(13)) + (
        (step1 * ((ONE << np.uint64(60)) - step1 * top_40)) >> np.uint64(47)
    )
    error = ((step2 >> ONE) & (ZERO - lowest_bit)) - step2 * half_up
    _, error_high = mul_wide(step2, error)
    step3 = (step2 << np.uint64(31)) + (error_high >> ONE)
    product_low, product_high = mul_wide(step3, divisor)
    product_low += divisor
    if product_low < divisor:
        product_high += ONE
    return step3 - product_high - divisor


@cached_njit(__name__)
def divide_2by1(high, low, divisor, reciprocal):
    """(quotient, remainder) of (high:low) / divisor, given reciprocal_2by1(divisor).

    Requires a normalized divisor and high < divisor. The estimate from the reciprocal is at most
    one too small or too large, which the two corrections fix.
    """
    estimate_low, estimate_high = mul_wide(reciprocal, high)
    estimate_low += low
    carry = ONE if estimate_low < low else ZERO
    quotient = estimate_high + high + carry + ONE
    remainder = low - quotient * divisor
    if remainder > estimate_low:
        quotient -= ONE
        remainder += divisor
    if remainder >= divisor:
        quotient += ONE
        remainder -= divisor
    return quotient, remainder
