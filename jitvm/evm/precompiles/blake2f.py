"""0x09 BLAKE2F: the BLAKE2b compression function F (RFC 7693 section 3.2) with a caller-chosen number
of rounds (EIP-152). No library exposes F on its own, so it is written out here.

Input, exactly 213 bytes: rounds (4 bytes, big-endian), the state h (8 words), the message block m
(16 words), the offset counter t (2 words), the final-block flag f (1 byte, 0 or 1); words are 64-bit
little-endian. Output: the new state h, 64 bytes, same encoding.
"""

import struct

from jitvm.evm.precompiles.errors import PrecompileError
from jitvm.evm.precompiles.gas import GasRule

INPUT_SIZE = 213
ROUNDS_SIZE = 4
# Above this many rounds (about a tenth of a second in Python) the Numba kernel in blake2f_native runs
# them instead; below it, loading Numba would cost more than it saves.
NATIVE_ROUNDS = 20_000

_WORDS = struct.Struct("<26Q")  # h (8), m (16), t (2), all little-endian
_STATE = struct.Struct("<8Q")

MASK64 = (1 << 64) - 1

# The BLAKE2b initialisation vector (the SHA-512 one).
IV = (
    0x6A09E667F3BCC908,
    0xBB67AE8584CAA73B,
    0x3C6EF372FE94F82B,
    0xA54FF53A5F1D36F1,
    0x510E527FADE682D1,
    0x9B05688C2B3E6C1F,
    0x1F83D9ABFB41BD6B,
    0x5BE0CD19137E2179,
)

# The message word schedule; round r uses SIGMA[r % 10] (BLAKE2b's 12 rounds wrap the same way).
SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)


def gas_per_round(per_round: int) -> GasRule:
    """The price of the rounds the input asks for. A wrong-sized input gets a price too (from whatever its
    first bytes say); `blake2f` rejects it after."""

    def gas(data: bytes) -> int:
        return per_round * int.from_bytes(data[:ROUNDS_SIZE], "big")

    return gas


def blake2f(data: bytes) -> bytes:
    if len(data) != INPUT_SIZE:
        raise PrecompileError(f"blake2f: input must be exactly {INPUT_SIZE} bytes, got {len(data)}")
    final_flag = data[-1]
    if final_flag not in (0, 1):
        raise PrecompileError(f"blake2f: final block flag must be 0 or 1, got {final_flag}")
    rounds = int.from_bytes(data[:ROUNDS_SIZE], "big")
    words = _WORDS.unpack_from(data, ROUNDS_SIZE)
    state, message, (t0, t1) = words[:8], words[8:24], words[24:26]
    if rounds > NATIVE_ROUNDS:
        from jitvm.evm.precompiles import blake2f_native

        return _STATE.pack(*blake2f_native.compress(rounds, state, message, t0, t1, bool(final_flag)))
    return _STATE.pack(*compress(rounds, state, message, t0, t1, bool(final_flag)))


def compress(rounds: int, h, m, t0: int, t1: int, final: bool) -> list[int]:
    """F(h, m, t, f) with `rounds` rounds, on 64-bit words held in Python ints."""
    v = list(h) + list(IV)
    v[12] ^= t0
    v[13] ^= t1
    if final:
        v[14] ^= MASK64
    for round_index in range(rounds):
        s = SIGMA[round_index % 10]
        # Columns, then diagonals.
        _mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]])
        _mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]])
        _mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]])
        _mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]])
        _mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]])
        _mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]])
        _mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]])
        _mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]])
    return [h[i] ^ v[i] ^ v[i + 8] for i in range(8)]


def _mix(v: list[int], a: int, b: int, c: int, d: int, x: int, y: int) -> None:
    """The G function: mixes two message words into four state words (rotations 32, 24, 16, 63)."""
    va, vb, vc, vd = v[a], v[b], v[c], v[d]
    va = (va + vb + x) & MASK64
    vd ^= va
    vd = (vd >> 32) | ((vd << 32) & MASK64)
    vc = (vc + vd) & MASK64
    vb ^= vc
    vb = (vb >> 24) | ((vb << 40) & MASK64)
    va = (va + vb + y) & MASK64
    vd ^= va
    vd = (vd >> 16) | ((vd << 48) & MASK64)
    vc = (vc + vd) & MASK64
    vb ^= vc
    vb = (vb >> 63) | ((vb << 1) & MASK64)
    v[a], v[b], v[c], v[d] = va, vb, vc, vd
