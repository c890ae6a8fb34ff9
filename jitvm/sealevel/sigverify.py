"""A replay batch's signatures checked ahead of processing, on several threads, each in one call
without the GIL.

On a threaded replay a transaction checked its own signatures with libsodium, the GIL released for
each (jitvm.svm.signatures). Every such release hands the GIL to the other worker and costs both
threads the hand-off (tens of microseconds of system time on this kind of machine), for a check
that itself takes about 40. So the batch's signatures are checked first: the signed bytes of every
signature go into one buffer, and each thread runs a compiled loop (Numba, nogil) calling libsodium's
`crypto_sign_open` (PyNaCl's own build, the function jitvm.svm.signatures calls) on its share.

A signature depends on the transaction alone, never on the bank, so checking it early changes no
verdict. libsodium's acceptance is final (see jitvm.svm.signatures); a transaction with a refused
signature is checked again when it runs, where solders' exact check decides.
"""

from __future__ import annotations

import ctypes
import functools
import threading

import numpy as np

from jitvm.jit.numba_cache import cached_njit

SIGNATURE_BYTES = 64
KEY_BYTES = 32


@functools.cache
def _sign_open():
    """libsodium's crypto_sign_open(m, &mlen, sm, smlen, pk) as a ctypes function (pointers as
    integers, so the compiled loop passes addresses)."""
    from nacl._sodium import ffi, lib

    address = int(ffi.cast("uintptr_t", ffi.addressof(lib, "crypto_sign_open")))
    return ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_ulonglong,
                            ctypes.c_size_t)(address)


@cached_njit(__name__, nogil=True)
def _check_signatures(sign_open, signed, offsets, keys, first, stop, accepted):  # pragma: no cover - compiled
    """accepted[i] = libsodium accepts signed[offsets[i]:offsets[i + 1]] (signature then message)
    under keys[i], for i in first..stop."""
    opened = np.empty(offsets[stop] - offsets[first], dtype=np.uint8)  # where libsodium copies the message
    length = np.zeros(1, dtype=np.uint64)
    for index in range(first, stop):
        start = offsets[index]
        accepted[index] = sign_open(opened.ctypes.data, length.ctypes.data, signed.ctypes.data + start,
                                    offsets[index + 1] - start, keys.ctypes.data + KEY_BYTES * index) == 0


def accepted_transactions(transactions: list, threads: int) -> list[bool]:
    """For each transaction (legacy or v0), whether libsodium accepts every signature (each under the
    static account key at its position), checked on `threads` threads."""
    from jitvm.svm.signatures import message_bytes

    pieces: list[bytes] = []
    keys: list[bytes] = []
    owner: list[int] = []  # signature -> its transaction
    verdicts = []
    for number, transaction in enumerate(transactions):
        signatures, wire_message = transaction.signatures, transaction.message
        account_keys = wire_message.account_keys
        verdicts.append(len(signatures) <= len(account_keys))
        if not verdicts[-1]:
            continue  # sanitize refuses it before any signature is checked
        message = message_bytes(transaction, wire_message)
        for signature, key in zip(signatures, account_keys):
            pieces.append(bytes(signature) + message)
            keys.append(bytes(key))
            owner.append(number)
    accepted = np.zeros(len(pieces), dtype=np.bool_)
    if pieces:
        offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
        np.cumsum([len(piece) for piece in pieces], out=offsets[1:])
        signed = np.frombuffer(b"".join(pieces), dtype=np.uint8)
        key_bytes = np.frombuffer(b"".join(keys), dtype=np.uint8)
        bounds = np.linspace(0, len(pieces), max(1, threads) + 1).astype(int)
        shares = [(int(first), int(stop)) for first, stop in zip(bounds, bounds[1:]) if stop > first]

        def check(share):
            _check_signatures(_sign_open(), signed, offsets, key_bytes, share[0], share[1], accepted)

        helpers = [threading.Thread(target=check, args=(share,), daemon=True) for share in shares[1:]]
        for helper in helpers:
            helper.start()
        check(shares[0])
        for helper in helpers:
            helper.join()
    for number, ok in zip(owner, accepted.tolist()):
        if not ok:
            verdicts[number] = False
    return verdicts
