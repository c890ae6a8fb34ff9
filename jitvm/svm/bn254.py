"""alt_bn128 (BN254) operations for the runtime's syscalls, on py_ecc's curve arithmetic, with
solana-bn254's encodings and input rules: big-endian field elements (EIP-196/197 order: an Fp2 element
is its imaginary part first), little-endian variants that reverse each element, the point at infinity
as all zeros, and ark-serialize's compressed form (the x coordinate with a sign flag on y).

Every function returns the output bytes, or None where solana-bn254 returns an error (the syscall
then returns 1)."""

from __future__ import annotations

from py_ecc import optimized_bn128 as bn

FIELD = bn.field_modulus
ORDER = bn.curve_order
G1_SIZE, G2_SIZE, SCALAR_SIZE = 64, 128, 32
PAIRING_ELEMENT_SIZE = G1_SIZE + G2_SIZE
NEGATIVE_Y, INFINITY_FLAG = 0x80, 0x40  # ark-serialize's SWFlags, in the top bits of the last LE byte


class _Invalid(Exception):
    pass


def _reverse_chunks(data: bytes, size: int) -> bytes:
    return b"".join(data[i:i + size][::-1] for i in range(0, len(data), size))


def _element(data: bytes) -> int:
    value = int.from_bytes(data, "big")
    if value >= FIELD:
        raise _Invalid
    return value


# -- points ----------------------------------------------------------------------------------------

def _g1(data: bytes):
    if not any(data):
        return bn.Z1
    point = (bn.FQ(_element(data[:32])), bn.FQ(_element(data[32:64])), bn.FQ.one())
    if not bn.is_on_curve(point, bn.b):
        raise _Invalid
    return point


def _g1_bytes(point) -> bytes:
    if bn.is_inf(point):
        return bytes(G1_SIZE)
    x, y = bn.normalize(point)
    return int(x).to_bytes(32, "big") + int(y).to_bytes(32, "big")


def _fq2(data: bytes):
    return bn.FQ2([_element(data[32:64]), _element(data[:32])])  # imaginary part first


def _fq2_bytes(value) -> bytes:
    c0, c1 = value.coeffs
    return int(c1).to_bytes(32, "big") + int(c0).to_bytes(32, "big")


def _g2(data: bytes, subgroup: bool):
    if not any(data):
        return bn.Z2
    point = (_fq2(data[:64]), _fq2(data[64:128]), bn.FQ2.one())
    if not bn.is_on_curve(point, bn.b2):
        raise _Invalid
    if subgroup and not bn.is_inf(bn.multiply(point, ORDER)):
        raise _Invalid
    return point


def _g2_bytes(point) -> bytes:
    if bn.is_inf(point):
        return bytes(G2_SIZE)
    x, y = bn.normalize(point)
    return _fq2_bytes(x) + _fq2_bytes(y)


# -- group operations ------------------------------------------------------------------------------

def _guard(function):
    def run(data: bytes, little_endian: bool = False) -> bytes | None:
        try:
            return function(data, little_endian)
        except _Invalid:
            return None
    run.__name__ = function.__name__
    return run


@_guard
def g1_add(data: bytes, little_endian: bool) -> bytes | None:
    if len(data) > 2 * G1_SIZE:
        return None
    data = data.ljust(2 * G1_SIZE, b"\0")
    if little_endian:
        data = _reverse_chunks(data, 32)
    result = _g1_bytes(bn.add(_g1(data[:G1_SIZE]), _g1(data[G1_SIZE:])))
    return _reverse_chunks(result, 32) if little_endian else result


@_guard
def g1_multiply(data: bytes, little_endian: bool) -> bytes | None:
    if len(data) > G1_SIZE + SCALAR_SIZE:
        return None
    data = data.ljust(G1_SIZE + SCALAR_SIZE, b"\0")
    if little_endian:
        data = _reverse_chunks(data, 32)
    point, scalar = _g1(data[:G1_SIZE]), int.from_bytes(data[G1_SIZE:], "big")
    result = _g1_bytes(bn.multiply(point, scalar % ORDER) if scalar % ORDER else bn.Z1)
    return _reverse_chunks(result, 32) if little_endian else result


@_guard
def g2_add(data: bytes, little_endian: bool) -> bytes | None:
    if len(data) != 2 * G2_SIZE:
        return None
    if little_endian:
        data = _reverse_chunks(data, 64)
    result = _g2_bytes(bn.add(_g2(data[:G2_SIZE], False), _g2(data[G2_SIZE:], False)))
    return _reverse_chunks(result, 64) if little_endian else result


@_guard
def g2_multiply(data: bytes, little_endian: bool) -> bytes | None:
    if len(data) != G2_SIZE + SCALAR_SIZE:
        return None
    point_bytes, scalar_bytes = data[:G2_SIZE], data[G2_SIZE:]
    if little_endian:
        point_bytes, scalar_bytes = _reverse_chunks(point_bytes, 64), scalar_bytes[::-1]
    point, scalar = _g2(point_bytes, True), int.from_bytes(scalar_bytes, "big") % ORDER
    result = _g2_bytes(bn.multiply(point, scalar) if scalar else bn.Z2)
    return _reverse_chunks(result, 64) if little_endian else result


