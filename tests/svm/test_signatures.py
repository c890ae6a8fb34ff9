"""Transaction signatures: jitvm.svm.signatures against solders' `Signature.verify` (ed25519-dalek's
verify_strict, as Agave's sigverify calls it) and LiteSVM on edge cases where Ed25519 verifiers
disagree: small-order keys and R, mixed-order keys, non-canonical s, non-canonical encodings of
points, mutated signatures. The libsodium fast path may only ever accept what dalek accepts."""

from __future__ import annotations

import hashlib
import random

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides the oracle")
pytest.importorskip("nacl", reason="PyNaCl (the peers extra) provides libsodium")

from solders.keypair import Keypair  # noqa: E402
from solders.message import Message  # noqa: E402
from solders.pubkey import Pubkey  # noqa: E402
from solders.signature import Signature  # noqa: E402
from solders.system_program import TransferParams, transfer  # noqa: E402
from solders.transaction import Transaction  # noqa: E402

from jitvm.svm import curve25519, signatures  # noqa: E402
from tests.svm.harness import Pair  # noqa: E402

BASE = curve25519.edwards_decompress(bytes.fromhex("58" + "66" * 31))
P = curve25519.P
L = curve25519.L
# An order-8 point: the torsion points are its multiples.
ORDER_8 = curve25519.edwards_decompress(bytes.fromhex(
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"))
TORSION = [curve25519.multiply(i, ORDER_8) for i in range(8)]


def _encode(point) -> bytes:
    return curve25519.edwards_compress(point)


def _challenge(r: bytes, a: bytes, message: bytes) -> int:
    return int.from_bytes(hashlib.sha512(r + a + message).digest(), "little") % L


def _dalek(signature: bytes, public_key: bytes, message: bytes) -> bool:
    return Signature.from_bytes(signature).verify(Pubkey.from_bytes(public_key), message)


def _non_canonical(encoded: bytes) -> bytes:
    """The same point with y + p in place of y (possible for y < 19)."""
    y = int.from_bytes(encoded, "little") & (2**255 - 1)
    assert y < 19
    return ((y + P) | (encoded[31] >> 7) << 255).to_bytes(32, "little")


def _mixed_order_key(rng: random.Random) -> tuple[int, bytes]:
    """([a], the key [a]B + T) with T of order 8: not of small order, so verify_strict takes it."""
    a = rng.randrange(1, L)
    return a, _encode(curve25519.add(curve25519.multiply(a, BASE), ORDER_8))


def _mixed_order_sign(a: int, key: bytes, message: bytes, rng: random.Random) -> bytes:
    """A signature valid under the cofactorless equation for the mixed-order key: R = [r]B + T' with
    T' = -[k]T, found by trying the eight T' (k depends on R), and s = r + k a."""
    while True:
        r = rng.randrange(1, L)
        r_base = curve25519.multiply(r, BASE)
        for torsion in TORSION:
            r_bytes = _encode(curve25519.add(r_base, torsion))
            k = _challenge(r_bytes, key, message)
            if TORSION[-k % 8] == torsion:  # [s]B - [k]A = [r]B - [k]T = R
                return r_bytes + ((r + k * a) % L).to_bytes(32, "little")


def _identity_r_sign(a: int, key: bytes, message: bytes) -> bytes:
    """R the identity and s = k a: [s]B - [k]A is the identity, but R is of small order."""
    identity = _encode(curve25519.IDENTITY)
    return identity + (_challenge(identity, key, message) * a % L).to_bytes(32, "little")


def _cases():
    rng = random.Random(13)
    keypair = Keypair.from_seed(bytes(range(32)))
    message = b"jitvm signatures"
    public_key, good = bytes(keypair.pubkey()), bytes(keypair.sign_message(message))
    cases = {"valid": (good, public_key, message)}
    for name, position in (("R", 3), ("s", 40), ("s top byte", 63)):
        mutated = bytearray(good)
        mutated[position] ^= 1
        cases[f"mutated {name}"] = (bytes(mutated), public_key, message)
    cases["other message"] = (good, public_key, message + b"!")
    s = int.from_bytes(good[32:], "little")
    cases["non-canonical s (s + L)"] = (good[:32] + (s + L).to_bytes(32, "little"), public_key, message)
    # R the identity, s = k a: [s]B - [k]A = identity holds for the real key, but R is of small order.
    a = rng.randrange(1, L)
    key = _encode(curve25519.multiply(a, BASE))
    for identity in (_encode(curve25519.IDENTITY), _non_canonical(_encode(curve25519.IDENTITY))):
        k = _challenge(identity, key, message)
        cases[f"small-order R {identity[:1].hex()}"] = (identity + (k * a % L).to_bytes(32, "little"), key, message)
    # A small-order key with s = 0 and R = -[k]A: the cofactorless equation holds, the key is of small order.
    for index, torsion in enumerate(TORSION):
        key = _encode(torsion)
        for counter in range(64):
            candidate = message + bytes([counter])
            for r_point in TORSION:
                if curve25519.negate(curve25519.multiply(_challenge(_encode(r_point), key, candidate), torsion)) \
                        == r_point:
                    cases[f"small-order key {index}"] = (_encode(r_point) + bytes(32), key, candidate)
                    break
            if f"small-order key {index}" in cases:
                break
    a, mixed_key = _mixed_order_key(rng)
    cases["mixed-order key"] = (_mixed_order_sign(a, mixed_key, message, rng), mixed_key, message)
    # Keys and R given with y read modulo p: y = 2..18 where that is a point.
    for y in range(2, 19):
        encoded = y.to_bytes(32, "little")
        if curve25519.edwards_decompress(encoded) is not None:
            cases[f"non-canonical key y={y}"] = (good, _non_canonical(encoded), message)
            cases[f"non-canonical R y={y}"] = (_non_canonical(encoded) + good[32:], public_key, message)
            break
    return cases


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_verdict_is_dalek_verify_strict(name):
    signature, public_key, message = CASES[name]
    expected = _dalek(signature, public_key, message)
    assert signatures.verify_strict(signature, public_key, message) == expected
    if signatures.fast_accepts(signature, public_key, message):
        assert expected, "libsodium accepted what verify_strict refuses"


def test_the_edge_cases_are_what_they_claim():
    assert _dalek(*CASES["valid"]) and _dalek(*CASES["mixed-order key"])
    assert signatures.fast_accepts(*CASES["mixed-order key"])
    small_order = [name for name in CASES if name.startswith("small-order")]
    assert len(small_order) == 10 and not any(_dalek(*CASES[name]) for name in small_order)


def test_a_refusal_by_libsodium_is_decided_by_the_exact_check(monkeypatch):
    monkeypatch.setattr(signatures, "fast_accepts", lambda *_: False)
    assert signatures.verify_strict(*CASES["valid"]) and signatures.verify_strict(*CASES["mixed-order key"])
    assert not signatures.verify_strict(*CASES["mutated s"])


def _signed_transfer(pair, key: bytes, sign) -> Transaction:
    payer = Pubkey.from_bytes(key)
    pair.fund(payer, 10**9)
    message = Message.new_with_blockhash(
        [transfer(TransferParams(from_pubkey=payer, to_pubkey=Keypair().pubkey(), lamports=10**6))],
        payer, pair.blockhash)
    return Transaction.populate(message, [Signature.from_bytes(sign(bytes(message)))])


def test_transactions_so_signed_agree_with_litesvm():
    """The whole path (processor, fee, SignatureFailure) on LiteSVM's verdicts, and the threaded
    replay's check (libsodium first) on the same transactions."""
    rng = random.Random(12)
    pair = Pair(programs=())
    keypair = Keypair()
    key = bytes(keypair.pubkey())
    a, mixed_key = _mixed_order_key(rng)
    b = rng.randrange(1, L)
    plain_key = _encode(curve25519.multiply(b, BASE))

    def non_canonical_s(message):
        good = bytes(keypair.sign_message(message))
        return good[:32] + (int.from_bytes(good[32:], "little") + L).to_bytes(32, "little")

    def mutated_r(message):
        good = bytearray(bytes(keypair.sign_message(message)))
        good[5] ^= 0x10
        return bytes(good)

    sent = [(key, lambda message: bytes(keypair.sign_message(message)), False),
            (mixed_key, lambda message: _mixed_order_sign(a, mixed_key, message, rng), False),
            (plain_key, lambda message: _identity_r_sign(b, plain_key, message), True),
            (key, non_canonical_s, True),
            (key, mutated_r, True)]
    for public_key, sign, fails in sent:
        transaction = _signed_transfer(pair, public_key, sign)
        keys = [bytes(address) for address in transaction.message.account_keys]
        assert signatures.transaction_verified(transaction, transaction.message, keys, release_gil=True) is not fails
        summary = pair.send(transaction, expect_error=fails)
        assert not fails or summary[0] == "SignatureFailure", summary


def test_a_v0_message_is_checked_over_its_versioned_bytes():
    from solders.hash import Hash
    from solders.message import MessageV0
    from solders.transaction import VersionedTransaction

    payer = Keypair()
    move = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=1))
    message = MessageV0.try_compile(payer.pubkey(), [move], [], Hash.default())
    transaction = VersionedTransaction(message, [payer])
    keys = [bytes(address) for address in message.account_keys]
    assert signatures.transaction_verified(transaction, transaction.message, keys, release_gil=True)
    forged = VersionedTransaction.populate(message, [Signature.from_bytes(bytes(64))])
    assert not signatures.transaction_verified(forged, forged.message, keys, release_gil=True)


def test_the_ed25519_precompile_gives_litesvm_verdicts_on_the_edge_cases():
    """The precompile also runs verify_strict: libsodium first, jitvm.svm.curve25519 on its refusals."""
    from solders.instruction import Instruction

    from tests.svm.precompile_ix import ED25519, ed25519_data

    pair = Pair(programs=())
    payer = Keypair()
    pair.fund(payer.pubkey(), 10**12)
    errors = {}
    for name in sorted(CASES):
        signature, public_key, message = CASES[name]
        instruction = Instruction(ED25519, ed25519_data([(public_key, signature, message)]), [])
        errors[name] = pair.send(pair.transaction([instruction], payer))[0]
        pair.lite.expire_blockhash()
        pair.svm.expire_blockhash()
        pair.blockhash = pair.lite.latest_blockhash()
    assert errors["valid"] is None and errors["mixed-order key"] is None
    assert errors["small-order key 3"] is not None and errors["small-order R 01"] is not None
