"""The signature-verification precompiles (Ed25519, secp256k1 with Ethereum addresses, secp256r1), as
Agave's precompiles crate verifies them: each instruction's data holds offsets to a signature, a
public key (or Ethereum address) and a message, in this instruction or another of the transaction.
They run without logs or compute units; a failure is `Custom(PrecompileError code)`. Their
signatures are counted in the fee (5,000 lamports each, like the transaction's own).

Ed25519 is checked as ed25519-dalek's `verify_strict` (canonical s, no small-order R or key):
libsodium first, whose acceptance implies verify_strict's, then on jitvm.svm.curve25519 for its
refusals; secp256k1 recovery is coincurve's (libsecp256k1); P-256 is `cryptography`'s."""

from __future__ import annotations

import hashlib
import struct

from jitvm.svm import curve25519
from jitvm.svm.errors import InstructionError
from jitvm.svm.ids import key
from jitvm.svm.signatures import fast_accepts

ED25519 = key("Ed25519SigVerify111111111111111111111111111")
SECP256K1 = key("KeccakSecp256k11111111111111111111111111111")
SECP256R1 = key("Secp256r1SigVerify1111111111111111111111111")
PRECOMPILES = frozenset({ED25519, SECP256K1, SECP256R1})

# solana-precompile-error's PrecompileError, as the custom error code it becomes
INVALID_PUBLIC_KEY, INVALID_RECOVERY_ID, INVALID_SIGNATURE, INVALID_DATA_OFFSETS, INVALID_DATA_SIZE = range(5)
CURRENT_INSTRUCTION = 0xFFFF  # an Ed25519 / P-256 instruction index meaning "this instruction"
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
SECP256R1_MAX_SIGNATURES = 8


