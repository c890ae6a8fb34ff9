"""Precompile instructions (Ed25519, secp256k1, secp256r1) in their wire form, with chosen flaws,
built here because solders has no builders for them."""

from __future__ import annotations

import struct

from solders.keypair import Keypair
from solders.pubkey import Pubkey

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
