"""Small sBPF v0 programs that exercise one runtime rule each, written in assembly and wrapped in a
minimal ELF (tests/svm/sbpf_elf.py). Each `call -1  # name` is a syscall. With no accounts, the input
is: u64 0, u64 data length (at +8), the instruction data (at +16), then the program id."""

from __future__ import annotations

from jitvm.bpf.program import Program
from tests.svm.sbpf_elf import shared_object


def probe_elf(text: str) -> bytes:
    calls, index = [], 0
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in lines:
        if line.endswith(":"):
            continue
        if line.startswith("call -1"):
            calls.append((index, line.split("#")[1].strip()))
        index += 2 if line.startswith("lddw") else 1
    return shared_object(Program.from_assembly("\n".join(lines), "sbpf-v0").code, calls)


DATA = "mov %r6, %r1\nldxdw %r7, [%r6+8]\nmov %r8, %r6\nadd %r8, 16\n"  # r7 = length, r8 = data

PROBES = {
    # logging
    "log_data": DATA + "mov %r1, %r8\nmov %r2, %r7\ncall -1  # sol_log_\nmov %r0, 0\nexit",
    "log_twice_data": DATA + "mov %r1, %r8\nmov %r2, %r7\ncall -1  # sol_log_\nmov %r1, %r8\nmov %r2, %r7\n"
                             "call -1  # sol_log_\nmov %r0, 0\nexit",
    "log_loop": DATA + "mov %r9, 0\nagain:\nmov %r1, %r8\nmov %r2, %r7\ncall -1  # sol_log_\nadd %r9, 1\n"
                       "jlt %r9, 14, again\nmov %r0, 0\nexit",
    "log_64": "mov %r1, 1\nmov %r2, -1\nmov %r3, 255\nmov %r4, 0\nmov %r5, 7\ncall -1  # sol_log_64_\n"
              "mov %r0, 0\nexit",
    "log_units": "call -1  # sol_log_compute_units_\nmov %r0, 0\nexit",
    "log_pubkey": DATA + "mov %r1, %r8\ncall -1  # sol_log_pubkey\nmov %r0, 0\nexit",
    "log_fields": DATA + "stxdw [%r10-32], %r8\nstxdw [%r10-24], %r7\nstxdw [%r10-16], %r8\nstdw [%r10-8], 1\n"
                         "mov %r1, %r10\nadd %r1, -32\nmov %r2, 2\ncall -1  # sol_log_data\nmov %r0, 0\nexit",
    # memory
    "memcpy_overlap": DATA + "mov %r1, %r10\nadd %r1, -64\nmov %r2, %r10\nadd %r2, -60\nmov %r3, 8\n"
                             "call -1  # sol_memcpy_\nmov %r0, 0\nexit",
    "memcpy_out_of_bounds": DATA + "mov %r1, %r10\nadd %r1, -16\nmov %r2, %r8\nmov %r3, 600\n"
                                   "call -1  # sol_memcpy_\nmov %r0, 0\nexit",
    "memcmp": DATA + "mov %r1, %r8\nmov %r2, %r8\nadd %r2, 1\nmov %r3, 4\nmov %r4, %r10\nadd %r4, -8\n"
                     "call -1  # sol_memcmp_\nldxw %r1, [%r10-8]\ncall -1  # sol_log_64_\nmov %r0, 0\nexit",
    "memcmp_unaligned": DATA + "mov %r1, %r8\nmov %r2, %r8\nmov %r3, 4\nmov %r4, %r10\nadd %r4, -7\n"
                               "call -1  # sol_memcmp_\nmov %r0, 0\nexit",
    # hashing
    "sha256": DATA + "stxdw [%r10-48], %r8\nstxdw [%r10-40], %r7\nmov %r1, %r10\nadd %r1, -48\nmov %r2, 1\n"
                     "mov %r3, %r10\nadd %r3, -32\ncall -1  # sol_sha256\nmov %r1, %r10\nadd %r1, -32\nmov %r2, 32\n"
                     "call -1  # sol_log_data\nmov %r0, 0\nexit",
    "keccak": DATA + "stxdw [%r10-48], %r8\nstxdw [%r10-40], %r7\nmov %r1, %r10\nadd %r1, -48\nmov %r2, 1\n"
                     "mov %r3, %r10\nadd %r3, -32\ncall -1  # sol_keccak256\nstxdw [%r10-48], %r3\n"
                     "stdw [%r10-40], 32\nmov %r1, %r10\nadd %r1, -48\nmov %r2, 1\ncall -1  # sol_log_data\n"
                     "mov %r0, 0\nexit",
    # program addresses: seeds = the instruction data, program id = this program
    "find_address": DATA + "stxdw [%r10-64], %r8\nstxdw [%r10-56], %r7\nmov %r3, %r8\nadd %r3, %r7\n"
                           "mov %r1, %r10\nadd %r1, -64\nmov %r2, 1\nmov %r4, %r10\nadd %r4, -40\n"
                           "mov %r5, %r10\nadd %r5, -41\ncall -1  # sol_try_find_program_address\nmov %r9, %r0\n"
                           "mov %r1, %r10\nadd %r1, -40\ncall -1  # sol_log_pubkey\nldxb %r1, [%r10-41]\n"
                           "mov %r2, %r9\ncall -1  # sol_log_64_\nmov %r0, 0\nexit",
    "create_address": DATA + "stxdw [%r10-64], %r8\nstxdw [%r10-56], %r7\nmov %r3, %r8\nadd %r3, %r7\n"
                             "mov %r1, %r10\nadd %r1, -64\nmov %r2, 1\nmov %r4, %r10\nadd %r4, -40\n"
                             "call -1  # sol_create_program_address\nmov %r1, %r0\ncall -1  # sol_log_64_\n"
                             "mov %r0, 0\nexit",
    # sysvars
    "clock": "mov %r1, %r10\nadd %r1, -40\ncall -1  # sol_get_clock_sysvar\nldxdw %r1, [%r10-40]\n"
             "ldxdw %r2, [%r10-24]\nldxdw %r3, [%r10-8]\ncall -1  # sol_log_64_\nmov %r0, 0\nexit",
    "rent": "mov %r1, %r10\nadd %r1, -24\ncall -1  # sol_get_rent_sysvar\nldxdw %r1, [%r10-24]\n"
            "ldxdw %r2, [%r10-16]\nldxb %r3, [%r10-8]\ncall -1  # sol_log_64_\nmov %r0, 0\nexit",
    "epoch_schedule": "mov %r1, %r10\nadd %r1, -40\ncall -1  # sol_get_epoch_schedule_sysvar\n"
                      "ldxdw %r1, [%r10-40]\nldxdw %r2, [%r10-32]\nldxb %r3, [%r10-24]\nldxdw %r4, [%r10-16]\n"
                      "ldxdw %r5, [%r10-8]\ncall -1  # sol_log_64_\nmov %r0, 0\nexit",
    "sysvar_slice": DATA + "mov %r1, %r8\nmov %r2, %r10\nadd %r2, -16\nmov %r3, 1\nmov %r4, 9\n"
                           "call -1  # sol_get_sysvar\nmov %r9, %r0\nldxdw %r1, [%r10-16]\nldxb %r2, [%r10-8]\n"
                           "mov %r3, %r9\ncall -1  # sol_log_64_\nmov %r0, 0\nexit",
    "epoch_rewards": "mov %r1, %r10\nadd %r1, -96\ncall -1  # sol_get_epoch_rewards_sysvar\nmov %r1, %r10\n"
                     "add %r1, -96\nstxdw [%r10-112], %r1\nstdw [%r10-104], 96\nmov %r1, %r10\nadd %r1, -112\n"
                     "mov %r2, 1\ncall -1  # sol_log_data\nmov %r0, 0\nexit",
    "last_restart_slot": "mov %r1, %r10\nadd %r1, -8\ncall -1  # sol_get_last_restart_slot\nldxdw %r1, [%r10-8]\n"
                         "call -1  # sol_log_64_\nmov %r0, 0\nexit",
    # secp256k1: data = hash (32), signature (64), recovery id (1)
    "secp256k1": DATA + "mov %r1, %r8\nldxb %r2, [%r8+96]\nmov %r3, %r8\nadd %r3, 32\nmov %r4, %r10\nadd %r4, -64\n"
                        "call -1  # sol_secp256k1_recover\nmov %r9, %r0\nmov %r1, %r10\nadd %r1, -64\nmov %r2, 64\n"
                        "stxdw [%r10-80], %r1\nstxdw [%r10-72], %r2\nmov %r1, %r10\nadd %r1, -80\nmov %r2, 1\n"
                        "call -1  # sol_log_data\nmov %r1, %r9\ncall -1  # sol_log_64_\nmov %r0, 0\nexit",
    # account 0's data (e.g. the instructions sysvar) as sol_log_data sees it
    "log_account_data": "ldxdw %r2, [%r1+88]\nadd %r1, 96\nstxdw [%r10-16], %r1\nstxdw [%r10-8], %r2\n"
                        "mov %r1, %r10\nadd %r1, -16\nmov %r2, 1\ncall -1  # sol_log_data\nmov %r0, 0\nexit",
    # return data, stack height, unsupported syscalls
    "return_data": DATA + "mov %r1, %r8\nmov %r2, %r7\ncall -1  # sol_set_return_data\nmov %r1, %r10\n"
                          "add %r1, -64\nmov %r2, 16\nmov %r3, %r10\nadd %r3, -32\ncall -1  # sol_get_return_data\n"
                          "mov %r1, %r0\ncall -1  # sol_log_64_\nmov %r0, 0\nexit",
    "stack_height": "call -1  # sol_get_stack_height\nmov %r1, %r0\ncall -1  # sol_log_64_\nmov %r0, 0\nexit",
    "remaining_units": "call -1  # sol_remaining_compute_units\nmov %r0, 0\nexit",
    "blake3": "call -1  # sol_blake3\nmov %r0, 0\nexit",
    # ending the program
    "abort": "call -1  # abort\nexit",
    "panic": DATA + "mov %r1, %r8\nmov %r2, %r7\nmov %r3, 12\nmov %r4, 34\ncall -1  # sol_panic_\nexit",
    "return_code": DATA + "ldxdw %r0, [%r8]\nexit",
    "divide_by_zero": "mov %r0, 1\nmov %r1, 0\ndiv %r0, %r1\nexit",
    "spin": "mov %r0, 0\nloop:\nadd %r0, 1\nja loop",
    "read_null": "ldxdw %r0, [%r0]\nexit",
    "write_rodata": "lddw %r1, 0x100000000\nstdw [%r1], 1\nmov %r0, 0\nexit",
    "alloc": "mov %r1, 100\nmov %r2, 0\ncall -1  # sol_alloc_free_\nmov %r6, %r0\nmov %r1, 40000\nmov %r2, 0\n"
             "call -1  # sol_alloc_free_\nmov %r2, %r0\nmov %r1, %r6\ncall -1  # sol_log_64_\nmov %r0, 0\nexit",
}


