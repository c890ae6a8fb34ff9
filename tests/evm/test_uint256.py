"""The limb-word kernels against the EVM's arithmetic written with Python integers.

Each reference below is the yellow paper's definition of the opcode, on unbounded integers, reduced
modulo 2^256 at the end. Operands are drawn with a bias to the values where limb code goes wrong:
limb and sign boundaries, powers of two, small divisors, divisors with the top limb set.
"""

import ctypes

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba import njit

from jitvm.evm.limbs import uint256, uint256_cfuncs, uint256_div
from jitvm.evm.limbs.uint256 import from_int, to_int
from jitvm.evm.limbs.word64 import divide_2by1, reciprocal_2by1
from jitvm.evm.limbs.word_opcodes import WORD_KERNELS

MODULUS = 2**256
SIGN_BIT = 2**255
# No deadline: the first example of each test includes Numba's compile (or cache load) of the kernel.
EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER_EXAMPLES = settings(max_examples=100, deadline=None)


def signed(value):
    return value - MODULUS if value >= SIGN_BIT else value


def truncated_division(a, b):
    """Integer division rounding toward zero, as SDIV does (Python's // rounds down)."""
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def sign_extended(byte_position, value):
    if byte_position >= 31:
        return value
    bits = 8 * (byte_position + 1)
    low = value & ((1 << bits) - 1)
    return low - (1 << bits) if low >> (bits - 1) else low


REFERENCE = {
    "ADD": lambda a, b: a + b,
    "SUB": lambda a, b: a - b,
    "MUL": lambda a, b: a * b,
    "DIV": lambda a, b: a // b if b else 0,
    "SDIV": lambda a, b: truncated_division(signed(a), signed(b)) if b else 0,
    "MOD": lambda a, b: a % b if b else 0,
    "SMOD": lambda a, b: (abs(signed(a)) % abs(signed(b))) * (-1 if signed(a) < 0 else 1) if b else 0,
    "EXP": lambda a, b: pow(a, b, MODULUS),
    "SIGNEXTEND": sign_extended,
    "LT": lambda a, b: int(a < b),
    "GT": lambda a, b: int(a > b),
    "SLT": lambda a, b: int(signed(a) < signed(b)),
    "SGT": lambda a, b: int(signed(a) > signed(b)),
    "EQ": lambda a, b: int(a == b),
    "AND": lambda a, b: a & b,
    "OR": lambda a, b: a | b,
    "XOR": lambda a, b: a ^ b,
    "BYTE": lambda i, x: (x >> (8 * (31 - i))) & 0xFF if i < 32 else 0,
    "SHL": lambda shift, x: x << shift if shift < 256 else 0,
    "SHR": lambda shift, x: x >> shift if shift < 256 else 0,
    "SAR": lambda shift, x: signed(x) >> min(shift, 256),
    "ADDMOD": lambda a, b, n: (a + b) % n if n else 0,
    "MULMOD": lambda a, b, n: (a * b) % n if n else 0,
    "NOT": lambda a: MODULUS - 1 - a,
    "ISZERO": lambda a: int(a == 0),
}
# Opcodes whose first operand is a shift, a byte index or a byte position: mostly small.
SMALL_FIRST = {"SIGNEXTEND", "BYTE", "SHL", "SHR", "SAR"}

EDGES = [
    0, 1, 2, 3, 7, 255, 256,
    2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**64 + 1,
    2**127, 2**128 - 1, 2**128, 2**128 + 1,
    2**192 - 1, 2**192, 2**192 + 1,
    2**255 - 1, 2**255, 2**255 + 1, 2**256 - 2, 2**256 - 1,
]
words = st.one_of(
    st.sampled_from(EDGES),
    st.integers(0, 300),  # small divisors and moduli
    st.integers(0, MODULUS - 1),
    st.integers(0, 256).flatmap(lambda bits: st.integers(0, 2**bits - 1)),
    st.integers(0, 255).map(lambda k: 1 << k),
    st.tuples(st.integers(0, 256), st.sampled_from([-1, 1])).map(lambda p: ((1 << p[0]) + p[1]) % MODULUS),
    st.integers(1, 300).map(lambda small: MODULUS - small),  # -1 .. -300
    st.integers(2**192, MODULUS - 1),  # top limb set: Knuth D with a four-limb divisor
)
small_first_operands = st.one_of(st.integers(0, 300), words)


