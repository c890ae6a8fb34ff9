"""EIP-7702 (Prague): accounts whose code is a delegation to another account's code.

A set-code transaction (type 4) carries authorizations: each, signed by an account (its authority),
asks that the authority's code become the designator `0xef0100 || address`. From then on a call into
the authority runs the code at `address` in the authority's name (the CALL family and the
transaction's own call follow the designator once, never a chain), while EXTCODESIZE, EXTCODECOPY and
EXTCODEHASH see the 23-byte designator itself. An authorization that does not hold (another chain, a
bad signature, a wrong nonce, an authority with other code) is skipped; it never makes the
transaction invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

from jitvm.evm import gas, rlp
from jitvm.evm.state import State
from jitvm.hashing import keccak256

DELEGATION_PREFIX = b"\xef\x01\x00"
DESIGNATOR_SIZE = len(DELEGATION_PREFIX) + 20
SET_CODE_MAGIC = b"\x05"  # prefixed to the authorization a signer signs
MAX_AUTHORIZATION_NONCE = (1 << 64) - 1  # an authorization with this nonce can never apply
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
NULL_ADDRESS = bytes(20)  # delegating to it clears the authority's code


@dataclass(frozen=True, slots=True)
class Authorization:
    chain_id: int  # 0: valid on every chain
    address: bytes  # whose code the authority will run
    nonce: int
    y_parity: int
    r: int
    s: int

    def signing_hash(self) -> bytes:
        return keccak256(SET_CODE_MAGIC + rlp.encode([self.chain_id, self.address, self.nonce]))


def sign_authorization(secret_key: bytes, chain_id: int, address: bytes, nonce: int) -> Authorization:
    """An authorization signed by `secret_key` (deterministically, RFC 6979): for tools and tests."""
    from coincurve import PrivateKey

    unsigned = Authorization(chain_id, address, nonce, 0, 0, 0)
    signature = PrivateKey(secret_key).sign_recoverable(unsigned.signing_hash(), hasher=None)
    return Authorization(chain_id, address, nonce, signature[64], int.from_bytes(signature[:32], "big"),
                         int.from_bytes(signature[32:64], "big"))


def designator(address: bytes) -> bytes:
    return DELEGATION_PREFIX + address


def delegated_address(code: bytes) -> bytes | None:
    """The address `code` delegates to, if it is a delegation designator."""
    if len(code) == DESIGNATOR_SIZE and code[:3] == DELEGATION_PREFIX:
        return code[3:]
    return None


def recover_authority(authorization: Authorization) -> bytes | None:
    """The account that signed `authorization`, or None if the signature is invalid (EIP-2 bounds)."""
    from coincurve import PublicKey

    y_parity, r, s = authorization.y_parity, authorization.r, authorization.s
    if y_parity not in (0, 1) or not 0 < r < SECP256K1_N or not 0 < s <= SECP256K1_N // 2:
        return None
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([y_parity])
    try:
        public_key = PublicKey.from_signature_and_message(signature, authorization.signing_hash(), hasher=None)
    except Exception:  # noqa: BLE001 (coincurve raises plain Exception when no key recovers)
        return None
    return keccak256(public_key.format(compressed=False)[1:])[12:]


def apply_authorizations(state: State, authorizations, chain_id: int) -> int:
    """Set the designators of every authorization that holds, in order; returns the refund earned
    (an authority that already existed did not cost a new account). The authorities become warm."""
    refund = 0
    for authorization in authorizations:
        if authorization.chain_id not in (0, chain_id) or authorization.nonce >= MAX_AUTHORIZATION_NONCE:
            continue
        authority = recover_authority(authorization)
        if authority is None:
            continue
        state.warm_address(authority)
        code = state.code(authority)
        if code and delegated_address(code) is None:
            continue
        if state.nonce(authority) != authorization.nonce:
            continue
        if state.exists(authority):
            refund += gas.PER_EMPTY_ACCOUNT_COST - gas.PER_AUTH_BASE_COST
        address = authorization.address
        state.set_code(authority, b"" if address == NULL_ADDRESS else designator(address))
        state.increment_nonce(authority)
    return refund
