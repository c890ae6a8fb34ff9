"""The BLS12-381 precompiles (EIP-2537, Prague): arithmetic checked against py_ecc, every validation
rule of the encoding, the prices, and a differential test against ethereum-execution (outputs and gas)
on generated inputs, most of them broken in some way."""

import itertools
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bls12_381 as bls
from py_ecc.bls.hash_to_curve import clear_cofactor_G1, clear_cofactor_G2, map_to_curve_G1, map_to_curve_G2

from jitvm.evm.precompiles import PrecompileError, bls12_381, bls12_381_gas, run_precompile
from jitvm.evm.precompiles.table import active_precompiles
from tests.evm.precompile_oracle import assert_same_as_reference

G1ADD, G1MSM, G2ADD, G2MSM, PAIRING, MAP_FP_TO_G1, MAP_FP2_TO_G2 = range(0x0B, 0x12)
P = bls.field_modulus
R = bls.curve_order
PLENTY = 10**9
FORK = "Prague"


def fp(value: int) -> bytes:
    return value.to_bytes(64, "big")


def fp2(element) -> bytes:
    c0, c1 = element.coeffs
    return fp(int(c0)) + fp(int(c1))


def g1(point) -> bytes:
    if bls.is_inf(point):
        return bytes(128)
    x, y = bls.normalize(point)
    return fp(int(x)) + fp(int(y))


def g2(point) -> bytes:
    if bls.is_inf(point):
        return bytes(256)
    x, y = bls.normalize(point)
    return fp2(x) + fp2(y)


def scalar(value: int) -> bytes:
    return value.to_bytes(32, "big")


def run(address, data, fork=FORK):
    return run_precompile(address, data, PLENTY, fork)


def output(address, data):
    return run(address, data)[0]


def fails(address, data) -> bool:
    try:
        run(address, data)
    except PrecompileError:
        return True
    return False


G1_GEN, G2_GEN = g1(bls.G1), g2(bls.G2)
TRUE, FALSE = scalar(1), scalar(0)


@cache
def g1_outside_subgroup():
    """On the curve but not of order r: the SWU map's point before its cofactor is cleared."""
    point = map_to_curve_G1(bls.FQ(7))
    assert bls.is_on_curve(point, bls.b) and not bls.is_inf(bls.multiply(point, R))
    return g1(point)


@cache
def g2_outside_subgroup():
    point = map_to_curve_G2(bls.FQ2([7, 9]))
    assert bls.is_on_curve(point, bls.b2) and not bls.is_inf(bls.multiply(point, R))
    return g2(point)


# --- arithmetic, against py_ecc --------------------------------------------------------------------


def test_g1_add():
    assert run(G1ADD, G1_GEN + G1_GEN) == (g1(bls.double(bls.G1)), 375)
    three, five = bls.multiply(bls.G1, 3), bls.multiply(bls.G1, 5)
    assert output(G1ADD, g1(three) + g1(five)) == g1(bls.multiply(bls.G1, 8))
    assert output(G1ADD, G1_GEN + bytes(128)) == G1_GEN
    assert output(G1ADD, g1(three) + g1(bls.neg(three))) == bytes(128)


def test_g2_add():
    assert run(G2ADD, G2_GEN + G2_GEN) == (g2(bls.double(bls.G2)), 600)
    assert output(G2ADD, bytes(256) + G2_GEN) == G2_GEN
    assert output(G2ADD, G2_GEN + g2(bls.neg(bls.G2))) == bytes(256)


def test_addition_takes_points_outside_the_subgroup_and_multiplication_does_not():
    outside = g1_outside_subgroup()
    x, y = (bls.FQ(int.from_bytes(outside[at : at + 64], "big")) for at in (0, 64))
    assert output(G1ADD, outside + G1_GEN) == g1(bls.add((x, y, bls.FQ.one()), bls.G1))
    assert fails(G1MSM, outside + scalar(1))
    assert fails(G1MSM, outside + scalar(0))  # even when the product would be the identity
    assert fails(PAIRING, outside + G2_GEN)
    assert not fails(G2ADD, g2_outside_subgroup() + G2_GEN)
    assert fails(G2MSM, g2_outside_subgroup() + scalar(1))
    assert fails(PAIRING, G1_GEN + g2_outside_subgroup())


