"""One sBPF program that calls any one syscall with registers taken from the instruction data, so a
test can drive a syscall with chosen arguments on LiteSVM and jitvm alike.

Instruction data: five u64 register values, a u64 of flags, then a payload. Flag bit i (i = 0..4)
makes register r(i+1) point into the payload (value + the payload's address); bit i + 5 makes it
point into a zeroed 512-byte stack buffer (value + the buffer's address). After the call the program
logs r0 (sol_log_64_) and the first `OUTPUT` bytes of the stack buffer (sol_log_data)."""

from __future__ import annotations

import struct

from tests.svm.probes import DATA, probe_elf

OUTPUT = 192
BUFFER = 512


def call_probe_elf(syscall: str) -> bytes:
    lines = [DATA.strip(), "ldxdw %r9, [%r8+40]"]
    for i in range(5):
        register = f"%r{i + 1}"
        lines += [f"ldxdw {register}, [%r8+{8 * i}]",
                  "mov %r0, %r9", f"and %r0, {1 << i}", "jeq %r0, 0, +2", f"add {register}, %r8",
                  f"add {register}, 48",
                  "mov %r0, %r9", f"and %r0, {1 << (i + 5)}", "jeq %r0, 0, +2", f"add {register}, %r10",
                  f"add {register}, -{BUFFER}"]
    lines += [f"call -1  # {syscall}", "mov %r1, %r0", "mov %r2, 0", "mov %r3, 0", "mov %r4, 0", "mov %r5, 0",
              "call -1  # sol_log_64_",
              "mov %r1, %r10", f"add %r1, -{BUFFER}", "stxdw [%r10-16], %r1", f"stdw [%r10-8], {OUTPUT}",
              "mov %r1, %r10", "add %r1, -16", "mov %r2, 1", "call -1  # sol_log_data", "mov %r0, 0", "exit"]
    return probe_elf("\n".join(lines))


def call_data(registers, payload: bytes = b"", in_payload=(), in_buffer=()) -> bytes:
    """`registers`: five values; `in_payload` / `in_buffer`: which registers (1..5) are offsets."""
    flags = sum(1 << (r - 1) for r in in_payload) + sum(1 << (r + 4) for r in in_buffer)
    return struct.pack("<6Q", *registers, flags) + payload