class _Refused(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def signature_count(program_id: bytes, data: bytes) -> int:
    """The signatures a precompile instruction adds to the fee: its first byte."""
    return data[0] if program_id in PRECOMPILES and data else 0


def verify(program_id: bytes, data: bytes, instruction_datas: list[bytes]) -> None:
    """Raises InstructionError(Custom(code)) when the precompile refuses the instruction."""
    check = {ED25519: _ed25519, SECP256K1: _secp256k1, SECP256R1: _secp256r1}[program_id]
    try:
        check(bytes(data), instruction_datas)
    except _Refused as refused:
        raise InstructionError.custom_error(refused.code) from None


def _slice(data: bytes, instruction_datas, index: int, offset: int, size: int, *, current_allowed: bool = True,
           out_of_range: int = INVALID_DATA_OFFSETS) -> bytes:
    if current_allowed and index == CURRENT_INSTRUCTION:
        source = data
    elif index >= len(instruction_datas):
        raise _Refused(INVALID_DATA_OFFSETS)
    else:
        source = instruction_datas[index]
    if offset + size > len(source):
        raise _Refused(out_of_range)
    return source[offset:offset + size]


def _offsets_table(data: bytes, entry_size: int, start: int, *, zero_allowed: bool, maximum: int | None = None):
    if len(data) < max(start, 1):
        raise _Refused(INVALID_DATA_SIZE)
    count = data[0]
    if (count == 0 and (not zero_allowed or len(data) > start)) or (maximum is not None and count > maximum):
        raise _Refused(INVALID_DATA_SIZE)
    if len(data) < start + count * entry_size:
        raise _Refused(INVALID_DATA_SIZE)
    return [data[start + i * entry_size:start + (i + 1) * entry_size] for i in range(count)]


# -- Ed25519 ---------------------------------------------------------------------------------------

def _ed25519(data: bytes, instruction_datas) -> None:
    for entry in _offsets_table(data, 14, 2, zero_allowed=True):
        (signature_offset, signature_index, key_offset, key_index, message_offset, message_size,
         message_index) = struct.unpack("<7H", entry)
        signature = _slice(data, instruction_datas, signature_index, signature_offset, 64)
        public_key = _slice(data, instruction_datas, key_index, key_offset, 32)
        point = curve25519.edwards_decompress(public_key)
        if point is None:
            raise _Refused(INVALID_PUBLIC_KEY)
        message = _slice(data, instruction_datas, message_index, message_offset, message_size)
        # libsodium's acceptance implies verify_strict's (jitvm/svm/signatures.py); it decides in
        # microseconds, and the exact check below (milliseconds) runs only on its refusals.
        if not (fast_accepts(bytes(signature), bytes(public_key), bytes(message))
                or ed25519_verify_strict(point, public_key, signature, message)):
            raise _Refused(INVALID_SIGNATURE)


def _small_order(point) -> bool:
    return curve25519.multiply(8, point) == curve25519.IDENTITY


def ed25519_verify_strict(point, public_key: bytes, signature: bytes, message: bytes) -> bool:
    """ed25519-dalek's verify_strict: s below the group order, R and the key not of small order,
    and [s]B - [k]A, compressed, equal to R's bytes (k = SHA-512(R || A || M)), so a non-canonical
    encoding of R fails."""
    s = curve25519.canonical_scalar(signature[32:])
    r_point = curve25519.edwards_decompress(signature[:32])
    if s is None or r_point is None or _small_order(r_point) or _small_order(point):
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % curve25519.L
    expected = curve25519.add(curve25519.multiply(s, _BASEPOINT), curve25519.negate(curve25519.multiply(k, point)))
    return curve25519.edwards_compress(expected) == bytes(signature[:32])


_BASEPOINT = curve25519.edwards_decompress(bytes.fromhex("58" + "66" * 31))


# -- secp256k1 -------------------------------------------------------------------------------------

def _secp256k1(data: bytes, instruction_datas) -> None:
    from coincurve import PublicKey

    from jitvm.hashing import keccak256

    for entry in _offsets_table(data, 11, 1, zero_allowed=True):
        (signature_offset, signature_index, address_offset, address_index, message_offset, message_size,
         message_index) = struct.unpack("<HBHBHHB", entry)
        if signature_index >= len(instruction_datas):
            raise _Refused(INVALID_DATA_SIZE)
        source = instruction_datas[signature_index]
        if signature_offset + 64 >= len(source):
            raise _Refused(INVALID_SIGNATURE)
        signature, recovery_id = source[signature_offset:signature_offset + 64], source[signature_offset + 64]
        order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
        if int.from_bytes(signature[:32], "big") >= order or int.from_bytes(signature[32:], "big") >= order:
            raise _Refused(INVALID_SIGNATURE)
        if recovery_id > 3:
            raise _Refused(INVALID_RECOVERY_ID)
        address = _slice(data, instruction_datas, address_index, address_offset, 20, current_allowed=False,
                         out_of_range=INVALID_SIGNATURE)
        message = _slice(data, instruction_datas, message_index, message_offset, message_size,
                         current_allowed=False, out_of_range=INVALID_SIGNATURE)
        try:
            recovered = PublicKey.from_signature_and_message(bytes(signature) + bytes([recovery_id]),
                                                             keccak256(message), hasher=None)
        except Exception:  # noqa: BLE001 - coincurve raises when no key recovers
            raise _Refused(INVALID_SIGNATURE) from None
        if keccak256(recovered.format(compressed=False)[1:])[12:] != address:
            raise _Refused(INVALID_SIGNATURE)


# -- secp256r1 (P-256) -----------------------------------------------------------------------------

def _secp256r1(data: bytes, instruction_datas) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    for entry in _offsets_table(data, 14, 2, zero_allowed=False, maximum=SECP256R1_MAX_SIGNATURES):
        (signature_offset, signature_index, key_offset, key_index, message_offset, message_size,
         message_index) = struct.unpack("<7H", entry)
        signature = _slice(data, instruction_datas, signature_index, signature_offset, 64)
        public_key = _slice(data, instruction_datas, key_index, key_offset, 33)
        message = _slice(data, instruction_datas, message_index, message_offset, message_size)
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (1 <= r <= P256_ORDER - 1 and 1 <= s <= P256_ORDER // 2):  # low s only
            raise _Refused(INVALID_SIGNATURE)
        try:
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(public_key))
        except ValueError:
            raise _Refused(INVALID_PUBLIC_KEY) from None
        try:
            point.verify(encode_dss_signature(r, s), bytes(message), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise _Refused(INVALID_SIGNATURE) from None


def process(context, program_index: int, accounts, data: bytes, instruction_datas: list[bytes]) -> None:
    """A top-level precompile instruction: on the instruction trace (inner-instruction lists count it)
    but without logs or units (InvokeContext::process_precompile)."""
    from jitvm.svm.context import InstructionFrame

    frame = InstructionFrame(context.keys[program_index], program_index, accounts, data)
    context.stack.append(frame)
    context.trace.append((len(context.stack), frame))
    try:
        verify(frame.program_id, data, instruction_datas)
    finally:
        context.stack.pop()
