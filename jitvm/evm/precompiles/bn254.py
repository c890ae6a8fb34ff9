"""0x06 ECADD, 0x07 ECMUL and 0x08 ECPAIRING on the BN254 (alt_bn128) curve: EIP-196 and EIP-197,
repriced by EIP-1108 (sizes and pairing price: bn254_gas). The arithmetic is py_ecc's optimized_bn128
(projective coordinates); the pairing check itself is in bn254_pairing.

Encoding: a field element is a 32-byte big-endian number below the field modulus p. A G1 point is (x, y);
a G2 point is (x, y) over F_p^2 with each coordinate written imaginary part first. The point at
infinity is all zeros. Anything else off the curve (or, for G2, outside the order-n subgroup) is invalid
input, which halts the call.
"""

from functools import lru_cache

from py_ecc.optimized_bn128 import FQ, FQ2
from py_ecc.optimized_bn128 import Z1 as G1_INFINITY
from py_ecc.optimized_bn128 import Z2 as G2_INFINITY
from py_ecc.optimized_bn128 import b as CURVE_B  # y^2 = x^3 + 3
from py_ecc.optimized_bn128 import b2 as TWIST_B  # the same over F_p^2, divided by (9 + i)
from py_ecc.optimized_bn128 import curve_order as CURVE_ORDER
from py_ecc.optimized_bn128 import field_modulus as FIELD_MODULUS
from py_ecc.optimized_bn128 import add as add_points
from py_ecc.optimized_bn128 import is_inf, is_on_curve, multiply, normalize

from jitvm.evm.precompiles.bn254_gas import G1_SIZE, PAIR_SIZE, WORD
from jitvm.evm.precompiles.bn254_pairing import pairing_product_is_one
from jitvm.evm.precompiles.errors import PrecompileError

ADD_INPUT_SIZE = 2 * G1_SIZE
MUL_INPUT_SIZE = G1_SIZE + WORD


def _field_element(data: bytes, offset: int) -> int:
    value = int.from_bytes(data[offset : offset + WORD], "big")
    if value >= FIELD_MODULUS:
        raise PrecompileError("bn254: coordinate not below the field modulus")
    return value


def _g1_point(data: bytes, offset: int):
    x = _field_element(data, offset)
    y = _field_element(data, offset + WORD)
    if x == 0 and y == 0:
        return G1_INFINITY
    point = (FQ(x), FQ(y), FQ.one())
    if not is_on_curve(point, CURVE_B):
        raise PrecompileError("bn254: G1 point not on the curve")
    return point


def _g2_point(data: bytes, offset: int):
    x_imaginary, x_real, y_imaginary, y_real = (_field_element(data, offset + i * WORD) for i in range(4))
    if x_imaginary == x_real == y_imaginary == y_real == 0:
        return G2_INFINITY
    point = (FQ2([x_real, x_imaginary]), FQ2([y_real, y_imaginary]), FQ2.one())
    if not is_on_curve(point, TWIST_B):
        raise PrecompileError("bn254: G2 point not on the twist curve")
    # The twist has points outside the order-n group the pairing is defined on (G1 has cofactor 1, so
    # only G2 needs this check).
    if not is_inf(multiply(point, CURVE_ORDER)):
        raise PrecompileError("bn254: G2 point not in the order-n subgroup")
    return point


def _encode_g1(point) -> bytes:
    if is_inf(point):
        return bytes(G1_SIZE)
    x, y = normalize(point)
    return x.n.to_bytes(WORD, "big") + y.n.to_bytes(WORD, "big")


def ecadd(data: bytes) -> bytes:
    data = data[:ADD_INPUT_SIZE].ljust(ADD_INPUT_SIZE, b"\x00")
    return _encode_g1(add_points(_g1_point(data, 0), _g1_point(data, G1_SIZE)))


def ecmul(data: bytes) -> bytes:
    data = data[:MUL_INPUT_SIZE].ljust(MUL_INPUT_SIZE, b"\x00")
    point = _g1_point(data, 0)
    # Every curve point has order n (cofactor 1), so the scalar can be reduced; that keeps the
    # double-and-add chain at most 254 steps for any 256-bit scalar.
    scalar = int.from_bytes(data[G1_SIZE:MUL_INPUT_SIZE], "big") % CURVE_ORDER
    return _encode_g1(multiply(point, scalar))


def ecpairing(data: bytes) -> bytes:
    """1 as a 32-byte word if the product of the pairings e(G1_i, G2_i) is one, else 0."""
    if len(data) % PAIR_SIZE:
        raise PrecompileError("bn254: pairing input is not a whole number of 192-byte pairs")
    return (1 if _pairing_product_is_one(bytes(data)) else 0).to_bytes(WORD, "big")


# State tests send the same pairing input many times (once per gas limit or value variant), and one check
# costs a few tenths of a second; the answer depends only on the bytes.
@lru_cache(maxsize=256)
def _pairing_product_is_one(data: bytes) -> bool:
    pairs = [
        (_g1_point(data, offset), _g2_point(data, offset + G1_SIZE)) for offset in range(0, len(data), PAIR_SIZE)
    ]
    return pairing_product_is_one(pairs)
