"""The BN254 input sizes and the pairing price (EIP-197, EIP-1108): what pricing a call reads, kept
apart from the curve arithmetic so that pricing or listing the precompiles does not import py_ecc."""

from jitvm.evm.precompiles.gas import GasRule

WORD = 32
G1_SIZE = 2 * WORD  # x, y
G2_SIZE = 4 * WORD  # x, y over F_p^2
PAIR_SIZE = G1_SIZE + G2_SIZE


def pairing_gas(base: int, per_pair: int) -> GasRule:
    """`base + per_pair * pairs`, pairs counted by whole 192-byte chunks (a ragged input fails later)."""

    def gas(data: bytes) -> int:
        return base + per_pair * (len(data) // PAIR_SIZE)

    return gas
