"""Replaying on two threads gives exactly the sequential run: every result, every account."""

from __future__ import annotations

import pytest

pytest.importorskip("solders", reason="jitvm.svm is built on solders (the peers extra)")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jitvm.sealevel.parallel import plan, run_in_order
from tests.sealevel.ledgers import LOGGING_LOOP_PROGRAM, add_lookup_table, bank, loop_calls, summary, transfers

ENGINES = ["reference", "baseline", "jit"]


def _run(engine, wallets, count, seed, threads, loops=0, processes=1, lookups=False):
    svm, keys = bank(engine, wallets, loop_iterations=200 if loops else 0)
    batch = transfers(svm, keys, count, seed, table=add_lookup_table(svm, keys) if lookups else None)
    if loops:  # a silent loop, and one whose syscalls log and read the meter
        batch += loop_calls(svm, keys, loops, seed)
        batch += loop_calls(svm, keys, loops, seed + 1, program=LOGGING_LOOP_PROGRAM)
    results = run_in_order(svm, batch, threads, processes)
    return summary(svm, results, keys)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), wallets=st.sampled_from([2, 4, 16, 200]), count=st.integers(1, 60),
       lookups=st.booleans())
def test_two_threads_equal_one(seed, wallets, count, lookups):
    assert (_run("reference", wallets, count, seed, 2, lookups=lookups)
            == _run("reference", wallets, count, seed, 1, lookups=lookups))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("wallets", [2, 50])
def test_two_threads_equal_one_with_programs(engine, wallets):
    sequential = _run(engine, wallets, 30, 7, 1, loops=10)
    assert _run(engine, wallets, 30, 7, 2, loops=10) == sequential
    assert _run(engine, wallets, 30, 7, 1, loops=10, processes=2) == sequential
    assert any("Error" in row[0] or "Insufficient" in row[0] for row in sequential[0])  # failures are in it


@pytest.mark.parametrize("engine", ENGINES)
def test_syscalls_of_concurrent_transactions_reach_their_own_transaction(engine):
    """Programs that log and read their meter while another thread's program runs: every log line and
    unit count must be the sequential run's."""
    runs = []
    for threads in (1, 2):
        svm, keys = bank(engine, 24, loop_iterations=300 if engine == "reference" else 10_000)
        batch = loop_calls(svm, keys, 24, 3, round_robin=True, program=LOGGING_LOOP_PROGRAM)
        runs.append(summary(svm, run_in_order(svm, batch, threads), keys))
    assert runs[0] == runs[1]
    assert all(row[0] == "None" and any("Program log: 0x5, " in line for line in row[2]) for row in runs[0][0])


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), wallets=st.sampled_from([1, 2, 3, 8, 64, 500]), count=st.integers(1, 150),
       lookups=st.booleans())
def test_many_ledgers(engine, seed, wallets, count, lookups):
    """Transfers (a tenth of them overdrafts that fail; with `lookups`, some through a lookup table
    and a few paying the table) and calls of the loop programs (so the engine and syscalls run in the
    workers), from one wallet (every transaction conflicts) to 500 (nearly none)."""
    sequential = _run(engine, wallets, count, seed, 1, loops=8, lookups=lookups)
    assert _run(engine, wallets, count, seed, 2, loops=8, lookups=lookups) == sequential
    assert _run(engine, wallets, count, seed, 1, loops=8, processes=2, lookups=lookups) == sequential


def test_a_transaction_waits_for_the_last_writer_and_the_readers_since():
    svm, keys = bank("reference", 3)
    a, b, c = keys
    batch = transfers(svm, [a, b], 1, 1) + transfers(svm, [c], 1, 2) + transfers(svm, [a, b], 1, 3)
    planned = plan(batch, svm)
    assert planned[0].waits_for == []
    assert planned[1].waits_for == []  # c alone: no shared account
    assert planned[2].waits_for == [0]


def test_independent_transactions_go_to_worker_processes_and_a_chain_stays_here():
    from jitvm.sealevel.processes import conflict_groups, run_in_processes

    svm, keys = bank("baseline", 40, loop_iterations=200)
    independent = loop_calls(svm, keys, 40, 1, round_robin=True)
    groups = conflict_groups(plan(independent, svm))
    assert sorted(map(len, groups)) == [1] * 40
    assert run_in_processes(svm, independent, plan(independent, svm), 2) is not None
    svm, keys = bank("baseline", 1, loop_iterations=200)
    chain = loop_calls(svm, keys, 10, 1)
    assert conflict_groups(plan(chain, svm)) == [list(range(10))]
    assert run_in_processes(svm, chain, plan(chain, svm), 2) is None  # one group: nothing to share out


@pytest.mark.parametrize("how", ["raises", "dies"])
def test_a_worker_process_failure_is_raised_here(monkeypatch, how):
    """The forked workers run (their own process ids) and what goes wrong there comes back here."""
    import os

    from jitvm.svm import processor

    parent, process = os.getpid(), processor.process

    def failing_in_a_worker(bank, transaction, **options):
        if os.getpid() != parent:
            if how == "dies":
                os._exit(3)
            raise ValueError("broken on purpose")
        return process(bank, transaction, **options)

    monkeypatch.setattr(processor, "process", failing_in_a_worker)
    svm, keys = bank("reference", 20)
    batch = transfers(svm, keys[:10], 10, 1) + transfers(svm, keys[10:], 10, 2)
    message = "replay worker process: ValueError: broken on purpose" if how == "raises" else "ended without a reply"
    with pytest.raises(RuntimeError, match=message):
        run_in_order(svm, batch, processes=2)


