"""Addresses of new contracts (CREATE: from the creator's nonce; CREATE2: from a salt, EIP-1014)."""

from jitvm.evm import rlp
from jitvm.hashing import keccak256


def create_address(creator: bytes, nonce: int) -> bytes:
    return keccak256(rlp.encode([creator, nonce]))[12:]


def create2_address(creator: bytes, salt: int, initcode: bytes) -> bytes:
    return keccak256(b"\xff" + creator + salt.to_bytes(32, "big") + keccak256(initcode))[12:]
