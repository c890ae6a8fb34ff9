"""The OPTIMIZED tier's MULMOD (jitvm.evm.jit.mulmod_ir): its function alone through ctypes against
Python's `(a * b) % n` (every modulus width, the rare 3-by-2 case, the reciprocal cache's hits and
misses), and in a compiled frame against the reference, many moduli through one cache."""

from __future__ import annotations

import ctypes
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitvm.evm.calls import call_code
from jitvm.evm.jit import compile, mulmod_ir, runtime_ir
from jitvm.jit import compile_module, load_objects
from tests.api.bytecode import assemble_sized
from tests.evm.test_evm_jit_engine import engine_on_optimized_tier

WORD = 2**256
LIMB = 2**64
BN254 = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47
_LIMBS = ctypes.c_uint64 * 4

_PROBE_IR = f"""
declare i256 @llvm.ctlz.i256(i256, i1)
declare void @{mulmod_ir.HELPER}(ptr, ptr, ptr, ptr)
{mulmod_ir.DECLARATIONS}
{mulmod_ir.DEFINITION}
define void @probe(ptr %out, ptr %a.p, ptr %b.p, ptr %n.p, ptr %cache) {{
  %a = load i256, ptr %a.p, align 8
  %b = load i256, ptr %b.p, align 8
  %n = load i256, ptr %n.p, align 8
  %r = call i256 @{mulmod_ir.NAME}(i256 %a, i256 %b, i256 %n, ptr %cache)
  store i256 %r, ptr %out, align 8
  ret void
}}
define i64 @reciprocal(i64 %d1, i64 %d0) {{
  %v = call i64 @mulmod_reciprocal_3by2(i64 %d1, i64 %d0)
  ret i64 %v
}}
{runtime_ir.METADATA}
"""


def _limbs(value: int):
    return _LIMBS(*[(value >> (64 * index)) % LIMB for index in range(4)])


class Probe:
    """The function compiled alone, with one reciprocal cache that persists across calls."""

    def __init__(self):
        compile.register_helpers()  # the limb helper that takes small moduli
        self.code = load_objects([compile_module(_PROBE_IR)], ["probe", "reciprocal"])
        self.function = self.code.function("probe", None, *[ctypes.c_void_p] * 5)
        self.reciprocal = self.code.function("reciprocal", ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64)
        self.cache = (ctypes.c_uint64 * mulmod_ir.CACHE_WORDS)()

    def __call__(self, a: int, b: int, n: int) -> int:
        out, words = _LIMBS(), [_limbs(value) for value in (a, b, n)]
        self.function(ctypes.addressof(out), *map(ctypes.addressof, words), ctypes.addressof(self.cache))
        return sum(limb << (64 * index) for index, limb in enumerate(out))


@pytest.fixture(scope="module")
def probe():
    return Probe()


def expected(a: int, b: int, n: int) -> int:
    return (a * b) % n if n else 0


def normalized(n: int) -> int:
    return n << (256 - n.bit_length())


def steps_taken(a: int, b: int, n: int) -> set[str]:
    """Which of mulmod_ir's branches the operands take, from a Python model of its steps: "skip"
    (the first step left out), "rare" (the remainder's top limbs equal the divisor's), "over" (the
    3-by-2 quotient's second correction), "back" (the quotient one too large: the divisor added back)."""
    taken = set()
    shift = 256 - n.bit_length()
    divisor, x = n << shift, (a * b) << shift
    top, next_limb = divisor >> 192, (divisor >> 128) % LIMB
    reciprocal = (2**192 - 1) // (top * LIMB + next_limb) - LIMB
    limbs = [(x >> (64 * index)) % LIMB for index in range(9)]
    remainder = x >> (64 * 5)
    if x >> (64 * 4) < divisor:
        taken.add("skip")
        remainder, limbs = x >> (64 * 4), limbs[:4]
    else:
        limbs = limbs[:5]
    for limb in reversed(limbs):
        window = remainder * LIMB + limb
        u2, u1, u0 = remainder >> 192, (remainder >> 128) % LIMB, (remainder >> 64) % LIMB
        if (u2, u1) == (top, next_limb):
            taken.add("rare")
            remainder = window % divisor
            continue
        q = reciprocal * u2 + (u2 * LIMB + u1)
        q1, q0 = (q >> 64) % LIMB, q % LIMB
        r1 = (u1 - q1 * top) % LIMB
        r = ((r1 * LIMB + u0) - next_limb * q1 - (top * LIMB + next_limb)) % 2**128
        q1 = (q1 + 1) % LIMB
        if r >> 64 >= q0:
            q1, r = (q1 - 1) % LIMB, (r + top * LIMB + next_limb) % 2**128
        if r >= top * LIMB + next_limb:
            taken.add("over")
            q1, r = q1 + 1, r - (top * LIMB + next_limb)
        if window - q1 * divisor < 0:
            taken.add("back")
        remainder = window - q1 * divisor + (divisor if window < q1 * divisor else 0)
        assert remainder == window % divisor  # the model is the algorithm
    return taken