def opcodes_taking(operand_count):
    return [name for name, reference in REFERENCE.items() if reference.__code__.co_argcount == operand_count]


def test_every_word_opcode_has_a_kernel_and_a_reference():
    assert set(WORD_KERNELS) == set(REFERENCE)


def run(kernel, *operands):
    return to_int(kernel(*(from_int(operand) for operand in operands)))


@pytest.mark.parametrize("name", opcodes_taking(2))
@EXAMPLES
@given(data=st.data())
def test_binary_opcode_matches_reference(name, data):
    a = data.draw(small_first_operands if name in SMALL_FIRST else words, label="a")
    b = data.draw(words, label="b")
    assert run(WORD_KERNELS[name], a, b) == REFERENCE[name](a, b) % MODULUS


@pytest.mark.parametrize("name", opcodes_taking(3))
@EXAMPLES
@given(a=words, b=words, n=words)
def test_modular_opcode_matches_reference(name, a, b, n):
    assert run(WORD_KERNELS[name], a, b, n) == REFERENCE[name](a, b, n)


@pytest.mark.parametrize("name", opcodes_taking(1))
@EXAMPLES
@given(a=words)
def test_unary_opcode_matches_reference(name, a):
    assert run(WORD_KERNELS[name], a) == REFERENCE[name](a)


@pytest.mark.parametrize(
    ("name", "a", "b", "expected"),
    [
        ("DIV", 5, 0, 0),
        ("SDIV", SIGN_BIT, MODULUS - 1, SIGN_BIT),  # -2^255 / -1 overflows back to -2^255
        ("SMOD", MODULUS - 7, 3, MODULUS - 1),  # -7 smod 3 == -1: the sign of the dividend
        ("SMOD", 7, MODULUS - 3, 1),  # 7 smod -3 == 1
        ("SIGNEXTEND", 0, 0xFF, MODULUS - 1),
        ("SIGNEXTEND", 31, 0xFF, 0xFF),
        ("SIGNEXTEND", 2**64, 0xFF, 0xFF),
        ("BYTE", 31, 0x1234, 0x34),
        ("BYTE", 32, MODULUS - 1, 0),
        ("SAR", 2**64, MODULUS - 1, MODULUS - 1),
        ("SHR", 256, MODULUS - 1, 0),
        ("EXP", 0, 0, 1),
        ("EXP", 2, 256, 0),
    ],
)
def test_yellow_paper_corner_cases(name, a, b, expected):
    assert run(WORD_KERNELS[name], a, b) == expected


@EXAMPLES
@given(exponent=words)
def test_exp_byte_length_counts_exponent_bytes(exponent):
    assert uint256.exp_byte_length(from_int(exponent)) == (exponent.bit_length() + 7) // 8


@EXAMPLES
@given(value=words)
def test_u64_checks(value):
    word = from_int(value)
    assert uint256.fits_u64(word) == (value < 2**64)
    assert uint256.saturated_u64(word) == min(value, 2**64 - 1)


@FEWER_EXAMPLES
@given(value=st.integers(-MODULUS, 2 * MODULUS))
def test_int_conversion_wraps_modulo_2_256(value):
    word = from_int(value)
    assert all(isinstance(limb, np.uint64) for limb in word)
    assert to_int(word) == value % MODULUS


@EXAMPLES
@given(value=words, offset=st.integers(0, 64))
def test_memory_words_are_big_endian(value, offset):
    memory = np.zeros(128, dtype=np.uint8)
    uint256.store_word(memory, offset, from_int(value))
    assert bytes(memory[offset : offset + 32]) == value.to_bytes(32, "big")
    assert not memory[:offset].any() and not memory[offset + 32 :].any()
    assert to_int(uint256.load_word(memory, offset)) == value


