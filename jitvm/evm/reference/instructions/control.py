"""Control flow and halting: STOP, JUMP, JUMPI, JUMPDEST, PC, GAS, RETURN, REVERT, INVALID."""

from jitvm.evm.message import Status
from jitvm.evm.reference.frame import InvalidJump, InvalidOpcode, expand_memory, read_memory
from jitvm.evm.reference.instructions import instruction


@instruction("STOP")
def stop(frame):
    frame.running = False


@instruction("JUMP")
def jump(frame):
    destination = frame.stack.pop()
    if destination not in frame.jump_destinations:
        raise InvalidJump
    frame.pc = destination


@instruction("JUMPI")
def jumpi(frame):
    stack = frame.stack
    destination = stack.pop()
    condition = stack.pop()
    if condition:
        if destination not in frame.jump_destinations:
            raise InvalidJump
        frame.pc = destination


@instruction("JUMPDEST")
def jumpdest(frame):
    """Marks a valid jump target; does nothing."""


@instruction("PC")
def pc(frame):
    frame.stack.append(frame.pc - 1)  # the loop has already stepped past this opcode


@instruction("GAS")
def gas_left(frame):
    frame.stack.append(frame.gas_left)


@instruction("RETURN")
def return_(frame):
    stack = frame.stack
    offset = stack.pop()
    size = stack.pop()
    expand_memory(frame, offset, size)
    frame.output = read_memory(frame, offset, size)
    frame.running = False


@instruction("REVERT")
def revert(frame):
    """Halt, undo the frame's state changes, but keep its output and return the gas left."""
    stack = frame.stack
    offset = stack.pop()
    size = stack.pop()
    expand_memory(frame, offset, size)
    frame.output = read_memory(frame, offset, size)
    frame.status = Status.REVERT
    frame.running = False


@instruction("INVALID")
def invalid(frame):
    raise InvalidOpcode
