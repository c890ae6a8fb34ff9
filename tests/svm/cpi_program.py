"""A CPI test program in sBPF v0 assembly: it invokes the System program's CreateAccount through
sol_invoke_signed_c, signing for a PDA derived from [payer key, bump] (the bump is the first byte of
its instruction data), then logs the PDA's lamports and data length as its memory shows them after
the call (written back by the runtime), its stack height, and the units left (sol_log_compute_units_).

Accounts: payer (signer, writable), the PDA (writable), the System program. Instruction data:
bump u8, lamports u64, space u64. The offsets below are those of the aligned input for exactly
these accounts with empty payer and PDA data (the System program's account holds 14 bytes)."""

from __future__ import annotations

from jitvm.bpf.program import Program
from tests.svm.sbpf_elf import shared_object

REALLOC = 10 * 1024


def _account_offsets(start: int, data_length: int) -> dict:
    key = start + 8
    data = key + 64 + 16
    return {"key": key, "owner": key + 32, "lamports": key + 64, "data_length": key + 72, "data": data,
            "rent_epoch": data + data_length + REALLOC + (-data_length % 8),
            "end": data + data_length + REALLOC + (-data_length % 8) + 8}


PAYER = _account_offsets(8, 0)
PDA = _account_offsets(PAYER["end"], 0)
SYSTEM = _account_offsets(PDA["end"], 14)
DATA = SYSTEM["end"] + 8
PROGRAM_ID = DATA + 17


def _pointer(stack_offset: int, input_offset: int) -> str:
    return f"mov %r2, %r6\nadd %r2, {input_offset}\nstxdw [%r10{stack_offset:+d}], %r2\n"


def _copy(stack_offset: int, input_offset: int) -> str:
    return f"ldxdw %r2, [%r6+{input_offset}]\nstxdw [%r10{stack_offset:+d}], %r2\n"


def assembly() -> str:
    text = "mov %r6, %r1\n"
    # CreateAccount data at r10-56: u32 0, lamports, space, owner = this program's id
    text += "stw [%r10-56], 0\n"
    text += _copy(-52, DATA + 1) + _copy(-44, DATA + 9)
    for word in range(4):
        text += _copy(-36 + 8 * word, PROGRAM_ID + 8 * word)
    # SolAccountMeta[2] at r10-96: pubkey*, is_writable, is_signer
    text += _pointer(-96, PAYER["key"]) + "stb [%r10-88], 1\nstb [%r10-87], 1\n"
    text += _pointer(-80, PDA["key"]) + "stb [%r10-72], 1\nstb [%r10-71], 1\n"
    # SolInstruction at r10-136: program_id*, accounts*, accounts_len, data*, data_len
    text += _pointer(-136, SYSTEM["key"])
    text += "mov %r2, %r10\nadd %r2, -96\nstxdw [%r10-128], %r2\nstdw [%r10-120], 2\n"
    text += "mov %r2, %r10\nadd %r2, -56\nstxdw [%r10-112], %r2\nstdw [%r10-104], 52\n"
    # SolAccountInfo[2] at r10-248: key*, lamports*, data_len, data*, owner*, rent_epoch, flags
    for base, account, signer in ((-248, PAYER, 1), (-192, PDA, 0)):
        text += _pointer(base, account["key"]) + _pointer(base + 8, account["lamports"])
        text += _copy(base + 16, account["data_length"]) + _pointer(base + 24, account["data"])
        text += _pointer(base + 32, account["owner"]) + _copy(base + 40, account["rent_epoch"])
        text += f"stb [%r10{base + 48:+d}], {signer}\nstb [%r10{base + 49:+d}], 1\nstb [%r10{base + 50:+d}], 0\n"
    # SolSignerSeed[2] at r10-280 (payer key, bump) and SolSignerSeeds[1] at r10-296
    text += _pointer(-280, PAYER["key"]) + "stdw [%r10-272], 32\n"
    text += _pointer(-264, DATA) + "stdw [%r10-256], 1\n"
    text += "mov %r2, %r10\nadd %r2, -280\nstxdw [%r10-296], %r2\nstdw [%r10-288], 2\n"
    text += "mov %r1, %r10\nadd %r1, -136\nmov %r2, %r10\nadd %r2, -248\nmov %r3, 2\n"
    text += "mov %r4, %r10\nadd %r4, -296\nmov %r5, 1\n"
    text += "call -1  # sol_invoke_signed_c\n"
    text += "call -1  # sol_get_stack_height\nmov %r8, %r0\n"
    text += "call -1  # sol_log_compute_units_\nmov %r9, %r0\n"
    text += f"ldxdw %r1, [%r6+{PDA['lamports']}]\nldxdw %r2, [%r6+{PDA['data_length']}]\n"
    text += "mov %r3, %r8\nmov %r4, %r9\nmov %r5, 0\n"
    text += "call -1  # sol_log_64_\n"
    text += "mov %r0, 0\nexit\n"
    return text


def elf() -> bytes:
    """The program as an ELF: each `call -1  # name` gets a relocation against the syscall `name`."""
    text = assembly()
    calls, index = [], 0
    for line in text.splitlines():
        if line.startswith("call -1"):
            calls.append((index, line.split("#")[1].strip()))
        index += 2 if line.startswith("lddw") else 1
    return shared_object(Program.from_assembly(text, "sbpf-v0").code, calls)