# An account-changing program for the loader's return-path checks. Accounts: [A (8 bytes of data), B
# (no data)] in the aligned layout; r2 points at the instruction data: op, then the program id follows.
A_OWNER, A_LAMPORTS, A_LENGTH, A_DATA, B_LAMPORTS = 48, 80, 88, 96, 10424
ACCOUNT_OPS = {
    "bump_data": f"ldxb %r3, [%r6+{A_DATA}]\nadd %r3, 1\nstxb [%r6+{A_DATA}], %r3",
    "debit": f"ldxdw %r3, [%r6+{A_LAMPORTS}]\nsub %r3, 1\nstxdw [%r6+{A_LAMPORTS}], %r3",
    "move_lamport": f"ldxdw %r3, [%r6+{A_LAMPORTS}]\nsub %r3, 1\nstxdw [%r6+{A_LAMPORTS}], %r3\n"
                    f"ldxdw %r3, [%r6+{B_LAMPORTS}]\nadd %r3, 1\nstxdw [%r6+{B_LAMPORTS}], %r3",
    "credit_b": f"ldxdw %r3, [%r6+{B_LAMPORTS}]\nadd %r3, 1\nstxdw [%r6+{B_LAMPORTS}], %r3",
    "grow": f"ldxdw %r3, [%r6+{A_LENGTH}]\nadd %r3, 10\nstxdw [%r6+{A_LENGTH}], %r3",
    "grow_too_much": f"ldxdw %r3, [%r6+{A_LENGTH}]\nadd %r3, 10241\nstxdw [%r6+{A_LENGTH}], %r3",
    "shrink": f"ldxdw %r3, [%r6+{A_LENGTH}]\nsub %r3, 8\nstxdw [%r6+{A_LENGTH}], %r3",
    "take_ownership": "\n".join(f"ldxdw %r3, [%r2+{1 + 8 * i}]\nstxdw [%r6+{A_OWNER + 8 * i}], %r3" for i in range(4)),
    "write_padding": f"stb [%r6+{A_DATA + 8}], 7",
}


def account_ops_program() -> str:
    text = "mov %r6, %r1\nldxb %r7, [%r2]\n"
    for index, name in enumerate(ACCOUNT_OPS):
        text += f"jeq %r7, {index}, {name}\n"
    text += "ja done\n"
    for name, body in ACCOUNT_OPS.items():
        text += f"{name}:\n{body}\nja done\n"
    return text + "done:\nmov %r0, 0\nexit"
