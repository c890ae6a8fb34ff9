"""Generated batches of Solana transactions for Sealevel's tests and measurements: System transfers
among a pool of wallets (the smaller the pool, the more conflicts), overdrafts that must fail, v0
transfers through a lookup table, and calls of a CPU-heavy sBPF program (a loop with no syscall) that write their own accounts."""

from __future__ import annotations

import random

from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.transaction import Transaction, VersionedTransaction

from jitvm.svm.bank import SVM
from tests.svm import system_ix as sx
from tests.svm.probes import probe_elf

SOL = 10**9
LOOP_PROGRAM = Pubkey.from_string("Loop111111111111111111111111111111111111111")
LOGGING_LOOP_PROGRAM = Pubkey.from_string("LogLoop111111111111111111111111111111111111")
LOOKUP_TABLE = Pubkey.from_bytes(bytes(range(101, 133)))


def loop_elf(iterations: int) -> bytes:
    """A program that counts to `iterations` (4 instructions per round) and returns."""
    return probe_elf(f"mov %r6, 0\nagain:\nadd %r6, 1\nxor %r7, %r6\njlt %r6, {iterations}, again\nmov %r0, 0\nexit")


def logging_loop_elf(rounds: int, spin: int) -> bytes:
    """A program that, `rounds` times, logs the round and its instruction data's first word
    (sol_log_64_) and its remaining compute units, then spins `spin` times: syscalls of concurrent
    transactions must each reach their own transaction."""
    return probe_elf(f"""
mov %r8, %r2
ldxw %r9, [%r8+0]
mov %r6, 0
again:
mov %r1, %r6
mov %r2, %r9
mov %r3, 0
mov %r4, 0
mov %r5, 0
call -1  # sol_log_64_
call -1  # sol_log_compute_units_
mov %r7, 0
spin:
add %r7, 1
jlt %r7, {spin}, spin
add %r6, 1
jlt %r6, {rounds}, again
mov %r0, 0
exit""")


def bank(engine: str, wallets: int, loop_iterations: int = 0) -> tuple[SVM, list[Keypair]]:
    svm = SVM(engine=engine)
    keys = [Keypair.from_seed(bytes([index % 251 + 1]) * 31 + bytes([index // 251])) for index in range(wallets)]
    for key in keys:
        svm.airdrop(key.pubkey(), 10 * SOL)
    if loop_iterations:
        svm.add_program(LOOP_PROGRAM, loop_elf(loop_iterations), "v2")
        svm.add_program(LOGGING_LOOP_PROGRAM, logging_loop_elf(6, loop_iterations), "v2")
    return svm, keys


def add_lookup_table(svm: SVM, keys: list[Keypair]):
    """A lookup table (no authority, active) holding the first 256 wallets; its solders description."""
    import struct

    from solders.address_lookup_table_account import AddressLookupTableAccount

    from jitvm.svm.accounts import Account
    from jitvm.svm.lookup_tables import ADDRESS_LOOKUP_TABLE_PROGRAM

    addresses = [key.pubkey() for key in keys[:256]]
    meta = struct.pack("<IQQBB", 1, 2**64 - 1, 0, 0, 0) + bytes(34)
    svm.set_account(LOOKUP_TABLE, Account(10**9, bytearray(meta + b"".join(map(bytes, addresses))),
                                          ADDRESS_LOOKUP_TABLE_PROGRAM))
    return AddressLookupTableAccount(LOOKUP_TABLE, addresses)


def transfers(svm: SVM, keys: list[Keypair], count: int, seed: int, failing_share: float = 0.1,
              table=None) -> list:
    """System transfers; with `table` (add_lookup_table's), a quarter of them are v0 messages whose
    recipient comes from the table, and a few pay the table itself (so lookups after them are known
    only when they run)."""
    rng = random.Random(seed)
    blockhash = svm.latest_blockhash()
    out = []
    for number in range(count):
        source, destination = rng.choice(keys), rng.choice(keys).pubkey()
        lamports = 20 * SOL if rng.random() < failing_share else rng.randint(1, 10_000) + number
        if table is not None and rng.random() < 0.03:
            destination = table.key
        instruction = sx.transfer(source.pubkey(), destination, lamports)
        if table is not None and rng.random() < 0.25:
            message = MessageV0.try_compile(source.pubkey(), [instruction], [table], blockhash)
            out.append(VersionedTransaction(message, [source]))
        else:
            out.append(Transaction([source], Message([instruction], source.pubkey()), blockhash))
    return out


def loop_calls(svm: SVM, keys: list[Keypair], count: int, seed: int, round_robin: bool = False,
               unit_limit: int | None = None, program: Pubkey = LOOP_PROGRAM) -> list[Transaction]:
    """Calls of the loop program (or `program`), each by a wallet chosen at random, or by the
    wallets in turn (writable: the fee payer); `unit_limit` adds a Compute Budget limit."""
    from solders.compute_budget import set_compute_unit_limit

    rng = random.Random(seed)
    blockhash = svm.latest_blockhash()
    out = []
    for number in range(count):
        payer = keys[number % len(keys)] if round_robin else rng.choice(keys)
        instruction = Instruction(program, number.to_bytes(4, "little"), [AccountMeta(payer.pubkey(), True, True)])
        instructions = [set_compute_unit_limit(unit_limit), instruction] if unit_limit else [instruction]
        out.append(Transaction([payer], Message(instructions, payer.pubkey()), blockhash))
    return out


def summary(svm: SVM, results, keys) -> tuple:
    """Everything a run must reproduce: every result and every wallet's balance."""
    rows = tuple((str(r.err), str(r.meta.signature), tuple(r.meta.logs), r.meta.compute_units_consumed, r.meta.fee,
                  r.meta.return_data) for r in results)
    return rows, tuple(svm.get_balance(key.pubkey()) for key in keys)