@FEWER_EXAMPLES
@given(value=words, row=st.integers(0, 1023))
def test_stack_rows_hold_words(value, row):
    stack = np.zeros((1024, 4), dtype=np.uint64)
    uint256.write_stack(stack, row, from_int(value))
    assert to_int(stack[row]) == value
    assert to_int(uint256.read_stack(stack, row)) == value


# --- Algorithm D's rare add-back step, which random operands almost never reach ---------------

LIMB = 2**64


def estimate_overshoots(u, v):
    """Whether algorithm D's first quotient limb estimate (top three limbs of the normalized
    dividend over the top two of the divisor) exceeds the true quotient, forcing an add-back."""
    shift = -v.bit_length() % 64
    normalized_u, normalized_v = u << shift, v << shift
    lower_limbs = (normalized_v.bit_length() + 63) // 64 - 2
    estimate = (normalized_u >> 64 * lower_limbs) // (normalized_v >> 64 * lower_limbs)
    return min(estimate, LIMB - 1) > u // v


@st.composite
def divisions_needing_add_back(draw):
    """u = (q + 1) * v - 1 - k: the remainder is nearly v, and v's low limbs are nearly all ones,
    so the estimate from the top limbs is q + 1 and the multiply-and-subtract goes negative."""
    low_limbs = draw(st.sampled_from([1, 2]))
    top = draw(st.integers(1, 2 ** (190 - 64 * low_limbs)))
    v = ((top + 1) << (64 * low_limbs)) - 1 - draw(st.integers(0, 2**32))
    q = draw(st.integers(1, MODULUS // v - 2))
    u = (q + 1) * v - 1 - draw(st.integers(0, 2**16))
    return u, v


@pytest.mark.parametrize(
    ("u", "v"),
    [
        ((2**63 + 1) * (2**191 + LIMB - 1) - 1, 2**191 + LIMB - 1),
        (2**63 * (2**192 + 2**128 - 1) - 1, 2**192 + 2**128 - 1),
        ((2**55 + 1) * (2**200 + 2**129 - 1) - 1, 2**200 + 2**129 - 1),
    ],
)
def test_division_with_add_back(u, v):
    assert u < MODULUS and estimate_overshoots(u, v)
    assert (run(uint256_div.div, u, v), run(uint256_div.mod, u, v)) == divmod(u, v)


@EXAMPLES
@given(pair=divisions_needing_add_back())
def test_divisions_near_the_add_back_boundary(pair):
    u, v = pair
    assert (run(uint256_div.div, u, v), run(uint256_div.mod, u, v)) == divmod(u, v)
    assert run(uint256_div.mulmod, u, 1, v) == u % v


BN254_PRIME = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47
wide_moduli = st.one_of(  # a top limb that is not zero: MULMOD's written-out path (_mulmod_wide_modulus)
    st.sampled_from([2**192, 2**192 + 1, 2**193 - 1, 2**255, 2**256 - 1, 2**256 - 189, BN254_PRIME]),
    st.integers(2**192, MODULUS - 1),
    st.integers(0, 63).flatmap(lambda shift: st.integers(2**(255 - shift), 2**(256 - shift) - 1)),  # every normalizing shift
)


@EXAMPLES
@given(modulus=wide_moduli, data=st.data())
def test_mulmod_with_a_wide_modulus(modulus, data):
    """The written-out path against Python, with operands near the modulus and past it, and
    products whose quotient estimates need an add-back (remainder just under the modulus)."""
    operand = st.one_of(st.integers(0, MODULUS - 1), st.integers(0, 300).map(lambda k: (modulus - 1 - k) % MODULUS),
                        st.sampled_from([0, 1, MODULUS - 1, modulus, (modulus + 1) % MODULUS]))
    a, b = data.draw(operand), data.draw(operand)
    assert run(uint256_div.mulmod, a, b, modulus) == a * b % modulus
    assert run(uint256_div.mulmod, modulus - 1, modulus - 1, modulus) == 1 % modulus


@pytest.mark.parametrize("modulus", [2**192, 2**192 + 2**128 - 1, 2**200 + 2**129 - 1, 2**256 - 1, BN254_PRIME])
def test_mulmod_with_a_wide_modulus_and_add_backs(modulus):
    """u = (q + 1) * modulus - 1 - k for many q: remainders just under the modulus, where an estimate
    one too large is made and undone (test_division_with_add_back's construction, as a product)."""
    for q in range(1, 2000, 7):
        for k in (0, 1, 2**64 - 1):
            u = ((q + 1) * modulus - 1 - k) % MODULUS
            assert run(uint256_div.mulmod, u, 1, modulus) == u % modulus
            assert run(uint256_div.mulmod, u, u, modulus) == u * u % modulus


# --- The 128-by-64 division step, which the whole division family rests on ----------------------

@njit(cache=True)
def _divide_128_by_64(high, low, divisor):
    return divide_2by1(high, low, divisor, reciprocal_2by1(divisor))


normalized_divisors = st.one_of(
    st.integers(2**63, 2**64 - 1),
    st.sampled_from([2**63, 2**63 + 1, 2**64 - 1]),
    # Each boundary of the reciprocal's seed table (it is indexed by the top 9 bits).
    st.integers(256, 511).flatmap(lambda top9: st.sampled_from([top9 << 55, ((top9 + 1) << 55) - 1])),
)


@EXAMPLES
@given(divisor=normalized_divisors, data=st.data())
def test_128_by_64_division(divisor, data):
    high = data.draw(st.one_of(st.integers(0, divisor - 1), st.just(divisor - 1), st.just(0)))
    low = data.draw(st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 2**64 - 1])))
    quotient, remainder = _divide_128_by_64(np.uint64(high), np.uint64(low), np.uint64(divisor))
    assert (quotient, remainder) == divmod((high << 64) | low, divisor)


