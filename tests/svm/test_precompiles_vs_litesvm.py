"""The Ed25519, secp256k1 and secp256r1 precompiles against LiteSVM: valid signatures (one and
several, data in this or another instruction), each refusal (bad sizes and offsets, bad keys,
signatures and recovery ids, high s), the fee counting their signatures, and their place among
other instructions (no logs, no units; a program's "consumed N of M" shows the unit limit)."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

import struct

from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from tests.svm import spl
from tests.svm.harness import MEMO, Pair

ED25519 = Pubkey.from_string("Ed25519SigVerify111111111111111111111111111")
SECP256K1 = Pubkey.from_string("KeccakSecp256k11111111111111111111111111111")
SECP256R1 = Pubkey.from_string("Secp256r1SigVerify1111111111111111111111111")
HERE = 0xFFFF


def ed25519_data(entries, count=None) -> bytes:
    """entries: (public key, signature, message); each stored after the offsets, in this instruction."""
    count = len(entries) if count is None else count
    start = 2 + 14 * len(entries)
    offsets, payload = b"", b""
    for public_key, signature, message in entries:
        at = start + len(payload)
        offsets += struct.pack("<7H", at + 32, HERE, at, HERE, at + 96, len(message), HERE)
        payload += public_key + signature + message
    return bytes([count, 0]) + offsets + payload


def ed25519_entry(message=b"precompile", signer=None):
    signer = signer or Keypair()
    return bytes(signer.pubkey()), bytes(signer.sign_message(message)), message


def secp256k1_data(message=b"eth message", key=7, *, recovery_flip=False, index=0, high_s=False) -> bytes:
    from coincurve import PrivateKey

    from jitvm.hashing import keccak256

    private = PrivateKey(bytes([key]) * 32)
    signed = private.sign_recoverable(keccak256(message), hasher=None)
    signature, recovery = signed[:64], signed[64]
    if high_s:
        order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
        signature = signature[:32] + (order - int.from_bytes(signature[32:], "big")).to_bytes(32, "big")
        recovery ^= 1
    if recovery_flip:
        recovery ^= 1
    address = keccak256(private.public_key.format(compressed=False)[1:])[12:]
    start = 1 + 11
    offsets = struct.pack("<HBHBHHB", start, index, start + 65, index, start + 85, len(message), index)
    return bytes([1]) + offsets + signature + bytes([recovery]) + address + message


def secp256r1_data(message=b"p256 message", *, high_s=False, bad_key=False) -> bytes:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    private = ec.derive_private_key(12345, ec.SECP256R1())
    r, s = decode_dss_signature(private.sign(message, ec.ECDSA(hashes.SHA256())))
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    if (s > order // 2) != high_s:
        s = order - s
    public_key = private.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.CompressedPoint)
    if bad_key:
        public_key = b"\x05" + public_key[1:]
    start = 2 + 14
    offsets = struct.pack("<7H", start + 33, HERE, start, HERE, start + 97, len(message), HERE)
    return bytes([1, 0]) + offsets + public_key + r.to_bytes(32, "big") + s.to_bytes(32, "big") + message


@pytest.fixture(scope="module")
def pair():
    pair = Pair(programs=("memo",))
    pair.payer = Keypair()
    pair.fund(pair.payer.pubkey(), 10**12)
    return pair


def _send(pair, *instructions):
    result = pair.send(pair.transaction(list(instructions), pair.payer))
    pair.lite.expire_blockhash()
    pair.svm.expire_blockhash()
    pair.blockhash = pair.lite.latest_blockhash()
    return result


def test_ed25519(pair):
    good = ed25519_entry()
    public_key, signature, message = good
    cases = [ed25519_data([good]), ed25519_data([good, ed25519_entry(b"second")]), bytes([0, 0]), b"\x00",
             bytes([0, 0, 1]), ed25519_data([good])[:-1] + b"?", ed25519_data([good], count=2),
             ed25519_data([(public_key, signature[:32] + b"\xff" * 32, message)]),  # s not canonical
             ed25519_data([(bytes(32), signature, message)]),  # a small-order key
             ed25519_data([((2).to_bytes(32, "little"), signature, message)]),  # not a point
             bytes([1, 0]) + struct.pack("<7H", 200, HERE, 16, HERE, 16, 1, HERE) + bytes(40),
             bytes([1, 0]) + struct.pack("<7H", 0, 5, 0, HERE, 0, 1, HERE) + bytes(100)]
    results = [_send(pair, Instruction(ED25519, data, []))[0] for data in cases]
    assert results[0] is None and "InstructionError(0, Custom(2))" in results


def test_secp256k1(pair):
    cases = [secp256k1_data(), secp256k1_data(recovery_flip=True), secp256k1_data(high_s=True),
             secp256k1_data()[:-3], secp256k1_data(index=3), b"", b"\x00", b"\x00\x01", bytes([1]) + bytes(10),
             secp256k1_data()[:12] + bytes(64) + b"\x07" + bytes(40), secp256k1_data() + b"unreferenced"]
    results = [_send(pair, Instruction(SECP256K1, data, []))[0] for data in cases]
    assert results[0] is None and "InstructionError(0, Custom(1))" in results


def test_secp256r1(pair):
    cases = [secp256r1_data(), secp256r1_data(high_s=True), secp256r1_data(bad_key=True), secp256r1_data()[:-1] + b"!",
             bytes([0, 0]), bytes([9, 0]) + bytes(200)]
    results = [_send(pair, Instruction(SECP256R1, data, []))[0] for data in cases]
    assert results[0] is None and "InstructionError(0, Custom(0))" in results


def test_precompiles_with_other_instructions(pair):
    """Signatures from another instruction; the fee; a program after them shows the unit limit."""
    public_key, signature, message = ed25519_entry(b"in the memo")
    memo = spl.memo(MEMO, public_key + signature + message)
    elsewhere = bytes([1, 0]) + struct.pack("<7H", 32, 1, 0, 1, 96, len(message), 1)
    result = _send(pair, Instruction(ED25519, elsewhere, []), memo)
    assert result[0] == "InstructionError(1, InvalidInstructionData)" and result[2] == 10_000  # memo: not UTF-8
    _send(pair, Instruction(ED25519, ed25519_data([ed25519_entry(), ed25519_entry()]), []),
          Instruction(SECP256K1, secp256k1_data(), []), memo)
    _send(pair, memo, Instruction(ED25519, ed25519_data([ed25519_entry()])[:-1] + b"?", []))
