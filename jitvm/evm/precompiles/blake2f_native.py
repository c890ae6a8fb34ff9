"""BLAKE2F's rounds compiled with Numba, for calls that ask for many of them.

The state tests pay for millions of rounds (one gas each), which would take a minute in Python; compiled,
a round costs tens of nanoseconds. blake2f.compress stays the readable definition, and the tests hold
this one equal to it. Imported only when needed: loading Numba costs more than a short call.
"""

import numpy as np

from jitvm.evm.precompiles.blake2f import IV, SIGMA
from jitvm.jit.numba_cache import cached_njit

_IV = np.array(IV, dtype=np.uint64)
_SIGMA = np.array(SIGMA, dtype=np.intp)


@cached_njit(__name__, error_model="numpy", inline="always")
def _rotate_right(x, n):
    return (x >> np.uint64(n)) | (x << np.uint64(64 - n))


@cached_njit(__name__, error_model="numpy", inline="always")
def _mix(v, a, b, c, d, x, y):
    """The G function, as in blake2f._mix; uint64 arithmetic wraps, so no masks."""
    v[a] = v[a] + v[b] + x
    v[d] = _rotate_right(v[d] ^ v[a], 32)
    v[c] = v[c] + v[d]
    v[b] = _rotate_right(v[b] ^ v[c], 24)
    v[a] = v[a] + v[b] + y
    v[d] = _rotate_right(v[d] ^ v[a], 16)
    v[c] = v[c] + v[d]
    v[b] = _rotate_right(v[b] ^ v[c], 63)


@cached_njit(__name__, error_model="numpy")
def _compress(rounds, h, m, t0, t1, final, iv, sigma):
    v = np.empty(16, dtype=np.uint64)
    v[:8] = h
    v[8:] = iv
    v[12] ^= t0
    v[13] ^= t1
    if final:
        v[14] = ~v[14]
    for round_index in range(rounds):
        s = sigma[round_index % 10]
        _mix(v, 0, 4, 8, 12, m[s[0]], m[s[1]])
        _mix(v, 1, 5, 9, 13, m[s[2]], m[s[3]])
        _mix(v, 2, 6, 10, 14, m[s[4]], m[s[5]])
        _mix(v, 3, 7, 11, 15, m[s[6]], m[s[7]])
        _mix(v, 0, 5, 10, 15, m[s[8]], m[s[9]])
        _mix(v, 1, 6, 11, 12, m[s[10]], m[s[11]])
        _mix(v, 2, 7, 8, 13, m[s[12]], m[s[13]])
        _mix(v, 3, 4, 9, 14, m[s[14]], m[s[15]])
    return h ^ v[:8] ^ v[8:]


def compress(rounds: int, h, m, t0: int, t1: int, final: bool) -> list[int]:
    """Same contract as blake2f.compress."""
    state = _compress(
        np.int64(rounds),
        np.array(h, dtype=np.uint64),
        np.array(m, dtype=np.uint64),
        np.uint64(t0),
        np.uint64(t1),
        final,
        _IV,
        _SIGMA,
    )
    return [int(word) for word in state]