def test_g1_msm():
    pairs = [(bls.multiply(bls.G1, 3), 5), (bls.G1, 2**256 - 1), (bls.Z1, 9), (bls.G1, 0), (bls.G1, R)]
    data = b"".join(g1(point) + scalar(k) for point, k in pairs)
    expected = bls.multiply(bls.G1, (15 + 2**256 - 1) % R)
    assert run(G1MSM, data) == (g1(expected), 5 * 12_000 * 764 // 1000)
    assert output(G1MSM, G1_GEN + scalar(R - 1)) == g1(bls.neg(bls.G1))


def test_g2_msm():
    data = G2_GEN + scalar(7) + g2(bls.multiply(bls.G2, 2)) + scalar(2**255)
    assert run(G2MSM, data) == (g2(bls.multiply(bls.G2, (7 + 2 * 2**255) % R)), 2 * 22_500 * 1000 // 1000)
    assert output(G2MSM, bytes(256) + scalar(5)) == bytes(256)


def test_pairing():
    neg_g1 = g1(bls.neg(bls.G1))
    assert run(PAIRING, G1_GEN + G2_GEN + neg_g1 + G2_GEN) == (TRUE, 37_700 + 2 * 32_600)
    assert output(PAIRING, G1_GEN + G2_GEN) == FALSE
    assert output(PAIRING, bytes(128) + G2_GEN + G1_GEN + bytes(256)) == TRUE  # identity pairs
    # e(aP, bQ) * e(-abP, Q) = 1
    a, b = 12345, 678
    data = g1(bls.multiply(bls.G1, a)) + g2(bls.multiply(bls.G2, b)) + g1(bls.neg(bls.multiply(bls.G1, a * b))) + G2_GEN
    assert output(PAIRING, data) == TRUE


@pytest.mark.parametrize("u", [0, 1, P - 1, 0x1234567890ABCDEF])
def test_map_fp_to_g1(u):
    assert run(MAP_FP_TO_G1, fp(u)) == (g1(clear_cofactor_G1(map_to_curve_G1(bls.FQ(u)))), 5_500)


@pytest.mark.parametrize("u", [(0, 0), (1, 0), (0, 1), (P - 1, 12345)])
def test_map_fp2_to_g2(u):
    element = bls.FQ2(list(u))
    assert run(MAP_FP2_TO_G2, fp2(element)) == (g2(clear_cofactor_G2(map_to_curve_G2(element))), 23_800)


# --- the encoding's rules --------------------------------------------------------------------------


def with_byte(data: bytes, at: int, value: int) -> bytes:
    return data[:at] + bytes([value]) + data[at + 1 :]


@pytest.mark.parametrize(
    "address, data, element_starts",
    [
        (G1ADD, G1_GEN + G1_GEN, range(0, 256, 64)),
        (G2ADD, G2_GEN + G2_GEN, range(0, 512, 64)),
        (G1MSM, G1_GEN + scalar(1), range(0, 128, 64)),
        (G2MSM, G2_GEN + scalar(1), range(0, 256, 64)),
        (PAIRING, G1_GEN + G2_GEN, range(0, 384, 64)),
        (MAP_FP_TO_G1, fp(1), [0]),
        (MAP_FP2_TO_G2, fp(1) + fp(1), [0, 64]),
    ],
)
def test_every_field_element_needs_its_16_zero_bytes(address, data, element_starts):
    assert not fails(address, data)
    for start in element_starts:
        assert fails(address, with_byte(data, start + 15, 1)), start
        assert fails(address, with_byte(data, start, 0x80)), start


def test_field_elements_must_be_below_p():
    # x + p has the same residue but is not the canonical encoding.
    x, y = G1_GEN[:64], G1_GEN[64:]
    assert fails(G1ADD, fp(int.from_bytes(x, "big") + P) + y + G1_GEN)
    assert fails(MAP_FP_TO_G1, fp(P))
    assert not fails(MAP_FP_TO_G1, fp(P - 1))
    assert fails(MAP_FP2_TO_G2, fp(0) + fp(P))
    assert fails(MAP_FP2_TO_G2, fp(P) + fp(0))


def test_points_must_be_on_the_curve():
    x = G1_GEN[:64]
    y = int.from_bytes(G1_GEN[64:], "big")
    assert fails(G1ADD, x + fp(y + 1) + G1_GEN)
    assert fails(G1ADD, fp(0) + fp(1) + G1_GEN)  # (0, 1): zero x alone is not infinity
    assert output(G1ADD, fp(0) + fp(2) + bytes(128)) == fp(0) + fp(2)  # y^2 = 0 + 4: on the curve
    assert fails(G2ADD, G2_GEN[:128] + G2_GEN[128:192] + fp(1) + G2_GEN)
    assert fails(PAIRING, G1_GEN[:64] + fp(y + 1) + G2_GEN)


@pytest.mark.parametrize(
    "address, unit, whole",
    [
        (G1ADD, 256, False), (G2ADD, 512, False), (MAP_FP_TO_G1, 64, False), (MAP_FP2_TO_G2, 128, False),
        (G1MSM, 160, True), (G2MSM, 288, True), (PAIRING, 384, True),
    ],
)
def test_input_lengths_are_exact(address, unit, whole):
    assert fails(address, b"")
    assert fails(address, bytes(unit - 1))
    assert fails(address, bytes(unit + 1))
    assert not fails(address, bytes(unit))  # zeros: infinity, a zero scalar, or the element 0
    assert fails(address, bytes(2 * unit)) != whole
    assert fails(address, bytes(2 * unit + 32)) or address in (MAP_FP_TO_G1,)


def test_not_before_prague():
    with pytest.raises(KeyError):
        run(G1ADD, G1_GEN + G1_GEN, "Cancun")


# --- prices ----------------------------------------------------------------------------------------


def msm_price(pairs: int, multiplication: int, discounts) -> int:
    return pairs * multiplication * discounts[min(pairs, 128) - 1] // 1000


@pytest.mark.parametrize("pairs", [1, 2, 3, 64, 127, 128, 129, 200])
def test_msm_prices(pairs):
    zero_pair_g1, zero_pair_g2 = bytes(160), bytes(288)
    assert run(G1MSM, zero_pair_g1 * pairs)[1] == msm_price(pairs, 12_000, bls12_381_gas.G1_MSM_DISCOUNTS)
    assert run(G2MSM, zero_pair_g2 * pairs)[1] == msm_price(pairs, 22_500, bls12_381_gas.G2_MSM_DISCOUNTS)


@pytest.mark.parametrize("pairs", [1, 2, 127, 128, 129, 300])
def test_msm_prices_same_as_reference(pairs):
    # Infinity with a zero scalar keeps the oracle quick at any k; the price depends on k alone.
    for address, pair_size in ((G1MSM, 160), (G2MSM, 288)):
        assert_same_as_reference(address, bytes(pair_size * pairs), PLENTY, FORK)


def test_discount_tables():
    # EIP-2537: 128 entries each, falling from 1000 to the maximum discount, which holds beyond.
    for table, last in [(bls12_381_gas.G1_MSM_DISCOUNTS, 519), (bls12_381_gas.G2_MSM_DISCOUNTS, 524)]:
        assert len(table) == 128 and table[0] == 1000 and table[-1] == last
        assert all(a >= b for a, b in itertools.pairwise(table))
    assert bls12_381_gas.G2_MSM_DISCOUNTS[1] == 1000  # two G2 pairs get no discount


def test_pairing_price_and_gas_short_of_it():
    data = (bytes(128) + G2_GEN) * 3
    assert run(PAIRING, data) == (TRUE, 37_700 + 3 * 32_600)
    with pytest.raises(PrecompileError):
        run_precompile(PAIRING, data, 37_700 + 3 * 32_600 - 1, FORK)


def test_field_modulus():
    assert bls12_381.FIELD_MODULUS == P


# --- differential: ethereum-execution (py_ecc underneath) on the same calls -------------------------

# The oracle is slow (a G2 subgroup check ~50 ms, a pairing over a second): inputs stay small.
DIFFERENTIAL = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                HealthCheck.data_too_large])

