"""Which CALL-family instructions of a realworld session go back to Python once the session has run
each of its transactions (so its callees are in the callee table and its slots in the storage
table), and what their child frames did in Python that native code could not (docs/native-calls.md):

    python bench/realworld/count_call_fallbacks.py [--engines baseline,jit] [--filter uniswap] [--runs 4]

For every CALL the host served (call_host.serve_call), one line: the instruction, whether it sends a
value, and what happened in its child frame while Python ran it: host instructions (by mnemonic),
first reads or writes of a slot (`storage SLOAD`/`storage SSTORE`), memory growth, its logs when the
frame ended or the host took them, and the CALLs of its own the host served. The driver falls back
for the first of those native code cannot do; a child with none of them fell back for a reason
outside it (its output, the gas reserve, the log buffer of its parent).
"""

from __future__ import annotations

import argparse
from collections import Counter

import jitvm.evm.baseline.engine as baseline_engine
import jitvm.evm.baseline.host as baseline_host
import jitvm.evm.jit.engine as jit_engine
from jitvm.bench.realworld import WORKLOAD_NAMES, Session, new_evm
from jitvm.evm.baseline.layout import LOGS, OPCODE, PENDING, PENDING_CALL, PENDING_SLOAD
from jitvm.evm.opcodes import opcode_table

_MNEMONIC = {op.byte: op.mnemonic for op in opcode_table("Cancun").by_byte if op is not None}


class FallbackRecorder:
    """Patches the engines' host paths to note, per Python-run frame (by its Message), what it did."""

    def __init__(self):
        self.events: dict[int, list[str]] = {}
        self.served: list[tuple[object, str]] = []  # (child message, description of the CALL)
        self.recording = False
        self.alive: list = []

    def note(self, frame, event: str) -> None:
        if self.recording:
            self.alive.append(frame.message)  # (ids stay unique while the messages live)
            self.events.setdefault(id(frame.message), []).append(event)

    def install(self, monkey) -> None:
        serve_call, serve_storage, flush_native, grow_memory = (
            baseline_engine.serve_call, baseline_engine.serve_storage, baseline_host.flush_native,
            baseline_engine.grow_memory)
        handlers = baseline_engine.host_handlers

        def recorded_serve_call(frame):
            opcode = _MNEMONIC[frame.registers[OPCODE]]
            value = frame.stack[-3] if opcode in ("CALL", "CALLCODE") else 0
            request = serve_call(frame)
            if self.recording:
                self.note(frame, f"its own {opcode}")
                if request is not None:
                    child = request[0]
                    with_value = " with value" if value else ""
                    self.served.append((child, f"{opcode}{with_value} depth {child.depth} to 0x{child.target.hex()}"))
            return request

        def recorded_serve_storage(frame, pending):
            self.note(frame, "storage " + ("SLOAD" if pending == PENDING_SLOAD else "SSTORE"))
            return serve_storage(frame, pending)

        def recorded_flush(frame):
            if frame.registers[LOGS]:
                self.note(frame, f"{frame.registers[LOGS]} logs")
            return flush_native(frame)

        def recorded_grow(frame, needed):
            self.note(frame, f"memory to {needed}")
            return grow_memory(frame, needed)

        def recorded_handlers(fork):
            table = list(handlers(fork))
            for byte, handler in enumerate(table):
                if handler is not None:
                    table[byte] = self._noting(handler, _MNEMONIC[byte])
            return tuple(table)

        monkey(baseline_engine, "serve_call", recorded_serve_call)
        monkey(baseline_engine, "serve_storage", recorded_serve_storage)
        monkey(jit_engine, "serve_storage", recorded_serve_storage)
        monkey(baseline_engine, "flush_native", recorded_flush)
        monkey(baseline_engine, "grow_memory", recorded_grow)
        monkey(jit_engine, "grow_memory", recorded_grow)
        monkey(baseline_engine, "host_handlers", recorded_handlers)
        monkey(jit_engine, "host_handlers", recorded_handlers)

    def _noting(self, handler, mnemonic):
        def noted(frame):
            if frame.registers[PENDING] != PENDING_CALL:
                self.note(frame, "host " + mnemonic)
            return handler(frame)
        return noted

    def report(self) -> Counter:
        return Counter(f"{call}: {', '.join(self.events.get(id(child), [])) or 'nothing in Python'}"
                       for child, call in self.served)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="baseline,jit")
    parser.add_argument("--filter", default="uniswap/swap")
    parser.add_argument("--runs", type=int, default=4, help="transactions counted after the first cycle")
    args = parser.parse_args()
    patched = []

    def monkey(module, name, value):
        patched.append((module, name, getattr(module, name)))
        setattr(module, name, value)

    for engine in args.engines.split(","):
        for name in WORKLOAD_NAMES:
            if not any(part in name for part in args.filter.split(",")):
                continue
            recorder = FallbackRecorder()
            recorder.install(monkey)
            try:
                session = Session(name, *new_evm(engine))
                recorder.recording = True
                runs = 1 if name.startswith("block/") else args.runs
                for _ in range(runs):
                    session.run()
            finally:
                for module, attribute, original in reversed(patched):
                    setattr(module, attribute, original)
                patched.clear()
            counts = recorder.report()
            print(f"{engine} {name}: {sum(counts.values())} CALLs served by Python in {runs} run(s)")
            for line, count in counts.most_common():
                print(f"  {count:6d}  {line}")


if __name__ == "__main__":
    main()
