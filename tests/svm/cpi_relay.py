"""A CPI relay in sBPF v0 assembly, generated for one set of accounts: it invokes `program` (one of
its own accounts) with the instruction data it was given after a first bump byte, the account metas
chosen, all its accounts as account infos, and its program address [bump] as a PDA signer
(sol_invoke_signed_c). The input offsets are computed here from the accounts' data lengths, which
the test reads from the ledger before building the relay, so the program needs no parsing loops."""

from __future__ import annotations

from tests.svm.probes import probe_elf

REALLOC = 10 * 1024
INFOS, METAS, INSTRUCTION, SEED, SEEDS = -1024, -1280, -1344, -1376, -1392


def _layout(data_lengths: list[int]) -> tuple[list[dict], int]:
    accounts, start = [], 8
    for length in data_lengths:
        key = start + 8
        data = key + 80
        end = data + length + REALLOC + (-length % 8) + 8
        accounts.append({"flags": start + 1, "key": key, "owner": key + 32, "lamports": key + 64,
                         "data_length": key + 72, "data": data, "rent_epoch": end - 8})
        start = end
    return accounts, start  # the instruction data's length field is at `start`


def relay_assembly(data_lengths: list[int], metas: list[tuple[int, bool, bool]], program: int,
                   inner_data_length: int) -> str:
    """`metas`: (account position, is_signer, is_writable) of the invoked instruction."""
    accounts, data_field = _layout(data_lengths)
    data = data_field + 8

    def pointer(stack: int, offset: int) -> str:
        return f"mov %r2, %r6\nadd %r2, {offset}\nstxdw [%r10{stack:+d}], %r2\n"

    def copy(stack: int, offset: int, width: str = "dw") -> str:  # offsets past 32 KiB: through r7
        return f"mov %r7, %r6\nadd %r7, {offset}\nldx{width} %r2, [%r7+0]\nstx{width} [%r10{stack:+d}], %r2\n"

    text = "mov %r6, %r1\n"
    for index, (position, signer, writable) in enumerate(metas):
        base = METAS + 16 * index
        text += pointer(base, accounts[position]["key"])
        text += f"stb [%r10{base + 8:+d}], {int(writable)}\nstb [%r10{base + 9:+d}], {int(signer)}\n"
    text += pointer(INSTRUCTION, accounts[program]["key"])
    text += f"mov %r2, %r10\nadd %r2, {METAS}\nstxdw [%r10{INSTRUCTION + 8:+d}], %r2\n"
    text += f"stdw [%r10{INSTRUCTION + 16:+d}], {len(metas)}\n"
    text += pointer(INSTRUCTION + 24, data + 1) + f"stdw [%r10{INSTRUCTION + 32:+d}], {inner_data_length}\n"
    for index, account in enumerate(accounts):
        base = INFOS + 56 * index
        text += pointer(base, account["key"]) + pointer(base + 8, account["lamports"])
        text += copy(base + 16, account["data_length"]) + pointer(base + 24, account["data"])
        text += pointer(base + 32, account["owner"]) + copy(base + 40, account["rent_epoch"])
        for field in range(3):  # is_signer, is_writable, executable
            text += copy(base + 48 + field, account["flags"] + field, "b")
    text += pointer(SEED, data) + f"stdw [%r10{SEED + 8:+d}], 1\n"
    text += f"mov %r2, %r10\nadd %r2, {SEED}\nstxdw [%r10{SEEDS:+d}], %r2\nstdw [%r10{SEEDS + 8:+d}], 1\n"
    text += f"mov %r1, %r10\nadd %r1, {INSTRUCTION}\nmov %r2, %r10\nadd %r2, {INFOS}\nmov %r3, {len(accounts)}\n"
    text += f"mov %r4, %r10\nadd %r4, {SEEDS}\nmov %r5, 1\n"
    text += "call -1  # sol_invoke_signed_c\nexit\n"
    return text


def relay_elf(*arguments) -> bytes:
    return probe_elf(relay_assembly(*arguments))
