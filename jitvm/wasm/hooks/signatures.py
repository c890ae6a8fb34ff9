"""Signature checks over managed buffers (Ed25519, secp256k1, secp256r1), the DER encoding of a
secp256k1 signature, and RIPEMD-160. A check that fails ends the call, with MultiversX's message."""

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature
from Crypto.Hash import RIPEMD160

from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import execution_failed

# How the message of a custom secp256k1 check is hashed before signing (MultiversX's hash types).
PLAIN, SHA256, DOUBLE_SHA256 = 0, 1, 2


def _digest(message: bytes, hash_type: int) -> bytes:
    if hash_type == PLAIN:
        return message
    if hash_type == SHA256:
        return hashlib.sha256(message).digest()
    if hash_type == DOUBLE_SHA256:
        return hashlib.sha256(hashlib.sha256(message).digest()).digest()
    raise execution_failed("invalid hash type")


def _ecdsa_holds(curve: ec.EllipticCurve, key: bytes, digest: bytes, signature: bytes) -> bool:
    """Whether a signature (DER, or r || s of 32 bytes each) of a 32-byte digest holds for a key."""
    if len(digest) != 32:
        return False
    if len(signature) == 64:
        signature = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(curve, key)
        public.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except (InvalidSignature, ValueError):
        return False
    return True


@hook("managedVerifyEd25519", "VerifyEd25519")
def managed_verify_ed25519(frame, key_handle, message_handle, signature_handle):
    key, message, signature = frame.buffer(key_handle), frame.buffer(message_handle), frame.buffer(signature_handle)
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise execution_failed("ed25519 verify error") from None
    return 0


def _verify_secp256k1(frame, key_handle, message_handle, signature_handle, hash_type: int) -> int:
    digest = _digest(frame.buffer(message_handle), hash_type)
    if not _ecdsa_holds(ec.SECP256K1(), frame.buffer(key_handle), digest, frame.buffer(signature_handle)):
        raise execution_failed("secp256k1 verify error")
    return 0


@hook("managedVerifySecp256k1", "VerifySecp256k1")
def managed_verify_secp256k1(frame, key_handle, message_handle, signature_handle):
    return _verify_secp256k1(frame, key_handle, message_handle, signature_handle, DOUBLE_SHA256)


@hook("managedVerifyCustomSecp256k1", "VerifySecp256k1")
def managed_verify_custom_secp256k1(frame, key_handle, message_handle, signature_handle, hash_type):
    return _verify_secp256k1(frame, key_handle, message_handle, signature_handle, hash_type)


@hook("managedVerifySecp256r1", "VerifySecp256r1")
def managed_verify_secp256r1(frame, key_handle, message_handle, signature_handle):
    digest = hashlib.sha256(frame.buffer(message_handle)).digest()
    if not _ecdsa_holds(ec.SECP256R1(), frame.buffer(key_handle), digest, frame.buffer(signature_handle)):
        raise execution_failed("secp256k1 verify error")  # sic: MultiversX's message for both curves
    return 0


@hook("managedEncodeSecp256k1DerSignature", "EncodeDERSig")
def managed_encode_secp256k1_der_signature(frame, r_handle, s_handle, destination):
    r, s = frame.buffer(r_handle), frame.buffer(s_handle)
    frame.buffers[destination] = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
    return 0


def _ripemd160(data: bytes) -> bytes:
    return RIPEMD160.new(data).digest()


@hook("managedRipemd160", "Ripemd160")
def managed_ripemd160(frame, source, destination):
    data = frame.buffer(source)
    frame.use_gas(len(data) * frame.vm.schedule.per_byte("DataCopyPerByte"))
    frame.buffers[destination] = _ripemd160(data)
    return 0


@hook("ripemd160", "Ripemd160")
def ripemd160(frame, offset, length, result_offset):
    frame.use_gas(length * frame.vm.schedule.per_byte("DataCopyPerByte"))
    frame.write(result_offset, _ripemd160(frame.read(offset, length)))
    return 0

