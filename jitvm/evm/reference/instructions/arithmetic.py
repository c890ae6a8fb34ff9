"""Arithmetic on 256-bit words: wrap-around unsigned, two's complement where signed."""

from jitvm.evm import gas
from jitvm.evm.reference.frame import UINT256_MASK, charge, to_signed, to_unsigned
from jitvm.evm.reference.instructions import instruction


@instruction("ADD")
def add(frame):
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    stack.append((a + b) & UINT256_MASK)


@instruction("MUL")
def mul(frame):
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    stack.append((a * b) & UINT256_MASK)


@instruction("SUB")
def sub(frame):
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    stack.append((a - b) & UINT256_MASK)


@instruction("DIV")
def div(frame):
    """Unsigned division; dividing by zero gives zero."""
    stack = frame.stack
    dividend = stack.pop()
    divisor = stack.pop()
    stack.append(dividend // divisor if divisor else 0)


@instruction("SDIV")
def sdiv(frame):
    """Signed division rounding toward zero; -2**255 / -1 overflows back to -2**255."""
    stack = frame.stack
    dividend = to_signed(stack.pop())
    divisor = to_signed(stack.pop())
    if divisor == 0:
        quotient = 0
    else:
        sign = -1 if (dividend < 0) != (divisor < 0) else 1
        quotient = sign * (abs(dividend) // abs(divisor))
    stack.append(to_unsigned(quotient))


@instruction("MOD")
def mod(frame):
    stack = frame.stack
    a = stack.pop()
    modulus = stack.pop()
    stack.append(a % modulus if modulus else 0)


@instruction("SMOD")
def smod(frame):
    """Signed remainder; the result takes the sign of the dividend."""
    stack = frame.stack
    a = to_signed(stack.pop())
    modulus = to_signed(stack.pop())
    if modulus == 0:
        remainder = 0
    else:
        remainder = abs(a) % abs(modulus)
        if a < 0:
            remainder = -remainder
    stack.append(to_unsigned(remainder))


@instruction("ADDMOD")
def addmod(frame):
    """(a + b) % n with the sum taken at full precision."""
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    modulus = stack.pop()
    stack.append((a + b) % modulus if modulus else 0)


@instruction("MULMOD")
def mulmod(frame):
    """(a * b) % n with the product taken at full precision."""
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    modulus = stack.pop()
    stack.append((a * b) % modulus if modulus else 0)


@instruction("EXP")
def exp(frame):
    """base ** exponent mod 2**256; each byte of the exponent costs extra gas."""
    stack = frame.stack
    base = stack.pop()
    exponent = stack.pop()
    charge(frame, gas.exp_cost(exponent))
    stack.append(pow(base, exponent, 1 << 256))


@instruction("SIGNEXTEND")
def signextend(frame):
    """Extend the sign bit of byte `size_minus_one` (counting from the least significant) upward."""
    stack = frame.stack
    size_minus_one = stack.pop()
    value = stack.pop()
    if size_minus_one < 31:
        sign_bit = 1 << (8 * size_minus_one + 7)
        low_mask = (sign_bit << 1) - 1
        value = (value | (UINT256_MASK ^ low_mask)) if value & sign_bit else (value & low_mask)
    stack.append(value)
