"""Keccak-256 (Ethereum's, with the original 0x01 padding) in Numba, for KECCAK256 inside the kernel.

The permutation is Keccak-f[1600] in the compact form of the reference implementation
("Keccak-compact" / tiny-keccak): theta, then rho and pi walked as one 24-step cycle over the lanes,
chi one row at a time, iota. The 25 lanes live in stack scratch, so hashing allocates nothing.
Held equal to jitvm.hashing.keccak256 by tests/evm/test_baseline.py.
"""

import numpy as np
from numba import carray

from jitvm.evm.limbs.word64 import ZERO, limb_scratch
from jitvm.jit.numba_cache import cached_njit

RATE_BYTES = 136  # 1600 - 2 * 256 bits of capacity, in bytes
RATE_LANES = RATE_BYTES // 8
LANES = 25
ROUNDS = 24

ROUND_CONSTANTS = np.array([
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
], dtype=np.uint64)
# Rho rotation and pi destination of each step of the lane cycle that starts at lane 1.
RHO = np.array([1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44],
               dtype=np.uint64)
PI = np.array([10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1],
              dtype=np.int64)

_ONE = np.uint64(1)
_SIXTY_FOUR = np.uint64(64)
_BYTE_BITS = np.uint64(8)
_BYTE_MASK = np.uint64(0xFF)
_DOMAIN_PAD = np.uint64(0x01)  # Keccak's padding, not SHA-3's 0x06
_FINAL_PAD = np.uint64(0x80)

keccak_kernel = cached_njit(__name__, error_model="numpy")


@keccak_kernel
def _rotate_left(lane, bits):
    """lane rotated left by 1..63 bits (never 0 or 64: shifting a uint64 by 64 is undefined)."""
    return (lane << bits) | (lane >> (_SIXTY_FOUR - bits))


@keccak_kernel
def keccak_f1600(lanes):
    """The Keccak-f[1600] permutation, in place on 25 uint64 lanes (lane x + 5 y)."""
    parity = carray(limb_scratch(5), 5)
    for round_index in range(ROUNDS):
        for x in range(5):
            parity[x] = lanes[x] ^ lanes[x + 5] ^ lanes[x + 10] ^ lanes[x + 15] ^ lanes[x + 20]
        for x in range(5):
            mix = parity[(x + 4) % 5] ^ _rotate_left(parity[(x + 1) % 5], _ONE)
            for y in range(0, LANES, 5):
                lanes[y + x] ^= mix
        carried = lanes[1]
        for step in range(24):
            target = PI[step]
            displaced = lanes[target]
            lanes[target] = _rotate_left(carried, RHO[step])
            carried = displaced
        for y in range(0, LANES, 5):
            for x in range(5):
                parity[x] = lanes[y + x]
            for x in range(5):
                lanes[y + x] = parity[x] ^ (~parity[(x + 1) % 5] & parity[(x + 2) % 5])
        lanes[0] ^= ROUND_CONSTANTS[round_index]


@keccak_kernel
def _byte_swap(value):
    """The uint64 with its 8 bytes in reverse order (LLVM turns this into one bswap)."""
    swapped = ZERO
    for _ in range(8):
        swapped = (swapped << _BYTE_BITS) | (value & _BYTE_MASK)
        value >>= _BYTE_BITS
    return swapped


@keccak_kernel
def keccak256_word(data, start, size):
    """Keccak-256 of data[start : start + size] as an EVM word (the digest read big-endian).

    The caller guarantees the region lies inside `data` (a uint8 array).
    """
    lanes = carray(limb_scratch(25), 25)
    for lane in range(LANES):
        lanes[lane] = ZERO
    position = 0  # byte position inside the current block
    for index in range(size):
        lane = position >> 3
        lanes[lane] ^= np.uint64(data[np.uint64(start + index)]) << np.uint64((position & 7) * 8)
        position += 1
        if position == RATE_BYTES:
            keccak_f1600(lanes)
            position = 0
    lanes[position >> 3] ^= _DOMAIN_PAD << np.uint64((position & 7) * 8)
    lanes[RATE_LANES - 1] ^= _FINAL_PAD << np.uint64(56)
    keccak_f1600(lanes)
    # Digest bytes 0..31 are lanes 0..3 little-endian; the word's most significant limb is byte 0..7.
    return (_byte_swap(lanes[3]), _byte_swap(lanes[2]), _byte_swap(lanes[1]), _byte_swap(lanes[0]))
