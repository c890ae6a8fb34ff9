"""EIP-3155 execution traces: one JSON object per executed instruction, then a summary line.

The interpreter reports events (`before_step`, `after_step`, `end_transaction`); this tracer turns
them into the EIP-3155 line format that geth's `evm --json` and other clients print, so traces can be
compared across clients line by line.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from jitvm.evm.opcodes import opcode_table


class Eip3155Tracer:
    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self._pending: dict | None = None
        self._gas_before = 0

    def before_step(self, frame, op: int) -> None:
        opcode = opcode_table(frame.ctx.fork.name)[op]
        self._gas_before = frame.gas_left
        self._pending = {
            "pc": frame.pc,
            "op": op,
            "gas": hex(frame.gas_left),
            "gasCost": "0x0",
            "memSize": len(frame.memory),
            "stack": [hex(value) for value in frame.stack],
            "depth": frame.message.depth + 1,
            "refund": frame.state.refund,
            "opName": opcode.mnemonic if opcode else f"opcode 0x{op:02x} not defined",
        }

    def after_step(self, frame, error=None) -> None:
        line = self._pending
        if line is None:
            return
        self._pending = None
        line["gasCost"] = hex(max(0, self._gas_before - frame.gas_left) if error is None else self._gas_before)
        if error is not None:
            line["error"] = error.name.lower()
        self.stream.write(json.dumps(line, separators=(",", ":")) + "\n")

    def end_transaction(self, result, gas_used: int) -> None:
        summary = {"output": result.output.hex(), "gasUsed": hex(gas_used)}
        if not result.status.is_success:
            summary["error"] = result.status.name.lower()
        self.stream.write(json.dumps(summary, separators=(",", ":")) + "\n")
        self.stream.flush()
