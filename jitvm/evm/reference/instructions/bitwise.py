"""Bitwise operations, BYTE, the shifts (EIP-145) and CLZ (EIP-7939)."""

from jitvm.evm.reference.frame import UINT256_MASK, to_signed, to_unsigned
from jitvm.evm.reference.instructions import instruction


@instruction("AND")
def bitwise_and(frame):
    stack = frame.stack
    stack.append(stack.pop() & stack.pop())


@instruction("OR")
def bitwise_or(frame):
    stack = frame.stack
    stack.append(stack.pop() | stack.pop())


@instruction("XOR")
def bitwise_xor(frame):
    stack = frame.stack
    stack.append(stack.pop() ^ stack.pop())


@instruction("NOT")
def bitwise_not(frame):
    stack = frame.stack
    stack.append(UINT256_MASK ^ stack.pop())


@instruction("BYTE")
def byte(frame):
    """The `index`-th byte of `word`, counting from the most significant; zero past 31."""
    stack = frame.stack
    index = stack.pop()
    word = stack.pop()
    stack.append((word >> (248 - 8 * index)) & 0xFF if index < 32 else 0)


@instruction("SHL")
def shl(frame):
    stack = frame.stack
    shift = stack.pop()
    value = stack.pop()
    stack.append((value << shift) & UINT256_MASK if shift < 256 else 0)


@instruction("SHR")
def shr(frame):
    stack = frame.stack
    shift = stack.pop()
    value = stack.pop()
    stack.append(value >> shift if shift < 256 else 0)


@instruction("SAR")
def sar(frame):
    """Arithmetic shift right: the sign bit fills in from the left."""
    stack = frame.stack
    shift = stack.pop()
    value = to_signed(stack.pop())
    stack.append(to_unsigned(value >> min(shift, 256)))


@instruction("CLZ")
def clz(frame):
    """The number of leading zero bits of the word: 256 for zero (EIP-7939)."""
    stack = frame.stack
    stack.append(256 - stack.pop().bit_length())