def test_conflict_groups_share_written_accounts_not_read_only_ones():
    from jitvm.sealevel.processes import conflict_groups, share_out

    svm, keys = bank("reference", 3, loop_iterations=10)
    a, c, d = keys
    batch = loop_calls(svm, [a, c, d, a], 4, 1, round_robin=True)  # every call reads the loop program
    assert sorted(conflict_groups(plan(batch, svm))) == [[0, 3], [1], [2]]
    assert share_out([[0, 3], [1], [2]], 2) == [[0, 3], [1, 2]]


def test_command_line_replay_on_two_threads_prints_the_sequential_report(tmp_path, capsys):
    pytest.importorskip("solders.litesvm", reason="the ledger is built with LiteSVM")
    from jitvm.cli.main import main
    from tests.svm.test_cli_svm import _ledger

    path = _ledger(tmp_path)[0]
    reports = []
    for option in (["--threads", "1"], ["--threads", "2"], ["--processes", "2"]):
        assert main(["svm", "run", str(path), "--json", *option]) == 0
        reports.append(capsys.readouterr().out)
    assert reports[0] == reports[1] == reports[2] and '"transactions"' in reports[0]
    assert main(["svm", "run", str(path), "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err
    assert main(["svm", "run", str(path), "--processes", "0"]) == 2
    assert "--processes" in capsys.readouterr().err


def test_forged_signatures_fail_alike_on_threads(monkeypatch):
    """The threaded replay checks signatures with libsodium first (jitvm.svm.signatures): forged
    ones fail there as in the sequential run, which checks them with solders."""
    from solders.signature import Signature
    from solders.transaction import Transaction

    from jitvm.svm import processor

    def forge(transaction, number):
        signature = bytearray(bytes(transaction.signatures[0]))
        signature[number % 64] ^= 1 << number % 8
        return Transaction.populate(transaction.message, [Signature.from_bytes(bytes(signature))])

    runs = []
    for threads in (1, 2):
        svm, keys = bank("reference", 50)
        batch = [forge(tx, number) if number % 3 == 0 else tx for number, tx in enumerate(transfers(svm, keys, 40, 3))]
        released = []
        process = processor.process
        monkeypatch.setattr(processor, "process", lambda bank, tx, release_gil=False, **options: (
            released.append(release_gil), process(bank, tx, release_gil=release_gil, **options))[1])
        runs.append(summary(svm, run_in_order(svm, batch, threads), keys))
        assert any(released) == (threads == 2)
        monkeypatch.setattr(processor, "process", process)
    assert runs[0] == runs[1]
    assert [row[0] for row in runs[0][0][::3]] == ["SignatureFailure"] * 14


def _lookup_batch(svm, keys):
    """v0 transfers whose recipients come from a lookup table, a legacy transfer from one of those
    recipients (a conflict the static keys do not show), a transfer that writes the table itself (so
    lookups after it are known only when they run) and v0 transfers after that."""
    import struct

    from solders.address_lookup_table_account import AddressLookupTableAccount
    from solders.message import Message, MessageV0
    from solders.pubkey import Pubkey
    from solders.transaction import Transaction, VersionedTransaction

    from jitvm.svm.accounts import Account
    from jitvm.svm.lookup_tables import ADDRESS_LOOKUP_TABLE_PROGRAM
    from tests.svm import system_ix as sx

    payer, recipient, other = keys[0], keys[1], keys[2]
    listed = [recipient.pubkey(), other.pubkey()]
    table = Pubkey.from_bytes(bytes(range(1, 33)))
    meta = struct.pack("<IQQBB", 1, 2**64 - 1, 0, 0, 0) + bytes(34)
    svm.set_account(table, Account(10**9, bytearray(meta + b"".join(bytes(address) for address in listed)),
                                   ADDRESS_LOOKUP_TABLE_PROGRAM))
    blockhash = svm.latest_blockhash()

    def through_table(source, destination, lamports):
        message = MessageV0.try_compile(source.pubkey(), [sx.transfer(source.pubkey(), destination, lamports)],
                                        [AddressLookupTableAccount(table, listed)], blockhash)
        return VersionedTransaction(message, [source])

    def plain(source, destination, lamports):
        return Transaction([source], Message([sx.transfer(source.pubkey(), destination, lamports)], source.pubkey()),
                           blockhash)

    return [through_table(payer, recipient.pubkey(), 5_000_000),
            plain(recipient, keys[3].pubkey(), 10 * 10**9 + 4_000_000),  # only with the first one's lamports
            plain(keys[4], table, 1_000),  # writes the table account
            through_table(keys[5], other.pubkey(), 7_000),
            plain(keys[6], keys[7].pubkey(), 9_000)]


def test_lookup_table_addresses_are_planned_and_a_written_table_fences():
    from jitvm.svm.bank import _legacy

    svm, keys = bank("reference", 8)
    planned = plan([_legacy(tx) for tx in _lookup_batch(svm, keys)], svm)
    looked_up = bytes(keys[1].pubkey())
    assert looked_up in planned[0].accounts.writable  # resolved from the table, not a static key
    assert planned[1].waits_for == [0]
    assert not planned[2].barrier and planned[3].barrier  # the table changed before it: known only when it runs
    assert 3 in planned[4].waits_for  # everything after a fenced transaction waits for it


@pytest.mark.parametrize("engine", ENGINES)
def test_lookup_table_batches_equal_on_threads_and_processes(engine):
    runs = []
    for threads, processes in ((1, 1), (2, 1), (1, 2)):
        svm, keys = bank(engine, 8)
        runs.append(summary(svm, run_in_order(svm, _lookup_batch(svm, keys), threads, processes), keys))
    assert runs[0] == runs[1] == runs[2]
    assert [row[0] for row in runs[0][0]] == ["None"] * 5
