"""Curve25519 group arithmetic for the runtime's curve syscalls: Edwards points and the Ristretto group
over them, decoded and encoded exactly as curve25519-dalek (which Agave uses) does.

Written here rather than taken from PyNaCl / libsodium or `cryptography`: `cryptography` exposes no
group operations, and libsodium's differ from dalek on the edge cases the syscalls must reproduce
(libsodium rejects small-order and non-canonical Edwards points and fails a Ristretto product that is
the identity; dalek accepts the former and returns the latter). Plain Python integers, affine
coordinates: a multiplication takes a few milliseconds, well within what a test needs."""

from __future__ import annotations

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # the prime group order
D = -121665 * pow(121666, -1, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int]  # affine (x, y) on -x^2 + y^2 = 1 + d x^2 y^2
IDENTITY: Point = (0, 1)


def _is_negative(value: int) -> bool:
    return value % P & 1 == 1


def _abs(value: int) -> int:
    value %= P
    return P - value if value & 1 else value


def sqrt_ratio_i(u: int, v: int) -> tuple[bool, int]:
    """(u/v is a square, the non-negative root of u/v or of i*u/v), as in RFC 9496."""
    u, v = u % P, v % P
    v3 = v * v % P * v % P
    v7 = v3 * v3 % P * v % P
    r = u * v3 % P * pow(u * v7 % P, (P - 5) // 8, P) % P
    check = v * r % P * r % P
    correct, flipped = check == u, check == (-u) % P
    flipped_i = check == (-u * SQRT_M1) % P
    if flipped or flipped_i:
        r = r * SQRT_M1 % P
    return correct or flipped, _abs(r)


INVSQRT_A_MINUS_D = sqrt_ratio_i(1, (-1 - D) % P)[1]


# -- Edwards ---------------------------------------------------------------------------------------

def edwards_decompress(encoded: bytes) -> Point | None:
    """CompressedEdwardsY::decompress: y is read modulo p (non-canonical encodings are accepted)."""
    y = int.from_bytes(encoded, "little") & (2**255 - 1)
    y %= P
    yy = y * y % P
    valid, x = sqrt_ratio_i(yy - 1, D * yy + 1)
    if not valid:
        return None
    if encoded[31] >> 7:
        x = (-x) % P
    return x, y


def edwards_compress(point: Point) -> bytes:
    x, y = point
    encoded = bytearray(y.to_bytes(32, "little"))
    encoded[31] |= (x & 1) << 7
    return bytes(encoded)


def add(left: Point, right: Point) -> Point:
    (x1, y1), (x2, y2) = left, right
    product = D * x1 % P * x2 % P * y1 % P * y2 % P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + product, -1, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - product, -1, P) % P
    return x3, y3


def negate(point: Point) -> Point:
    return (-point[0]) % P, point[1]


def multiply(scalar: int, point: Point) -> Point:
    result, addend = IDENTITY, point
    while scalar:
        if scalar & 1:
            result = add(result, addend)
        addend = add(addend, addend)
        scalar >>= 1
    return result


def canonical_scalar(encoded: bytes) -> int | None:
    """Scalar::from_canonical_bytes: the little-endian value, if it is below the group order."""
    value = int.from_bytes(encoded, "little")
    return value if value < L else None


# -- Ristretto -------------------------------------------------------------------------------------

def ristretto_decompress(encoded: bytes) -> Point | None:
    s = int.from_bytes(encoded, "little")
    if s >= P or s & 1:  # non-canonical or negative
        return None
    ss = s * s % P
    u1, u2 = (1 - ss) % P, (1 + ss) % P
    u2_squared = u2 * u2 % P
    v = (-(D * u1 % P * u1) - u2_squared) % P
    valid, inverse = sqrt_ratio_i(1, v * u2_squared)
    dx = inverse * u2 % P
    dy = inverse * dx % P * v % P
    x = _abs(2 * s * dx)
    y = u1 * dy % P
    if not valid or _is_negative(x * y) or y == 0:
        return None
    return x, y


def ristretto_compress(point: Point) -> bytes:
    x0, y0 = point
    t0 = x0 * y0 % P
    u1 = (1 + y0) * (1 - y0) % P
    u2 = x0 * y0 % P
    _, inverse = sqrt_ratio_i(1, u1 * u2 % P * u2)
    den1, den2 = inverse * u1 % P, inverse * u2 % P
    z_inverse = den1 * den2 % P * t0 % P
    if _is_negative(t0 * z_inverse):
        x, y, den_inverse = y0 * SQRT_M1 % P, x0 * SQRT_M1 % P, den1 * INVSQRT_A_MINUS_D % P
    else:
        x, y, den_inverse = x0, y0, den2
    if _is_negative(x * z_inverse):
        y = (-y) % P
    return _abs(den_inverse * (1 - y)).to_bytes(32, "little")
