"""Running transactions on several threads with a result identical to running them in order.

The order is given (a ledger's, or the scheduler's commit order). A transaction may start as soon as
every earlier transaction it conflicts with (a shared account that either writes) has been committed;
commits happen strictly in the given order, on the thread that finishes them in turn. So every
transaction reads exactly the state it would read in a sequential run, and the bank ends in the
same state, history included.

Threads pay off where a transaction's work runs without the GIL: the BPF JIT's machine code is
entered through ctypes (which releases it) and the Numba interpreter is compiled `nogil`; syscalls and
everything around the program come back to Python.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from jitvm.sealevel.locks import AccountSet, account_set


@dataclass
class Scheduled:
    index: int
    transaction: object
    accounts: AccountSet
    waits_for: list[int]  # earlier transactions (by index) that must be committed first
    barrier: bool  # must wait for every earlier commit (its signature may be in the bank's history)


def plan(transactions: list, bank) -> list[Scheduled]:
    """Each transaction's predecessors: the last writer of every account it touches, and the
    readers since that writer of every account it writes."""
    last_writer: dict[bytes, int] = {}
    readers_since: dict[bytes, list[int]] = {}
    signatures: set[bytes] = set()
    planned = []
    for index, transaction in enumerate(transactions):
        accounts = account_set(transaction)
        waits: set[int] = set()
        for key in accounts.readonly | accounts.writable:
            if key in last_writer:
                waits.add(last_writer[key])
        for key in accounts.writable:
            waits.update(readers_since.get(key, ()))
        for key in accounts.readonly:
            readers_since.setdefault(key, []).append(index)
        for key in accounts.writable:
            last_writer[key] = index
            readers_since[key] = []
        signature = bytes(transaction.signatures[0]) if transaction.signatures else b""
        # A signature seen before may be refused as already processed, depending on the history at
        # that moment: such a transaction waits for everything before it.
        barrier = signature in signatures or signature in bank.history
        signatures.add(signature)
        planned.append(Scheduled(index, transaction, accounts, sorted(waits), barrier))
    return planned


MIN_PARALLELISM = 1.5  # transactions per link of the longest conflict chain, below which threads do not pay


def longest_chain(planned: list[Scheduled]) -> int:
    """The most transactions that must run one after another (the plan's critical path)."""
    return critical_path(planned, [1] * len(planned))


def critical_path(planned: list[Scheduled], work: list[int]) -> int:
    """The most work (per transaction: `work`, e.g. its compute units) on one chain of transactions
    that must run one after another: no schedule on any number of threads takes less."""
    depth: list[int] = []
    for item, units in zip(planned, work):
        if item.barrier:
            depth.append(units + max(depth, default=0))
        else:
            depth.append(units + max((depth[other] for other in item.waits_for), default=0))
    return max(depth, default=0)


def run_in_order(bank, transactions: list, threads: int = 1, processes: int = 1) -> list:
    """`bank.send_transaction` for each transaction, on `threads` threads or `processes` worker
    processes (jitvm.sealevel.processes), as if in order."""
    from jitvm.svm import processor
    from jitvm.svm.bank import _legacy

    if threads <= 1 and processes <= 1:
        return [bank.send_transaction(transaction) for transaction in transactions]
    legacy = [_legacy(transaction) for transaction in transactions]
    planned = plan(legacy, bank)
    if processes > 1:
        from jitvm.sealevel.processes import run_in_processes

        results = run_in_processes(bank, legacy, planned, processes)
        return results if results is not None else [bank.send_transaction(transaction) for transaction in legacy]
    if len(planned) < MIN_PARALLELISM * longest_chain(planned):
        # Too little to overlap: threads would only add their hand-offs to a chain that runs in order.
        return [bank.send_transaction(transaction) for transaction in legacy]
    committed = [threading.Event() for _ in planned]
    turn = threading.Condition()
    next_commit = [0]
    results: list = [None] * len(planned)
    failure: list[BaseException] = []

    def work(item: Scheduled) -> None:
        try:
            if item.barrier:
                for event in committed[:item.index]:
                    event.wait()
            for other in item.waits_for:
                committed[other].wait()
            outcome = processor.process(bank, item.transaction, release_gil=True)
            with turn:
                turn.wait_for(lambda: next_commit[0] == item.index or failure)
                if failure:
                    return
                results[item.index] = bank.commit(outcome)
                next_commit[0] += 1
                committed[item.index].set()
                turn.notify_all()
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            with turn:
                failure.append(error)
                turn.notify_all()
            for event in committed:
                event.set()

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sealevel") as pool:
        # Submitted in order, so a worker only ever waits for transactions already taken by others.
        list(pool.map(work, planned))
    if failure:
        raise failure[0]
    return results
