"""0x01 ECRECOVER: the address that signed a message hash (secp256k1, via coincurve / libsecp256k1).

Input (zero-padded to 128 bytes): hash, v, r, s as 32-byte big-endian words. A signature that does not
recover returns empty output: that is not an error, and the call's gas is still charged.
"""

from coincurve import PublicKey

from jitvm.hashing import keccak256

INPUT_SIZE = 128
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# Only the two Homestead values; the whole 32-byte word must equal one of them (no EIP-155 chain ids here).
RECOVERY_V_VALUES = (27, 28)


def ecrecover(data: bytes) -> bytes:
    data = data[:INPUT_SIZE].ljust(INPUT_SIZE, b"\x00")
    message_hash = data[0:32]
    v = int.from_bytes(data[32:64], "big")
    r = int.from_bytes(data[64:96], "big")
    s = int.from_bytes(data[96:128], "big")
    # Unlike transactions (EIP-2), the precompile accepts s in the upper half of the range.
    if v not in RECOVERY_V_VALUES or not 0 < r < SECP256K1_ORDER or not 0 < s < SECP256K1_ORDER:
        return b""
    signature = data[64:128] + bytes([v - RECOVERY_V_VALUES[0]])
    try:
        public_key = PublicKey.from_signature_and_message(signature, message_hash, hasher=None)
    except ValueError:  # r is not the x of a curve point, or the key would be the point at infinity
        return b""
    uncompressed = public_key.format(compressed=False)[1:]  # drop the 0x04 prefix
    return keccak256(uncompressed)[12:].rjust(32, b"\x00")
