"""Stack manipulation: POP, PUSH0-PUSH32, DUP1-DUP16, SWAP1-SWAP16."""

from jitvm.evm.opcodes import opcode_table
from jitvm.evm.reference.instructions import instruction


@instruction("POP")
def pop(frame):
    frame.stack.pop()


@instruction("PUSH0")
def push0(frame):
    frame.stack.append(0)


def _push(size: int):
    def push_n(frame):
        """Push the next `size` code bytes as a big-endian word; bytes past the end of code read as zero."""
        start = frame.pc
        immediate = frame.code[start : start + size]
        value = int.from_bytes(immediate, "big")
        if len(immediate) < size:
            value <<= 8 * (size - len(immediate))
        frame.stack.append(value)
        frame.pc = start + size

    return push_n


def _dup(depth: int):
    def dup_n(frame):
        """Push a copy of the `depth`-th item from the top."""
        frame.stack.append(frame.stack[-depth])

    return dup_n


def _swap(depth: int):
    def swap_n(frame):
        """Exchange the top item with the one `depth` below it."""
        stack = frame.stack
        stack[-1], stack[-1 - depth] = stack[-1 - depth], stack[-1]

    return swap_n


# The families' sizes come from the table: PUSHn's immediate size, DUPn's inputs, SWAPn's inputs.
for _opcode in opcode_table("Cancun").by_byte:
    if _opcode is None:
        continue
    if _opcode.mnemonic.startswith("PUSH") and _opcode.immediate_size:
        instruction(_opcode.mnemonic)(_push(_opcode.immediate_size))
    elif _opcode.mnemonic.startswith("DUP"):
        instruction(_opcode.mnemonic)(_dup(_opcode.inputs))
    elif _opcode.mnemonic.startswith("SWAP"):
        instruction(_opcode.mnemonic)(_swap(_opcode.inputs - 1))