@_guard
def pairing(data: bytes, little_endian: bool) -> bytes | None:
    if len(data) % PAIRING_ELEMENT_SIZE:
        return None
    product = bn.FQ12.one()
    for offset in range(0, len(data), PAIRING_ELEMENT_SIZE):
        g1_bytes = data[offset:offset + G1_SIZE]
        g2_bytes = data[offset + G1_SIZE:offset + PAIRING_ELEMENT_SIZE]
        if little_endian:
            g1_bytes, g2_bytes = _reverse_chunks(g1_bytes, 32), _reverse_chunks(g2_bytes, 64)
        p, q = _g1(g1_bytes), _g2(g2_bytes, True)
        if not bn.is_inf(p) and not bn.is_inf(q):
            product *= bn.pairing(q, p, final_exponentiate=False)
    one = bn.final_exponentiate(product) == bn.FQ12.one()
    result = int(one).to_bytes(32, "big")
    return result[::-1] if little_endian else result


# -- compression -----------------------------------------------------------------------------------

def _y_is_negative(y: int) -> bool:
    return y > FIELD - y


def _fq2_is_negative(value) -> bool:
    """ark's Fp2 ordering: compare the imaginary part first, then the real part."""
    c0, c1 = (int(c) for c in value.coeffs)
    negated = ((-c0) % FIELD, (-c1) % FIELD)
    return (c1, c0) > (negated[1], negated[0])


@_guard
def g1_compress(data: bytes, little_endian: bool) -> bytes | None:
    if len(data) != G1_SIZE:
        return None
    if not any(data):
        return bytes(32)
    if not little_endian:
        data = _reverse_chunks(data, 32)  # to little endian
    x, y = _element(data[:32][::-1]), _element(data[32:][::-1])
    compressed = bytearray(x.to_bytes(32, "little"))
    if _y_is_negative(y):
        compressed[31] |= NEGATIVE_Y
    return bytes(compressed) if little_endian else bytes(compressed)[::-1]


@_guard
def g1_decompress(data: bytes, little_endian: bool) -> bytes | None:
    if len(data) != 32:
        return None
    if not any(data):
        return bytes(G1_SIZE)
    raw = bytearray(data if little_endian else data[::-1])
    flags = raw[31] & (NEGATIVE_Y | INFINITY_FLAG)
    raw[31] &= 0x3F
    x = _element(bytes(raw)[::-1])
    if flags & INFINITY_FLAG:  # ark reads x, then ignores it
        return None if flags & NEGATIVE_Y else bytes(G1_SIZE)
    y_squared = (pow(x, 3, FIELD) + 3) % FIELD
    y = pow(y_squared, (FIELD + 1) // 4, FIELD)
    if y * y % FIELD != y_squared:
        return None
    if _y_is_negative(y) != bool(flags & NEGATIVE_Y):
        y = FIELD - y
    result = x.to_bytes(32, "big") + y.to_bytes(32, "big")
    return _reverse_chunks(result, 32) if little_endian else result


@_guard
def g2_compress(data: bytes, little_endian: bool) -> bytes | None:
    if len(data) != G2_SIZE:
        return None
    if not any(data):
        return bytes(64)
    if little_endian:
        data = _reverse_chunks(data, 64)
    x, y = _fq2(data[:64]), _fq2(data[64:])
    compressed = bytearray(_fq2_bytes(x)[::-1])  # little endian: real part first
    if _fq2_is_negative(y):
        compressed[63] |= NEGATIVE_Y
    return bytes(compressed) if little_endian else bytes(compressed)[::-1]


def _fq2_sqrt(value):
    """A square root in Fp2 (p = 3 mod 4: Adj and Rodriguez-Henriquez, algorithm 9), or None."""
    minus_one = bn.FQ2([FIELD - 1, 0])
    a1 = value ** ((FIELD - 3) // 4)
    alpha = a1 * a1 * value
    if alpha ** FIELD * alpha == minus_one:
        return None
    x0 = a1 * value
    root = bn.FQ2([0, 1]) * x0 if alpha == minus_one else (bn.FQ2.one() + alpha) ** ((FIELD - 1) // 2) * x0
    return root if root * root == value else None


@_guard
def g2_decompress(data: bytes, little_endian: bool) -> bytes | None:
    if len(data) != 64:
        return None
    if not any(data):
        return bytes(G2_SIZE)
    raw = bytearray(data if little_endian else data[::-1])  # little endian: real part first
    flags = raw[63] & (NEGATIVE_Y | INFINITY_FLAG)
    raw[63] &= 0x3F
    x = bn.FQ2([_element(bytes(raw[:32])[::-1]), _element(bytes(raw[32:])[::-1])])
    if flags & INFINITY_FLAG:
        return None if flags & NEGATIVE_Y else bytes(G2_SIZE)
    y = _fq2_sqrt(x ** 3 + bn.b2)
    if y is None:
        return None
    if _fq2_is_negative(y) != bool(flags & NEGATIVE_Y):
        y = -y
    result = _fq2_bytes(x) + _fq2_bytes(y)
    return _reverse_chunks(result, 64) if little_endian else result
