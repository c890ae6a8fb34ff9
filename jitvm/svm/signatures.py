"""A transaction's Ed25519 signatures, verified as Agave verifies them, without holding the GIL.

Agave's sigverify calls `Signature::verify`, which is ed25519-dalek's `verify_strict`: s canonical,
R and the key decompressible and not of small order, and [s]B - [k]A equal to R with k the
SHA-512 of R || A || message, reduced. solders exposes exactly that, but holds the GIL while it
runs (~40-100 us a signature), which serializes the threaded replay of jitvm.sealevel.

libsodium's `crypto_sign_open` (PyNaCl, through cffi, which releases the GIL around the call)
checks a superset of those conditions: s canonical, R's encoding not among the small-order points'
(in any encoding), the key canonically encoded and not of small order, and [s]B - [k]A compressed
equal to R's bytes, with the same k. So every signature libsodium accepts, verify_strict accepts:
R's bytes are then the canonical encoding of a point not of small order, the key decodes to a
point not of small order, and the cofactorless equation holds. The converse fails only for
encodings libsodium refuses and dalek reads modulo p (a key, or with dalek 1.x an R, whose y is
p..p+18). So an acceptance by libsodium is final, and a refusal is decided again by solders'
exact check: refusals are rare (failed transactions) and the verdict is always dalek's.

libsodium costs a few microseconds more CPU than solders' dalek, so only threaded replay, where the
released GIL lets other transactions' Python run, takes this path; a transaction run alone (and a
worker process, which has its GIL to itself) uses solders directly. The verdicts are the same."""

from __future__ import annotations

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError
from solders.message import to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import Transaction


def fast_accepts(signature: bytes, public_key: bytes, message: bytes) -> bool:
    """libsodium's verdict, GIL released: True implies verify_strict accepts (see the module doc)."""
    try:
        crypto_sign_open(signature + message, public_key)
    except (BadSignatureError, ValueError):
        return False
    return True


def verify_strict(signature: bytes, public_key: bytes, message: bytes) -> bool:
    """ed25519-dalek's verify_strict, as Agave's `Signature::verify` runs it."""
    return (fast_accepts(signature, public_key, message)
            or Signature.from_bytes(signature).verify(Pubkey.from_bytes(public_key), message))


def message_bytes(transaction, wire_message) -> bytes:
    """The signed bytes: the serialized message, with its version prefix for a v0 message."""
    if isinstance(transaction, Transaction):
        return bytes(transaction.message_data())
    return to_bytes_versioned(wire_message)


def transaction_verified(transaction, wire_message, keys: list[bytes], *, release_gil: bool = False) -> bool:
    """Every signature checked against the account key at its position, as solders'
    `verify_with_results` pairs them (sanitize has made the counts agree). With `release_gil` (a
    worker thread among others) libsodium goes first; alone, solders' check costs ~10% less CPU."""
    if not release_gil:
        return all(transaction.verify_with_results())
    message = message_bytes(transaction, wire_message)
    return all(verify_strict(bytes(signature), key, message)
               for signature, key in zip(transaction.signatures, keys))
