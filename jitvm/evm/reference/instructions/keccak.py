"""KECCAK256 of a memory region."""

from jitvm.evm import gas
from jitvm.evm.reference.frame import charge, expand_memory, read_memory
from jitvm.evm.reference.instructions import instruction
from jitvm.hashing import keccak256


@instruction("KECCAK256")
def keccak(frame):
    stack = frame.stack
    offset = stack.pop()
    size = stack.pop()
    charge(frame, gas.keccak_cost(size))
    expand_memory(frame, offset, size)
    stack.append(int.from_bytes(keccak256(read_memory(frame, offset, size)), "big"))