def add_back_cases():
    """u = (q + 1) * n - 1 - k (times a power of 2**64): remainders just under the modulus, whose
    low limbs are nearly all ones, where a quotient estimate is one too large and is undone."""
    for n in (2**192 + 2**128 - 1, 2**200 + 2**129 - 1, 2**256 - 1, 2**255 + 2**128 - 2**20, BN254):
        for q in range(1, 600, 7):
            for k in (0, 1, 2**64 - 1):
                u = ((q + 1) * n - 1 - k) % WORD
                yield u, 1, n
                yield u, LIMB, n
                yield u, u, n


def second_correction_cases(count: int = 40):
    """a * 2**64 mod n, with n's top two limbs (d1:d0) and a's top three (u2:u1:u0) drawn near limb
    boundaries until the last step's 3-by-2 division needs its second correction ("over", a few
    percent of such draws; next to never for random words)."""
    rng = random.Random(3)

    def near_boundary():
        return rng.choice([0, 1, LIMB - 1, LIMB - 2, 2**63, 2**63 + 1, rng.randrange(LIMB), LIMB - 1 - rng.randrange(2**20)])

    found = []
    while len(found) < count:
        d1 = rng.choice([2**63, LIMB - 1, 2**63 + rng.randrange(2**62), 2**63 + rng.randrange(2**20)])
        d0 = near_boundary()
        u2 = d1 - rng.randrange(min(d1, 4) + 1)
        u1, u0 = near_boundary(), near_boundary()
        if (u2, u1) >= (d1, d0):
            continue
        n = (d1 << 192) | (d0 << 128) | rng.randrange(2**128)
        a = (u2 << 192) | (u1 << 128) | (u0 << 64) | rng.randrange(LIMB)
        if "over" in steps_taken(a, LIMB, n):
            found.append((a, LIMB, n))
    return found


widths = st.integers(min_value=0, max_value=256)


@st.composite
def modulus_of_any_width(draw):
    bits = draw(st.one_of(widths, st.integers(min_value=190, max_value=256)))  # most on this function's own path
    return draw(st.integers(min_value=1 << (bits - 1), max_value=(1 << bits) - 1)) if bits else 0


@settings(max_examples=400, deadline=None)
@given(n=modulus_of_any_width(), data=st.data())
def test_every_width_of_modulus_matches_python(probe, n, data):
    operand = st.one_of(st.integers(0, WORD - 1), st.integers(0, max(n - 1, 0)),
                        st.sampled_from([0, 1, WORD - 1, max(n - 1, 0), n % WORD, (n + 1) % WORD]))
    a, b = data.draw(operand), data.draw(operand)
    assert probe(a, b, n) == expected(a, b, n)


@pytest.mark.parametrize("n", [0, 1, 2, 2**64 - 59, 2**128 + 1, 2**192 - 1, 2**192, 2**192 + 1, 2**193 - 1,
                               BN254, 2**255, 2**255 + 1, 2**256 - 2**64, 2**256 - 1])
def test_modulus_at_each_boundary(probe, n):
    for a, b in ((0, 0), (1, 1), (n - 1, n - 1), (WORD - 1, WORD - 1), (n, 7), (WORD - 1, 1), (2**255, 2)):
        a, b = a % WORD, b % WORD
        assert probe(a, b, n) == expected(a, b, n), (a, b, n)


def test_remainders_whose_top_limbs_equal_the_divisors(probe):
    """(n - small) * 2**(64k): the running remainder's top 128 bits equal the divisor's, which
    3-by-2 division cannot take: Knuth's q-hat of 2**64 - 1 and up to two add-backs."""
    cases = [(n - low, LIMB**k * factor + extra, n)
             for n in (2**256 - 1, 2**255 + 2**130 + 5, BN254, 2**193 - 1, 2**192 + 2**64 + 1)
             for low in (1, 2, 2**64 - 1, 2**100)
             for k in (1, 2, 3) for factor in (1, 3, 2**63, LIMB - 1) for extra in (0, 1, LIMB - 1)]
    rare = [case for case in cases if "rare" in steps_taken(*case)]
    assert len(rare) > 50  # the construction reaches the case it is for
    for a, b, n in cases:
        assert probe(a, b, n) == expected(a, b, n), (a, b, n)


