"""Hash functions shared by the instruction sets (EVM KECCAK256, state roots, sBPF syscalls)."""

from functools import cache

EMPTY_KECCAK256 = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (the original Keccak padding, not NIST SHA3-256)."""
    return _keccak().new(digest_bits=256, data=data).digest()


@cache
def _keccak():
    """pycryptodome's keccak module, imported on first use (it loads cffi, a few hundredths of a second
    that a run which hashes nothing need not pay)."""
    from Crypto.Hash import keccak

    return keccak
