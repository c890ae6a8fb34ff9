"""BPF and sBPF: the instruction table, assembler, disassembler, verifier, ELF loader and engines.

    from jitvm.bpf import Program, run
    program = Program.from_assembly("mov %r0, %r2\\nexit")       # eBPF (profile "ebpf-v4")
    result = run(program, b"input bytes", engine="reference")  # r1 = input, r2 = its length
    result.r0, result.error, result.instructions, result.compute_units, result.logs

sBPF programs come from `load_elf_file(path)` (the version is the ELF's e_flags) or from assembly
with `profile="sbpf-v0"` ... `"sbpf-v3"`; syscalls and helpers are `HelperRegistry` entries.
"""

from jitvm.bpf.assembler import assemble
from jitvm.bpf.disassembler import disassemble
from jitvm.bpf.elf import load_elf, load_elf_file
from jitvm.bpf.engines import ENGINES, run
from jitvm.bpf.errors import ElfError, ErrorCode, VerifyError, VmError
from jitvm.bpf.helpers import HelperRegistry, default_ebpf_helpers, syscall_key
from jitvm.bpf.machine import ExecutionResult
from jitvm.bpf.program import Program
from jitvm.bpf.syscalls import default_syscalls

__all__ = [
    "ENGINES", "ElfError", "ErrorCode", "ExecutionResult", "HelperRegistry", "Program", "VerifyError", "VmError",
    "assemble", "default_ebpf_helpers", "default_syscalls", "disassemble", "load_elf", "load_elf_file", "run",
    "syscall_key",
]
