"""SDIV and SMOD on the JIT's OPTIMIZED tier, whose code divides operands that fit in 64 or 128 bits
in line (jitvm/evm/jit/signed_division.py) and calls the limb helper for the others: every pair of edge
values, with the divisor and the numerator from calldata and as known constants, against the
reference and against the EVM's definition."""

from __future__ import annotations

import pytest

from jitvm.evm.calls import call_code
from jitvm.evm.jit import block_analysis, codegen, compile
from jitvm.evm.jit import engine as engine_module
from jitvm.evm.jit.engine import JitEngine
from tests.evm.test_evm_jit_engine import assemble, same_as_reference

WORD = 2**256
# Around the 64- and 128-bit boundaries on both sides, zero, +-1 (the divisor -1 is SDIV's negation and the
# machine division's trap at INT64_MIN / -1), and full-width values.
EDGES = [0, 1, -1, 2, -2, 7, -7, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64, -(2**64), 3 << 100,
         -(3 << 100) + 5, 2**127 - 1, -(2**127), 2**127, -(2**127) - 1, 2**255 - 1, -(2**255)]
CONSTANT_DIVISORS = (0, 1, -1, 3, -(2**63), 2**64, -(2**127), 2**130)


def _signed(value: int) -> int:
    return value - WORD if value >= WORD // 2 else value


def sdiv(a: int, b: int) -> int:
    a, b = _signed(a), _signed(b)
    if b == 0:
        return 0
    quotient = abs(a) // abs(b)
    return (-quotient if (a < 0) != (b < 0) else quotient) % WORD


def smod(a: int, b: int) -> int:
    a, b = _signed(a), _signed(b)
    if b == 0:
        return 0
    remainder = abs(a) % abs(b)
    return (-remainder if a < 0 else remainder) % WORD


# Out: a SDIV b, a SMOD b, then for each constant d: a SDIV d, d SDIV b, a SMOD d, d SMOD b (a and b
# the calldata's two words).
def _program() -> bytes:
    parts = []
    slot = 0

    def stored(*operation):
        nonlocal slot
        parts.extend([*operation, "PUSH2", 32 * slot, "MSTORE"])
        slot += 1

    for name in ("SDIV", "SMOD"):
        stored("PUSH1", 32, "CALLDATALOAD", "PUSH1", 0, "CALLDATALOAD", name)
    for constant in CONSTANT_DIVISORS:
        for name in ("SDIV", "SMOD"):
            stored("PUSH32", constant % WORD, "PUSH1", 0, "CALLDATALOAD", name)
            stored("PUSH1", 32, "CALLDATALOAD", "PUSH32", constant % WORD, name)
    return assemble(*parts, "PUSH2", 32 * slot, "PUSH1", 0, "RETURN")


PROGRAM = _program()


def expected_output(a: int, b: int) -> bytes:
    values = [sdiv(a, b), smod(a, b)]
    for constant in CONSTANT_DIVISORS:
        constant %= WORD
        values += [sdiv(a, constant), sdiv(constant, b), smod(a, constant), smod(constant, b)]
    return b"".join(value.to_bytes(32, "big") for value in values)


def test_the_optimized_tier_divides_small_operands_in_line():
    compile.register_helpers()
    ir = codegen.generate(block_analysis.analyse(PROGRAM, "Osaka"))
    assert "sdiv i64" in ir and "srem i64" in ir and "sdiv i128" in ir and "srem i128" in ir
    assert "@evm_sdiv(" in ir and "@evm_smod(" in ir  # the wide operands' path
    quick = codegen.generate(block_analysis.analyse(PROGRAM, "Osaka"), compact=True)
    assert "sdiv i64" not in quick  # the QUICK tier calls the helper


@pytest.fixture(scope="module")
def optimized_jit():
    saved = engine_module.UPGRADE_CALLS
    engine_module.UPGRADE_CALLS = 1
    try:
        jit = JitEngine()
        for _ in range(3):
            call_code(PROGRAM, bytes(64), gas=1_000_000, engine=jit)
        compile.settle()
        assert compile.loaded(PROGRAM, "Osaka").tier == compile.OPTIMIZED
        yield jit
    finally:
        engine_module.UPGRADE_CALLS = saved


@pytest.mark.parametrize("a", EDGES)
def test_signed_division_matches_the_reference(optimized_jit, a):
    a %= WORD
    for b in EDGES:
        b %= WORD
        calldata = a.to_bytes(32, "big") + b.to_bytes(32, "big")
        outcome = same_as_reference(optimized_jit, PROGRAM, calldata, gas=1_000_000)
        assert outcome.output == expected_output(a, b)
