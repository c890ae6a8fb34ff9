"""Memory: word and byte stores and loads, MSIZE, MCOPY (EIP-5656)."""

from jitvm.evm import gas
from jitvm.evm.reference.frame import charge, expand_memory
from jitvm.evm.reference.instructions import instruction


@instruction("MLOAD")
def mload(frame):
    stack = frame.stack
    offset = stack.pop()
    expand_memory(frame, offset, 32)
    stack.append(int.from_bytes(frame.memory[offset : offset + 32], "big"))


@instruction("MSTORE")
def mstore(frame):
    stack = frame.stack
    offset = stack.pop()
    value = stack.pop()
    expand_memory(frame, offset, 32)
    frame.memory[offset : offset + 32] = value.to_bytes(32, "big")


@instruction("MSTORE8")
def mstore8(frame):
    stack = frame.stack
    offset = stack.pop()
    value = stack.pop()
    expand_memory(frame, offset, 1)
    frame.memory[offset] = value & 0xFF


@instruction("MSIZE")
def msize(frame):
    frame.stack.append(len(frame.memory))


@instruction("MCOPY")
def mcopy(frame):
    """Copy within memory; the regions may overlap (the copy behaves as if through a buffer)."""
    stack = frame.stack
    destination = stack.pop()
    source = stack.pop()
    size = stack.pop()
    charge(frame, gas.copy_cost(size))
    if size:
        expand_memory(frame, max(destination, source), size)
        memory = frame.memory
        memory[destination : destination + size] = memory[source : source + size]
