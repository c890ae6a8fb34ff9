"""The BN254 pairing check: is the product of e(P_i, Q_i) one? py_ecc's Miller loop, and a final
exponentiation split the usual way so most of it is Frobenius maps (nearly free) instead of powers.

py_ecc raises to (p^12 - 1) / n directly, a 3,000-bit exponent, which costs more than a Miller loop.
Since p^12 - 1 = (p^6 - 1)(p^2 + 1)(p^4 - p^2 + 1) and n divides the last factor, the same power is
  f^(p^6 - 1)          a Frobenius map and one inversion,
  then ^(p^2 + 1)      a Frobenius map and one multiplication,
  then ^((p^4 - p^2 + 1) / n)   a 762-bit power:
about four times less work.
"""

from functools import cache

from py_ecc.optimized_bn128 import FQ12, is_inf, twist
from py_ecc.optimized_bn128 import curve_order as CURVE_ORDER
from py_ecc.optimized_bn128 import field_modulus as FIELD_MODULUS
from py_ecc.optimized_bn128.optimized_pairing import cast_point_to_fq12, miller_loop

DEGREE = 12
HARD_EXPONENT = (FIELD_MODULUS**4 - FIELD_MODULUS**2 + 1) // CURVE_ORDER


def pairing_product_is_one(pairs) -> bool:
    """`pairs` of (G1 point, G2 point), already validated, in py_ecc's projective form."""
    product = FQ12.one()
    for p, q in pairs:
        if is_inf(p) or is_inf(q):
            continue  # e(P, Q) is one when either point is the identity
        # Multiply the Miller loops and exponentiate once: the final exponentiation is a homomorphism.
        product *= miller_loop(twist(q), cast_point_to_fq12(p), final_exponentiate=False)
    return final_exponentiate(product) == FQ12.one()


def final_exponentiate(f: FQ12) -> FQ12:
    """f^((p^12 - 1) / n)."""
    f = _frobenius(f, 6) / f  # f^(p^6 - 1)
    f = _frobenius(f, 2) * f  # ...^(p^2 + 1)
    return f**HARD_EXPONENT


def _frobenius(f: FQ12, k: int) -> FQ12:
    """f^(p^k). Raising to p is linear over F_p, so it maps f = sum a_i w^i to sum a_i (w^i)^(p^k)."""
    images = _powers_of_w_raised(k)
    coefficients = [0] * DEGREE
    for a, image in zip(f.coeffs, images):
        if a:
            for j, c in enumerate(image):
                coefficients[j] += a * c
    return FQ12(coefficients)  # FQ12 reduces the coefficients mod p


@cache
def _powers_of_w_raised(k: int) -> tuple[tuple[int, ...], ...]:
    """The coefficients of (w^i)^(p^k) for i = 0..11, w the generator of F_p^12 over F_p."""
    w = FQ12([0, 1] + [0] * (DEGREE - 2))
    # One real power for k = 1; each further p-th power reuses the k = 1 map.
    w_raised = w**FIELD_MODULUS if k == 1 else _frobenius(FQ12(_powers_of_w_raised(k - 1)[1]), 1)
    return tuple((w_raised**i).coeffs for i in range(DEGREE))