# --- The C-ABI entry points, called the way the LLVM JIT calls them -----------------------------

_LIMBS = ctypes.POINTER(ctypes.c_uint64)
_C_TYPES = {
    2: ctypes.CFUNCTYPE(None, _LIMBS, _LIMBS, _LIMBS),
    3: ctypes.CFUNCTYPE(None, _LIMBS, _LIMBS, _LIMBS, _LIMBS),
}
_CFUNC_REFERENCE = {
    "evm_div": "DIV",
    "evm_sdiv": "SDIV",
    "evm_mod": "MOD",
    "evm_smod": "SMOD",
    "evm_exp": "EXP",
    "evm_addmod": "ADDMOD",
    "evm_mulmod": "MULMOD",
}


def _limbs(value):
    return np.array(from_int(value), dtype=np.uint64)


def _pointer(array):
    return array.ctypes.data_as(_LIMBS)


def test_runtime_helpers_cover_every_entry_point():
    helpers = uint256_cfuncs.runtime_helpers()
    assert set(helpers) == set(_CFUNC_REFERENCE) == set(uint256_cfuncs.HELPER_OPERANDS)
    assert uint256_cfuncs.CFUNC_ADDRESSES == {name: helper.address for name, helper in helpers.items()}
    assert all(helper.c_signature.startswith("void (uint64_t *out") for helper in helpers.values())


@pytest.mark.parametrize("name", sorted(_CFUNC_REFERENCE))
@FEWER_EXAMPLES
@given(data=st.data())
def test_entry_point_through_ctypes(name, data):
    helper = uint256_cfuncs.runtime_helpers()[name]
    operand_count = uint256_cfuncs.HELPER_OPERANDS[name]
    function = _C_TYPES[operand_count](helper.address)
    operands = [data.draw(words) for _ in range(operand_count)]
    expected = REFERENCE[_CFUNC_REFERENCE[name]](*operands) % MODULUS

    out = np.zeros(4, dtype=np.uint64)
    arrays = [_limbs(value) for value in operands]
    function(_pointer(out), *(_pointer(array) for array in arrays))
    assert to_int(out) == expected

    # The result may overwrite the first operand in place, as on a stack.
    function(_pointer(arrays[0]), *(_pointer(array) for array in arrays))
    assert to_int(arrays[0]) == expected
