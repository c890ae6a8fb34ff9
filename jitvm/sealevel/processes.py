"""Replay on worker processes: for work that holds the GIL (the reference interpreter, and the Python
around every program on the other engines), which threads cannot overlap.

The batch is split into groups that share no written account: the connected components of the
conflict graph (two transactions conflict when one writes an account the other touches). Each worker
process is forked from this one, so it starts with the bank exactly as it is (accounts, loaded and
compiled programs); it runs its groups' transactions in the ledger's order on its own copy,
committing each there so the next one sees it, and sends back every transaction's outcome. This
process then commits all outcomes in the ledger's order: a transaction only ever read accounts of
its own group, so every outcome is the one a sequential run gives, and accounts and history end the
same.
"""

from __future__ import annotations

import gc
import multiprocessing

from jitvm.sealevel.parallel import MIN_PARALLELISM, Scheduled


def conflict_groups(planned: list[Scheduled]) -> list[list[int]]:
    """Transactions (by index, in order) grouped so that no written account is shared across groups."""
    written = set().union(*(item.accounts.writable for item in planned)) if planned else set()
    parent = list(range(len(planned)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    owner: dict[bytes, int] = {}  # a written account -> a transaction touching it
    for item in planned:
        for key in (item.accounts.writable | item.accounts.readonly) & written:
            other = owner.setdefault(key, item.index)
            parent[root(item.index)] = root(other)
    groups: dict[int, list[int]] = {}
    for item in planned:
        groups.setdefault(root(item.index), []).append(item.index)
    return list(groups.values())


def share_out(groups: list[list[int]], workers: int) -> list[list[int]]:
    """Groups dealt to workers, largest first to the least loaded (each worker's indices in order)."""
    loads: list[list[int]] = [[] for _ in range(workers)]
    for group in sorted(groups, key=len, reverse=True):
        min(loads, key=len).extend(group)
    return [sorted(load) for load in loads if load]


def run_in_processes(bank, transactions: list, planned: list[Scheduled], processes: int) -> list | None:
    """The results of `transactions` (legacy, planned) run on `processes` forked workers, committed
    here in order; None where processes cannot pay (one group holds most of the batch, or a repeated
    signature ties a transaction to everything before it) and the caller should run in order."""
    if any(item.barrier for item in planned) or "fork" not in multiprocessing.get_all_start_methods():
        return None
    groups = conflict_groups(planned)
    if len(planned) < MIN_PARALLELISM * max(map(len, groups), default=0):
        return None
    context = multiprocessing.get_context("fork")
    workers = []
    gc.freeze()  # the workers' collector then leaves the inherited objects (and their pages) alone
    try:
        for indices in share_out(groups, processes):
            receiver, sender = context.Pipe(duplex=False)
            worker = context.Process(target=_work, args=(bank, [transactions[i] for i in indices], sender),
                                     daemon=True)
            worker.start()
            sender.close()
            workers.append((indices, receiver, worker))
    finally:
        gc.unfreeze()
    outcomes: list = [None] * len(transactions)
    failure = None
    for indices, receiver, worker in workers:
        try:
            reply = receiver.recv()
        except EOFError:
            reply = RuntimeError(f"a replay worker process ended without a reply (exit code {worker.exitcode})")
        worker.join()
        if isinstance(reply, BaseException):
            failure = failure or reply
            continue
        for index, outcome in zip(indices, reply):
            outcomes[index] = outcome
    if failure is not None:
        raise failure
    return [bank.commit(outcome) for outcome in outcomes]


def _work(bank, transactions: list, sender) -> None:
    """In a worker: process and commit (on this copy of the bank) each transaction; send the outcomes."""
    from jitvm.svm import processor

    _no_background_compiles()
    try:
        outcomes = []
        for transaction in transactions:
            outcome = processor.process(bank, transaction)
            bank.commit(outcome)
            outcomes.append(outcome)
        sender.send(outcomes)
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        sender.send(RuntimeError(f"replay worker process: {type(error).__name__}: {error}"))
    finally:
        sender.close()


def _no_background_compiles() -> None:
    """A forked worker starts no JIT upgrade: its compile thread would die with the worker, and a
    lock the parent's compile thread held at the fork would never be released here."""
    import sys

    from jitvm.bpf import driver

    never = 1 << 62
    driver.AUTO.upgrade_runs = driver.AUTO.upgrade_instructions = never
    jit = sys.modules.get("jitvm.bpf.jit.compile")
    if jit is not None:
        jit.UPGRADE_ENTRIES = never
