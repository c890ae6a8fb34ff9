"""Running transactions on several threads with a result identical to running them in order.

The order is given (a ledger's, or the scheduler's commit order). A transaction may start as soon as
every earlier transaction it conflicts with (a shared account that either writes) has been committed;
commits happen strictly in the given order. So every transaction reads exactly the state it would
read in a sequential run, and the bank ends in the same state, history included.

Threads pay off where a transaction's work runs without the GIL: the BPF JIT's machine code is
entered through ctypes (which releases it), the Numba interpreter is compiled `nogil`, and signatures
are checked by libsodium without it; everything around the program is Python and holds it. So the
workers keep their own Python short and hand the GIL over as seldom as they can: the batch's
signatures are checked ahead on every thread (jitvm.sealevel.sigverify), so a transaction releases
the GIL once, for its program; a worker never waits for its turn to commit (a finished transaction is
left for whichever worker commits the one before it), takes the first ready transaction rather than
idling behind a chain, and reuses the message the plan built.

A v0 transaction locks the addresses its lookup tables give, resolved when the plan is made. When an
earlier transaction of the batch writes one of those tables, the addresses are known only when it
runs: it then waits for every earlier commit, and every later transaction waits for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from jitvm.sealevel.locks import AccountSet, message_account_set


@dataclass
class Scheduled:
    index: int
    transaction: object
    accounts: AccountSet
    waits_for: list[int]  # earlier transactions (by index) that must be committed first
    barrier: bool  # must wait for every earlier commit (its signature may be in the bank's history)
    message: object = None  # its jitvm.svm.processor.MessageView, when the plan could resolve it
    signatures_accepted: bool = False  # checked ahead and accepted (jitvm.sealevel.sigverify)

    @property
    def needs_committed(self) -> int:
        """How many of the first transactions must be committed before this one starts."""
        if self.barrier:
            return self.index
        return self.waits_for[-1] + 1 if self.waits_for else 0


def _lookup_tables(transaction) -> frozenset[bytes]:
    lookups = getattr(transaction.message, "address_table_lookups", None)
    return frozenset(bytes(lookup.account_key) for lookup in lookups) if lookups else frozenset()


def plan(transactions: list, bank) -> list[Scheduled]:
    """Each transaction's predecessors: the last writer of every account it touches, and the
    readers since that writer of every account it writes."""
    from jitvm.svm.errors import TransactionError
    from jitvm.svm.processor import MessageView, message_view

    last_writer: dict[bytes, int] = {}
    readers_since: dict[bytes, list[int]] = {}
    signatures: set[bytes] = set()
    fence = None  # the last transaction whose looked-up addresses are known only when it runs
    planned = []
    for index, transaction in enumerate(transactions):
        wire_message = transaction.message
        tables = _lookup_tables(transaction)
        message = None
        unknown = bool(tables & last_writer.keys())  # a table an earlier transaction may change
        if not unknown:
            try:
                message = message_view(bank, wire_message)
            except TransactionError:
                pass  # it fails there when it runs, reading nothing but its tables
        accounts = message_account_set(message or MessageView(wire_message), tables)
        waits: set[int] = set() if fence is None else {fence}
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
        barrier = unknown or signature in signatures or signature in bank.history
        signatures.add(signature)
        if unknown:
            fence = index
        planned.append(Scheduled(index, transaction, accounts, sorted(waits), barrier, message))
    return planned


LOOK_AHEAD = 128  # how far past the first transaction not yet taken a replay worker looks for a ready one
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
    from jitvm.svm.bank import _legacy

    if threads <= 1 and processes <= 1:
        return [bank.send_transaction(transaction) for transaction in transactions]
    legacy = [_legacy(transaction) for transaction in transactions]
    planned = plan(legacy, bank)
    if processes > 1:
        from jitvm.sealevel.processes import run_in_processes

        results = run_in_processes(bank, legacy, planned, processes)
        return results if results is not None else _run_here(bank, planned)
    if len(planned) < MIN_PARALLELISM * longest_chain(planned):
        # Too little to overlap: threads would only add their hand-offs to a chain that runs in order.
        return _run_here(bank, planned)
    if bank.sigverify:
        from jitvm.sealevel.sigverify import accepted_transactions

        for item, accepted in zip(planned, accepted_transactions(legacy, threads)):
            item.signatures_accepted = accepted
    return _run_on_threads(bank, planned, threads)


def _run_here(bank, planned: list[Scheduled]) -> list:
    """In order on this thread, as bank.send_transaction does, with the messages the plan built."""
    from jitvm.svm import processor

    return [bank.commit(processor.process(bank, item.transaction, message=item.message)) for item in planned]


def _run_on_threads(bank, planned: list[Scheduled], threads: int) -> list:
    """Workers (this thread and threads - 1 more) each take the first transaction not yet taken whose
    predecessors are committed (looking up to LOOK_AHEAD past the first one not taken, so a worker
    does not idle behind a chain while later independent transactions wait), process it, then commit
    every finished transaction that is next in order, its own or others'."""
    from jitvm.svm import processor

    count = len(planned)
    outcomes: list = [None] * count
    results: list = [None] * count
    taken = bytearray(count)
    first_not_taken = [0]
    committed = [0]  # transactions committed so far (always the first ones)
    progress = threading.Condition()  # guards taking and committing; notified when commits advance
    failure: list[BaseException] = []

    def take() -> int | None:
        """The next transaction to process, once one is ready; None when all are taken (or on failure)."""
        with progress:
            while not failure:
                first = first_not_taken[0]
                while first < count and taken[first]:
                    first += 1
                first_not_taken[0] = first
                if first == count:
                    return None
                done = committed[0]
                for index in range(first, min(count, first + LOOK_AHEAD)):
                    if not taken[index] and planned[index].needs_committed <= done:
                        taken[index] = 1
                        return index
                progress.wait()  # for a commit: nothing taken can become ready otherwise
            return None

    def commit_ready() -> None:
        with progress:
            start = next_index = committed[0]
            try:
                while next_index < count and outcomes[next_index] is not None:
                    results[next_index] = bank.commit(outcomes[next_index])
                    outcomes[next_index] = None  # its result stands for it now
                    next_index += 1
            finally:
                committed[0] = next_index
                if next_index != start:
                    progress.notify_all()

    def work() -> None:
        try:
            while (index := take()) is not None:
                item = planned[index]
                outcomes[index] = processor.process(bank, item.transaction, release_gil=True, message=item.message,
                                                    signatures_accepted=item.signatures_accepted)
                commit_ready()
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            with progress:
                failure.append(error)
                progress.notify_all()

    helpers = [threading.Thread(target=work, name=f"sealevel-{number}", daemon=True) for number in range(1, threads)]
    for helper in helpers:
        helper.start()
    work()
    for helper in helpers:
        helper.join()
    if failure:
        raise failure[0]
    return results
