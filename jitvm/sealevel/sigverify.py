"""A replay batch's signatures checked ahead of processing, on several threads at once.

On a threaded replay a transaction checked its own signatures with libsodium, the GIL released for
the call (jitvm.svm.signatures). Between the Python of two busy workers every such release hands the
GIL over, and each hand-off costs both threads system time and cold caches: with a release for the
signature and one for the program, a JIT transaction cost a worker 280 us of CPU against 175 us
alone. So the batch's signatures are checked first, by every thread on its share, where the threads
do little else than libsodium's check (GIL released, ~40 us) and a few microseconds of Python each:
they hardly contend. A transaction then releases the GIL once, for its program.

A signature depends on the transaction alone, never on the bank, so checking it early changes no
verdict. libsodium's acceptance is final (`jitvm.svm.signatures.fast_accepts`); a transaction with a
refused signature is checked again when it runs, where solders' exact check decides.

(A Numba loop calling libsodium's function pointer, one GIL release per thread, was tried: the same
speed, and a quarter of a second to load from the cache in every new process.)
"""

from __future__ import annotations

import threading


def accepted_transactions(transactions: list, threads: int) -> list[bool]:
    """For each transaction (legacy or v0), whether libsodium accepts every signature (each under the
    static account key at its position), checked on `threads` threads."""
    from jitvm.svm.signatures import message_bytes

    checks: list[tuple[int, bytes, bytes, bytes]] = []  # (transaction, signature, key, message)
    verdicts = []
    for number, transaction in enumerate(transactions):
        signatures, wire_message = transaction.signatures, transaction.message
        account_keys = wire_message.account_keys
        verdicts.append(len(signatures) <= len(account_keys))
        if not verdicts[-1]:
            continue  # sanitize refuses it before any signature is checked
        message = message_bytes(transaction, wire_message)
        checks += [(number, bytes(signature), bytes(key), message) for signature, key in zip(signatures, account_keys)]
    shares = [checks[share::max(1, threads)] for share in range(max(1, threads))]
    outcomes: list = [None] * len(shares)  # per share, its verdicts once checked (None: it failed)
    helpers = [threading.Thread(target=_check, args=(shares, number, outcomes), daemon=True)
               for number in range(1, len(shares))]
    for helper in helpers:
        helper.start()
    _check(shares, 0, outcomes)
    for helper in helpers:
        helper.join()
    for share, verdicts_of_share in zip(shares, outcomes):
        for (number, *_), accepted in zip(share, verdicts_of_share or [False] * len(share)):
            if not accepted:
                verdicts[number] = False  # checked again when it runs
    return verdicts


def _check(shares: list, number: int, outcomes: list) -> None:
    from jitvm.svm.signatures import fast_accepts

    outcomes[number] = [fast_accepts(signature, key, message) for _, signature, key, message in shares[number]]
