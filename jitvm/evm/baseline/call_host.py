"""The host's half of a CALL-family instruction the kernel has begun (registers[PENDING] ==
PENDING_CALL): the kernel read the arguments and charged the memory expansion; the rest (warm and
cold accounts, the callee's code, value, the 63/64 rule, the static check, the depth) is the
reference's own `_call`, given the arguments from the registers instead of the stack. Shared by the
baseline and JIT engines (docs/native-calls.md)."""

from __future__ import annotations

import struct

from jitvm.evm.balance_table import link
from jitvm.evm.baseline.layout import CALL_GAS, CALL_MNEMONICS, OPCODE, PENDING, PENDING_NONE, WORD_BYTES
from jitvm.evm.opcodes import opcode_table
from jitvm.evm.reference.instructions import system

_read_arguments = struct.Struct("=5q").unpack_from  # CALL_GAS ... CALL_RETURNS_SIZE
_ARGUMENTS_AT = CALL_GAS * 8
# Per opcode byte, the mnemonic `_call` takes (the same string objects: it compares them by identity)
# and the instruction's stack inputs (the opcode table's).
_KINDS = {opcode.byte: (getattr(system, opcode.mnemonic), opcode.inputs) for opcode in opcode_table("Cancun").by_byte
          if opcode is not None and opcode.mnemonic in CALL_MNEMONICS}
_WITH_VALUE = (system.CALL, system.CALLCODE)


def serve_call(frame):
    """Finish the CALL-family instruction the kernel handed over: returns what the reference's
    instruction returns (None, or the child Message and the function that resumes the frame)."""
    registers = frame.registers
    registers[PENDING] = PENDING_NONE
    kind, inputs = _KINDS[registers[OPCODE]]
    requested, args_offset, args_size, returns_offset, returns_size = _read_arguments(
        frame.control_bytes, _ARGUMENTS_AT)
    stack = frame.stack
    words = stack.words_bytes
    top = stack.height * WORD_BYTES
    if requested < 0:  # a gas word of 62 bits or more
        requested = int.from_bytes(words[top - WORD_BYTES : top], "little")
    to = bytes(words[top - 2 * WORD_BYTES : top - 2 * WORD_BYTES + 20])[::-1]  # the low 20 bytes, big-endian
    value = int.from_bytes(words[top - 3 * WORD_BYTES : top - 2 * WORD_BYTES], "little") if kind in _WITH_VALUE else 0
    stack.height -= inputs
    table = frame.storage_table  # None on a host without native tables (the py-evm backend)
    if table is not None:
        state = frame.state
        callees = state.callees
        if value:  # the next such CALL may run natively with the balances in the table (docs/native-values.md)
            _remember_with_balance(state, table, to)
            _remember_with_balance(state, table, frame.message.target)
        elif to not in callees:  # the next CALL to it may be entered natively (docs/native-calls.md)
            callees.remember(to, table.account_index(to), state.code(to))
    return system._call(frame, requested, to, value, args_offset, args_size, returns_offset, returns_size, kind)


def _remember_with_balance(state, table, address: bytes) -> None:
    if not state.callees.has_balance(address):
        state.callees.remember(address, table.account_index(address), state.code(address), link(state, address))