g1_points = st.integers(0, R - 1).map(lambda k: g1(bls.multiply(bls.G1, k)))
SOME_G2 = [g2(bls.multiply(bls.G2, k)) for k in (1, 2, 3, R - 1)]
g2_points = st.sampled_from(SOME_G2)


def _damage(point_encoding: bytes, draw) -> bytes:
    """The encoding damaged in one of the ways the EIP rejects."""
    size = len(point_encoding)
    way = draw(st.sampled_from(["padding", "plus_p", "off_curve", "random_element"]))
    element = draw(st.integers(0, size // 64 - 1)) * 64
    value = int.from_bytes(point_encoding[element : element + 64], "big")
    if way == "padding":
        return with_byte(point_encoding, element + draw(st.integers(0, 15)), draw(st.integers(1, 255)))
    if way == "plus_p":
        return point_encoding[:element] + fp(value + P) + point_encoding[element + 64 :]
    if way == "off_curve":
        return point_encoding[:element] + fp((value + 1) % P) + point_encoding[element + 64 :]
    return point_encoding[:element] + fp(draw(st.integers(0, P - 1))) + point_encoding[element + 64 :]


def _encodings(valid, infinity: bytes, outside_subgroup):
    """Mostly valid points, sometimes infinity, a point outside the subgroup, or a damaged encoding."""
    damaged = st.builds(lambda point, data: _damage(point, data.draw), valid, st.data())
    return st.one_of(valid, valid, valid, valid, st.just(infinity), st.builds(outside_subgroup), damaged)


g1_encodings = _encodings(g1_points, bytes(128), g1_outside_subgroup)
g2_encodings = _encodings(g2_points, bytes(256), g2_outside_subgroup)
scalars = st.one_of(st.sampled_from([0, 1, R - 1, R, 2**256 - 1]), st.integers(0, 2**256 - 1)).map(scalar)


def _ragged(data: bytes, draw) -> bytes:
    return draw(st.sampled_from([data] * 6 + [data[:-1], data + b"\x00"]), label="length")


def _gas(address: int, data: bytes, draw) -> int:
    """Mostly enough gas; sometimes exactly the price or one short of it."""
    price = active_precompiles("Prague")[address].gas(data)
    return draw(st.sampled_from([PLENTY, PLENTY, price, max(price - 1, 0)]), label="gas")


@DIFFERENTIAL
@given(data=st.data())
def test_same_as_reference_add(data):
    if data.draw(st.booleans(), label="g2"):
        address, points = G2ADD, data.draw(g2_encodings) + data.draw(g2_encodings)
    else:
        address, points = G1ADD, data.draw(g1_encodings) + data.draw(g1_encodings)
    points = _ragged(points, data.draw)
    assert_same_as_reference(address, points, _gas(address, points, data.draw), FORK)


@settings(DIFFERENTIAL, max_examples=40)
@given(data=st.data())
def test_same_as_reference_msm(data):
    pairs = data.draw(st.integers(0, 3), label="pairs")
    if data.draw(st.booleans(), label="g2"):
        address, points = G2MSM, [data.draw(g2_encodings) for _ in range(min(pairs, 2))]
    else:
        address, points = G1MSM, [data.draw(g1_encodings) for _ in range(pairs)]
    encoded = _ragged(b"".join(point + data.draw(scalars) for point in points), data.draw)
    fork = data.draw(st.sampled_from(["Prague", "Osaka"]))
    assert_same_as_reference(address, encoded, _gas(address, encoded, data.draw), fork)


@settings(DIFFERENTIAL, max_examples=20)
@given(data=st.data())
def test_same_as_reference_pairing(data):
    # Mostly identities and broken encodings (which the oracle rejects before pairing anything): a
    # real pairing takes it over a second.
    g1_choice = st.one_of(st.just(bytes(128)), st.just(G1_GEN), g1_encodings)
    g2_choice = st.one_of(st.just(bytes(256)), g2_encodings)
    pairs = [(data.draw(g1_choice), data.draw(g2_choice)) for _ in range(data.draw(st.integers(0, 2), label="pairs"))]
    encoded = _ragged(b"".join(a + b for a, b in pairs), data.draw)
    assert_same_as_reference(PAIRING, encoded, _gas(PAIRING, encoded, data.draw), FORK)


def test_same_as_reference_one_real_pairing():
    assert_same_as_reference(PAIRING, G1_GEN + G2_GEN + g1(bls.neg(bls.G1)) + G2_GEN, 200_000, FORK)


@settings(DIFFERENTIAL, max_examples=40)
@given(data=st.data())
def test_same_as_reference_map(data):
    valid = st.integers(0, P - 1)
    elements = st.one_of(valid, valid, valid, st.sampled_from([0, P - 1, P, 2**383]), st.integers(0, 2**512 - 1))
    if data.draw(st.booleans(), label="g2"):
        address, encoded = MAP_FP2_TO_G2, fp(data.draw(elements)) + fp(data.draw(elements))
    else:
        address, encoded = MAP_FP_TO_G1, fp(data.draw(elements))
    encoded = _ragged(encoded, data.draw)
    assert_same_as_reference(address, encoded, _gas(address, encoded, data.draw), FORK)
