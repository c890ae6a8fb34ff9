"""0x0b-0x11, the BLS12-381 precompiles of EIP-2537 (Prague): addition and multi-scalar multiplication
in G1 and G2, the pairing check, and the maps from field elements to the curve. The arithmetic is
arkworks (Rust) through py_arkworks_bls12381; this module reads and checks the EVM encoding.

Encoding: a base-field element is 64 bytes, big-endian, whose first 16 bytes are zero and whose value is
below p (one comparison does both: a nonzero padding byte puts the value above p). An F_p^2 element is
c0 then c1. A G1 point is x then y (128 bytes), a G2 point likewise over F_p^2 (256 bytes); all zeros is
the point at infinity. A scalar is 32 bytes, big-endian, any value. Points must lie on their curve
everywhere; multiplication and pairing also require them in the order-r subgroup (addition does not).
Every input length is exact; anything else is invalid input, which halts the call.
"""

from collections.abc import Callable
from dataclasses import dataclass

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from jitvm.evm.precompiles.bls12_381_gas import (
    FP2_SIZE,
    FP_SIZE,
    G1_SIZE,
    G2_SIZE,
    PAIRING_PAIR_SIZE,
    SCALAR_SIZE,
)
from jitvm.evm.precompiles.errors import PrecompileError

FIELD_MODULUS = 0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB
FP_PADDING = 16  # the zero bytes in front of the 48 that hold a field element
COORDINATE_SIZE = FP_SIZE - FP_PADDING  # as arkworks reads and writes it

PAIRING_TRUE = (1).to_bytes(32, "big")
PAIRING_FALSE = bytes(32)


@dataclass(frozen=True)
class Group:
    """What differs between G1 and G2: the point class and the encoded size (the MSM prices are in
    bls12_381_gas)."""

    name: str
    point: type
    point_size: int

    @property
    def msm_pair_size(self) -> int:
        return self.point_size + SCALAR_SIZE


G1 = Group("G1", G1Point, G1_SIZE)
G2 = Group("G2", G2Point, G2_SIZE)


# --- reading and writing the EVM encoding -----------------------------------------------------------


def _require_length(data: bytes, length: int, what: str) -> None:
    if len(data) != length:
        raise PrecompileError(f"bls12-381 {what}: input must be {length} bytes, got {len(data)}")


def _require_pairs(data: bytes, pair_size: int, what: str) -> int:
    if not data or len(data) % pair_size:
        raise PrecompileError(f"bls12-381 {what}: input must be a nonzero multiple of {pair_size} bytes, got {len(data)}")
    return len(data) // pair_size


def _field_element(data: bytes, offset: int) -> bytes:
    """The COORDINATE_SIZE bytes arkworks reads, after checking the padding and the bound."""
    encoded = data[offset : offset + FP_SIZE]
    if int.from_bytes(encoded, "big") >= FIELD_MODULUS:
        raise PrecompileError("bls12-381: field element not below p (or nonzero padding)")
    return encoded[FP_PADDING:]


def _point(group: Group, data: bytes, offset: int, in_subgroup: bool):
    coordinates = b"".join(_field_element(data, offset + at) for at in range(0, group.point_size, FP_SIZE))
    # arkworks reads all zeros as the point at infinity, as EIP-2537 encodes it.
    try:
        point = group.point.from_xy_bytes_unchecked_be(coordinates)
    except ValueError:
        raise PrecompileError(f"bls12-381: {group.name} point not on the curve") from None
    if in_subgroup and not point.is_in_subgroup():
        raise PrecompileError(f"bls12-381: {group.name} point not in the order-r subgroup")
    return point


def _encode(point) -> bytes:
    """Each 48-byte coordinate back to 64 bytes; infinity comes out as zeros, as it should."""
    raw = point.to_xy_bytes_be()
    return b"".join(bytes(FP_PADDING) + raw[at : at + COORDINATE_SIZE] for at in range(0, len(raw), COORDINATE_SIZE))


# --- the precompiles --------------------------------------------------------------------------------


def _add(group: Group) -> Callable[[bytes], bytes]:
    def add(data: bytes) -> bytes:
        _require_length(data, 2 * group.point_size, f"{group.name}ADD")
        first = _point(group, data, 0, in_subgroup=False)
        second = _point(group, data, group.point_size, in_subgroup=False)
        return _encode(first + second)

    add.__name__ = f"{group.name.lower()}_add"
    return add


def _msm(group: Group) -> Callable[[bytes], bytes]:
    def msm(data: bytes) -> bytes:
        pairs = _require_pairs(data, group.msm_pair_size, f"{group.name}MSM")
        points, scalars = [], []
        for start in range(0, pairs * group.msm_pair_size, group.msm_pair_size):
            points.append(_point(group, data, start, in_subgroup=True))
            # Every point is in the order-r subgroup, so the scalar may be reduced mod r.
            scalar_start = start + group.point_size
            scalars.append(Scalar.from_be_bytes_mod_order(data[scalar_start : scalar_start + SCALAR_SIZE]))
        if pairs == 1:  # one multiplication: Pippenger's set-up costs more than it saves
            return _encode(points[0] * scalars[0])
        return _encode(group.point.multiexp_unchecked(points, scalars))

    msm.__name__ = f"{group.name.lower()}_msm"
    return msm


g1_add = _add(G1)
g2_add = _add(G2)
g1_msm = _msm(G1)
g2_msm = _msm(G2)


def pairing(data: bytes) -> bytes:
    """1 as a 32-byte word if the product of e(P_i, Q_i) is one, else 0."""
    pairs = _require_pairs(data, PAIRING_PAIR_SIZE, "PAIRING")
    g1_points, g2_points = [], []
    for start in range(0, pairs * PAIRING_PAIR_SIZE, PAIRING_PAIR_SIZE):
        g1_points.append(_point(G1, data, start, in_subgroup=True))
        g2_points.append(_point(G2, data, start + G1_SIZE, in_subgroup=True))
    return PAIRING_TRUE if GT.pairing_check(g1_points, g2_points) else PAIRING_FALSE


def map_fp_to_g1(data: bytes) -> bytes:
    """The simplified SWU map to the curve then cofactor clearing (RFC 9380's map_to_curve and clear_cofactor)."""
    _require_length(data, FP_SIZE, "MAP_FP_TO_G1")
    return _encode(G1Point.map_from_fp_be(_field_element(data, 0)))


def map_fp2_to_g2(data: bytes) -> bytes:
    _require_length(data, FP2_SIZE, "MAP_FP2_TO_G2")
    element = _field_element(data, 0) + _field_element(data, FP_SIZE)
    return _encode(G2Point.map_from_fp2_be(element))
