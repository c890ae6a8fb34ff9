"""0x02 SHA256 and 0x03 RIPEMD160, through pycryptodome."""

from Crypto.Hash import RIPEMD160, SHA256


def sha256(data: bytes) -> bytes:
    return SHA256.new(data).digest()


def ripemd160(data: bytes) -> bytes:
    """The 20-byte digest, left-padded to a 32-byte word."""
    return RIPEMD160.new(data).digest().rjust(32, b"\x00")

