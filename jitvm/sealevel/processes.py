"""Replay on worker processes: for work that holds the GIL (the reference interpreter, and the Python
around every program on the other engines), which threads cannot overlap.

The batch is split into groups that share no written account: the connected components of the
conflict graph (two transactions conflict when one writes an account the other touches). The groups
are dealt into N shares: this process runs the first, and each other share goes to a worker process
forked from this one (os.fork: a fork costs about 2 ms here, multiprocessing's start and join twice
that), so it starts with the bank exactly as it is (accounts, loaded and compiled programs). Each
runs its share's transactions in the ledger's order, committing each on its bank so the next one
sees it; a worker sends back every outcome through a pipe. This process then commits all outcomes
in the ledger's order: a transaction only ever read accounts of its own group, so every outcome is
the one a sequential run gives, and accounts and history end the same.
"""

from __future__ import annotations

import gc
import os
import pickle

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
    """The results of `transactions` (legacy, planned) run here and on `processes - 1` forked workers,
    committed here in order; None where processes cannot pay (one group holds most of the batch, or a
    repeated signature ties a transaction to everything before it) and the caller should run in order."""
    if any(item.barrier for item in planned) or not hasattr(os, "fork"):
        return None
    groups = conflict_groups(planned)
    if len(planned) < MIN_PARALLELISM * max(map(len, groups), default=0):
        return None
    shares = share_out(groups, processes)
    workers = []  # (indices, pid, read end of its pipe)
    gc.freeze()  # the workers' collector then leaves the inherited objects (and their pages) alone
    try:
        try:
            for indices in shares[1:]:
                readable, writable = os.pipe()
                pid = os.fork()
                if pid == 0:  # the worker: it never returns from here
                    os.close(readable)
                    _work(bank, [transactions[index] for index in indices], writable)
                os.close(writable)
                workers.append((indices, pid, readable))
        except BaseException:
            _collect(workers)  # the workers already started, so none is left behind
            raise
        # This process runs the first share meanwhile, committing each transaction so the next of its
        # group sees it; the history is put back, so the commits below keep the ledger's order.
        history = dict(bank.history)
        own = shares[0]
        failure = None
        outcomes: list = [None] * len(transactions)
        try:
            for index in own:
                outcomes[index] = _process_and_commit(bank, transactions[index])
        except BaseException as error:  # noqa: BLE001 - raised once the workers are collected
            failure = error
        bank.history.clear()
        bank.history.update(history)
    finally:
        gc.unfreeze()
    for indices, reply in _collect(workers):
        if isinstance(reply, BaseException):
            failure = failure or reply
            continue
        for index, outcome in zip(indices, reply):
            outcomes[index] = outcome
    if failure is not None:
        raise failure
    return [bank.commit(outcome) for outcome in outcomes]


def _collect(workers: list) -> list:
    """Each worker's (indices, reply): its outcomes, or the error it met; it is waited for."""
    replies = []
    for indices, pid, readable in workers:
        with os.fdopen(readable, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        try:
            reply = pickle.loads(data)
        except Exception:  # noqa: BLE001 - a worker that died before its reply
            reply = RuntimeError(f"a replay worker process ended without a reply (wait status {status})")
        replies.append((indices, reply))
    return replies


def _process_and_commit(bank, transaction):
    from jitvm.svm import processor

    outcome = processor.process(bank, transaction)
    bank.commit(outcome)
    return outcome


def _work(bank, transactions: list, writable: int) -> None:
    """In a forked worker: process and commit (on this copy of the bank) each transaction, write the
    outcomes to the pipe, and end the process without running the parent's exit handlers."""
    code = 0
    try:
        _no_background_compiles()
        try:
            reply = [_process_and_commit(bank, transaction) for transaction in transactions]
        except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
            reply = RuntimeError(f"replay worker process: {type(error).__name__}: {error}")
        with os.fdopen(writable, "wb") as pipe:
            pickle.dump(reply, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code
        code = 1
    finally:
        os._exit(code)


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
