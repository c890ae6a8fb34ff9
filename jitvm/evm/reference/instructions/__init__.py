"""One function per opcode, registered under the mnemonic the opcode table uses.

Conventions, so each body stays short: the interpreter loop has already checked the stack height and
charged the static gas from the table, and has moved `frame.pc` past the opcode byte. A body pops its
operands, charges any dynamic gas, computes, pushes, and moves `frame.pc` only to jump or to skip an
immediate. A body that needs a child frame returns `(message, resume)`; the loop runs the child and
calls `resume(frame, result)`.

These functions also serve the baseline and JIT engines' host instructions (jitvm.evm.baseline.host:
SLOAD, SSTORE, CALL, LOG, ...), on a `NativeFrame` that views the kernel's arrays. So the part of
`Frame` a host instruction touches is an interface, and NativeFrame must provide it with the same
meaning: `message`, `ctx`, `state`, `code`, `pc`, `gas_left`, `return_data`, `output`, `running`;
`stack` (pop, append, len, indexing from the top); `memory` (len, extend with zeros, slice reads
and writes). An instruction that needs more (`jump_destinations`, `status`) must stay in the
kernel, which runs it natively.
"""

from __future__ import annotations

from typing import Callable

IMPLEMENTATIONS: dict[str, Callable] = {}


def instruction(mnemonic: str):
    def register(function: Callable) -> Callable:
        if mnemonic in IMPLEMENTATIONS:
            raise ValueError(f"two implementations of {mnemonic}")
        IMPLEMENTATIONS[mnemonic] = function
        return function

    return register


# Importing the modules registers their instructions.
from jitvm.evm.reference.instructions import (  # noqa: E402,F401
    arithmetic,
    bitwise,
    block,
    comparison,
    control,
    environment,
    keccak,
    logging,
    memory,
    stack,
    storage,
    system,
)