def test_quotients_one_too_large_and_second_corrections(probe):
    cases = list(add_back_cases())
    seen = set().union(*(steps_taken(*case) for case in cases))
    assert {"back", "skip"} <= seen  # the construction reaches the branches it is for
    for a, b, n in cases:
        assert probe(a, b, n) == expected(a, b, n), (a, b, n)


def test_second_corrections_of_the_3by2_quotient(probe):
    for a, b, n in second_correction_cases():
        assert probe(a, b, n) == expected(a, b, n), (a, b, n)


def test_reciprocal_of_the_top_two_limbs(probe):
    for top, next_limb in ((2**63, 0), (2**63, LIMB - 1), (LIMB - 1, 0), (LIMB - 1, LIMB - 1),
                           (normalized(BN254) >> 192, (normalized(BN254) >> 128) % LIMB), (2**63 + 12345, 2**62)):
        assert probe.reciprocal(top, next_limb) == (2**192 - 1) // (top * LIMB + next_limb) - LIMB


def test_cache_hits_and_misses(probe):
    """One cache for a run of moduli: the same again (a hit), another (a miss that replaces it), one
    with the same top two normalized limbs but other low limbs (a hit whose reciprocal still fits),
    one with only the top limb the same (a miss)."""
    same_top = normalized(BN254) ^ 0xFFFF  # other low limbs, the same top 128 bits
    other_next = normalized(BN254) ^ (0xFFFF << 140)  # the same top limb, another next limb: a miss
    moduli = [BN254, BN254, 2**256 - 1, BN254, normalized(BN254), same_top, other_next, same_top, 2**192 + 3, 5,
              BN254, BN254 >> 1]
    for index, n in enumerate(moduli):
        a, b = (BN254 * (index + 3)) % WORD, (WORD - 1 - index * 2**200) % WORD
        assert probe(a, b, n) == expected(a, b, n), n
        if n >= mulmod_ir.WIDE_FROM:  # the cache holds this modulus's limbs and reciprocal
            divisor = normalized(n)
            top, next_limb = divisor >> 192, (divisor >> 128) % LIMB
            assert list(probe.cache) == [top, next_limb, (2**192 - 1) // (top * LIMB + next_limb) - LIMB]


# --- In a compiled frame --------------------------------------------------------------------------


def _mulmod_loop() -> bytes:
    """For each 96-byte triple (a, b, n) of the calldata, MULMOD at one site in a loop (one frame,
    one cache); returns the results, a word each."""
    head = assemble_sized("PUSH1", 0)
    loop = len(head)
    body = ["JUMPDEST", "DUP1", "CALLDATASIZE", "GT", "ISZERO", "PUSH2", None, "JUMPI",
            "DUP1", "PUSH1", 64, "ADD", "CALLDATALOAD", "DUP2", "PUSH1", 32, "ADD", "CALLDATALOAD",
            "DUP3", "CALLDATALOAD", "MULMOD", "DUP2", "PUSH1", 3, "SWAP1", "DIV", "MSTORE",
            "PUSH1", 96, "ADD", "PUSH2", loop, "JUMP"]
    end = loop + len(assemble_sized(*[0 if part is None else part for part in body]))
    body[body.index(None)] = end
    tail = ["JUMPDEST", "POP", "PUSH1", 3, "CALLDATASIZE", "DIV", "PUSH1", 0, "RETURN"]
    return head + assemble_sized(*body) + assemble_sized(*tail)


def test_many_moduli_in_one_frame_on_the_optimized_tier(monkeypatch):
    code = _mulmod_loop()
    jit = engine_on_optimized_tier(monkeypatch, code, bytes(96), gas=1_000_000)
    moduli = [BN254, BN254, 2**256 - 1, 0, BN254, 7, 2**192, 2**192 - 1, normalized(BN254) ^ 1, BN254, 2**255]
    triples = [((BN254 - 1 - index) % WORD, (WORD - 1 - 3 * index) % WORD, n) for index, n in enumerate(moduli)]
    triples += [(n - 1, LIMB**2, n) for n in (BN254, 2**256 - 1)]  # the rare step, in a frame
    calldata = b"".join(value.to_bytes(32, "big") for triple in triples for value in triple)
    reference = call_code(code, calldata, gas=1_000_000)
    compiled = call_code(code, calldata, gas=1_000_000, engine=jit)
    assert (compiled.status, compiled.output, compiled.gas_used) == (reference.status, reference.output,
                                                                     reference.gas_used)
    assert compiled.output == b"".join(expected(*triple).to_bytes(32, "big") for triple in triples)
