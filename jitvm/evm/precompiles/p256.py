"""0x100 P256VERIFY (EIP-7951, Osaka): checks an ECDSA signature over the NIST P-256 curve (secp256r1),
through `cryptography` (OpenSSL).

Input, exactly 160 bytes: message hash (32), r (32), s (32), public key x (32) and y (32), big-endian.
Output: 1 as a 32-byte word when the signature verifies. Anything else - a wrong length, r or s outside
1..n-1, a coordinate not below p, the point at infinity (0, 0), a point off the curve, a signature that
does not verify - returns empty output. The call never fails on its input: it only charges its fixed
price, like ECRECOVER.
"""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256

INPUT_SIZE = 160
WORD = 32
CURVE_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # n
FIELD_MODULUS = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF  # p
VALID = (1).to_bytes(WORD, "big")
INVALID = b""
# The hash is given, not the message; OpenSSL takes it as the 256-bit number e of the ECDSA equations.
PREHASHED_ECDSA = ec.ECDSA(Prehashed(SHA256()))


def p256verify(data: bytes) -> bytes:
    if len(data) != INPUT_SIZE:
        return INVALID
    message_hash = data[:WORD]
    r, s, x, y = (int.from_bytes(data[at : at + WORD], "big") for at in range(WORD, INPUT_SIZE, WORD))
    if not (0 < r < CURVE_ORDER and 0 < s < CURVE_ORDER):
        return INVALID
    if x >= FIELD_MODULUS or y >= FIELD_MODULUS or (x == 0 and y == 0):
        return INVALID
    try:
        public_key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except ValueError:  # not on the curve
        return INVALID
    try:
        public_key.verify(encode_dss_signature(r, s), message_hash, PREHASHED_ECDSA)
    except InvalidSignature:
        return INVALID
    return VALID
