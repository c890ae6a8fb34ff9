"""SPL Token transfers (the mainnet token.so bundled in jitvm/bench/data/svm) on jitvm's SVM and
on LiteSVM side by side, after checking that both give the same results: one pass over 10,000
transfers by default (`jitvm bench`'s svm group times the same transactions in its own way).

    python -m jitvm.bench.svm_ledger [--transfers N] [--engine E ...]

Prints the time per transaction of each, in process CPU time (all run in this process, one thread,
taking turns by chunks of transactions: other processes on a busy machine count less than in elapsed
time, and alike for all). Signatures are verified and logs collected in both.
"""

from __future__ import annotations

import argparse
import gc
import struct
import time
from pathlib import Path

from jitvm.errors import InputError

TOKEN_ID = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
UPGRADEABLE = "BPFLoaderUpgradeab1e11111111111111111111111"


def token_transfer_ledger(transfers: int, blockhash):
    """Setup transactions (mint, two token accounts, mint-to) and `transfers` distinct transfers."""
    from solders.instruction import AccountMeta, Instruction
    from solders.keypair import Keypair
    from solders.message import Message
    from solders.pubkey import Pubkey
    from solders.system_program import CreateAccountParams, create_account
    from solders.transaction import Transaction

    token = Pubkey.from_string(TOKEN_ID)
    payer, mint, first, second = (Keypair.from_seed(bytes([seed]) * 32) for seed in (1, 2, 3, 4))
    owner = payer.pubkey()

    def tx(instructions, *signers):
        return Transaction([payer, *signers], Message(instructions, owner), blockhash)

    def create(account, space):
        return create_account(CreateAccountParams(from_pubkey=owner, to_pubkey=account, lamports=10**8, space=space,
                                                  owner=token))

    setup = [tx([create(mint.pubkey(), 82), Instruction(token, bytes([20, 0]) + bytes(owner) + b"\0",
                                                        [AccountMeta(mint.pubkey(), False, True)])], mint)]
    for account in (first, second):
        setup.append(tx([create(account.pubkey(), 165),
                         Instruction(token, bytes([18]) + bytes(owner), [AccountMeta(account.pubkey(), False, True),
                                                                        AccountMeta(mint.pubkey(), False, False)])],
                        account))
    setup.append(tx([Instruction(token, bytes([7]) + struct.pack("<Q", 10**12),
                                 [AccountMeta(mint.pubkey(), False, True), AccountMeta(first.pubkey(), False, True),
                                  AccountMeta(owner, True, False)])]))
    moves = []
    for index in range(transfers):
        source, destination = (first, second) if index % 2 == 0 else (second, first)
        moves.append(tx([Instruction(token, bytes([3]) + struct.pack("<Q", index // 2 + 1),
                                     [AccountMeta(source.pubkey(), False, True),
                                      AccountMeta(destination.pubkey(), False, True),
                                      AccountMeta(owner, True, False)])]))
    return payer, setup, moves


def _litesvm(elf: bytes):
    from solders.litesvm import LiteSVM
    from solders.pubkey import Pubkey

    svm = LiteSVM()
    svm.add_program_with_loader(Pubkey.from_string(TOKEN_ID), elf, Pubkey.from_string(UPGRADEABLE))
    return svm


def _summary(result) -> tuple:
    if hasattr(result, "meta") and not callable(result.meta):  # jitvm
        return result.err is None, result.meta.compute_units_consumed, tuple(result.meta.logs)
    meta = result.meta() if hasattr(result, "err") else result
    return not hasattr(result, "err"), meta.compute_units_consumed(), tuple(meta.logs())


CHUNK = 100  # transactions each bank runs in turn, so that a busy machine slows every bank alike


def bench(transfers: int, engines: list[str], elf: bytes) -> dict[str, float]:
    """Seconds per transfer transaction for LiteSVM and each engine, in process CPU time. The banks
    take turns, CHUNK transactions at a time; every result is checked against LiteSVM's (error,
    compute units, logs). The engines run one transfer first, outside the timing (compile, warm-up)."""
    from solders.account import Account as SoldersAccount
    from solders.pubkey import Pubkey

    from jitvm.svm import SVM

    lite = _litesvm(elf)
    payer, setup, moves = token_transfer_ledger(transfers + 1, lite.latest_blockhash())
    warm_up, moves = moves[0], moves[1:]
    funded = SoldersAccount(10**12, b"", Pubkey.default(), False, 0)
    banks = {"litesvm": lite}
    for engine in engines:
        banks[engine] = SVM(engine=engine)
        banks[engine].add_program(Pubkey.from_string(TOKEN_ID), elf, "upgradeable")
    summaries: dict[str, list] = {name: [] for name in banks}
    for name, bank in banks.items():
        bank.set_account(payer.pubkey(), funded)
        summaries[name] += [_summary(bank.send_transaction(tx)) for tx in (*setup, warm_up)]
    seconds = dict.fromkeys(banks, 0.0)
    collecting = gc.isenabled()
    try:
        for first in range(0, len(moves), CHUNK):
            chunk = moves[first:first + CHUNK]
            for name, bank in banks.items():
                gc.collect(0)
                gc.disable()  # as jitvm bench times its calls: no collection lands in one bank's turn
                send, started = bank.send_transaction, time.process_time()
                results = [send(tx) for tx in chunk]
                seconds[name] += time.process_time() - started
                if collecting:
                    gc.enable()
                summaries[name] += [_summary(result) for result in results]
    finally:
        if collecting:
            gc.enable()
    for name, summary in summaries.items():
        if summary != summaries["litesvm"]:
            raise AssertionError(f"{name}: results differ from LiteSVM")
    return {name: total / len(moves) for name, total in seconds.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=10_000)
    parser.add_argument("--engine", action="append", choices=("reference", "baseline", "jit", "auto"))
    parser.add_argument("--elf", default=None, help="token.so (default: the shared fixtures' svm/programs/token.so)")
    args = parser.parse_args(argv)
    path = Path(args.elf) if args.elf else _fixture()
    try:
        elf = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or str(exc)) from None
    timings = bench(args.transfers, args.engine or ["jit"], elf)
    base = timings["litesvm"]
    for name, seconds in timings.items():
        print(f"{name:10s} {seconds * 1e6:10.1f} us/transaction  {seconds / base:6.2f}x LiteSVM")
    return 0


def _fixture() -> Path:
    from jitvm.bench.workloads import find_fixtures

    return find_fixtures() / "svm" / "programs" / "token.so"


if __name__ == "__main__":
    raise SystemExit(main())
