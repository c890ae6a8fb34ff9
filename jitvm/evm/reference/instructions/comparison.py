"""Comparisons: push 1 when the relation holds, else 0."""

from jitvm.evm.reference.frame import to_signed
from jitvm.evm.reference.instructions import instruction


@instruction("LT")
def lt(frame):
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    stack.append(int(a < b))


@instruction("GT")
def gt(frame):
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    stack.append(int(a > b))


@instruction("SLT")
def slt(frame):
    stack = frame.stack
    a = to_signed(stack.pop())
    b = to_signed(stack.pop())
    stack.append(int(a < b))


@instruction("SGT")
def sgt(frame):
    stack = frame.stack
    a = to_signed(stack.pop())
    b = to_signed(stack.pop())
    stack.append(int(a > b))


@instruction("EQ")
def eq(frame):
    stack = frame.stack
    a = stack.pop()
    b = stack.pop()
    stack.append(int(a == b))


@instruction("ISZERO")
def iszero(frame):
    stack = frame.stack
    stack.append(int(stack.pop() == 0))
