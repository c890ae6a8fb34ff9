"""EELS (ethereum-spec-evm's t8n) as a fuzz oracle agrees with the reference on generated cases, and
sees a difference in gas."""

from __future__ import annotations

import pytest

from jitvm.fuzz import evm_check
from jitvm.fuzz.evm_programs import generate_case

pytest.importorskip("ethereum_spec_tools.evm_tools", reason="the EELS oracle needs ethereum-execution (peers extra)")


def test_eels_agrees_with_the_reference():
    for seed in range(4):
        case = generate_case((77 << 32) + seed)
        assert evm_check.check_case(case, (), ("eels",)) == []


def test_eels_sees_a_different_outcome():
    case = generate_case(77 << 32)
    expected = evm_check.jitvm_outcome(case, "reference")
    wrong = {**expected, "gas_used": expected["gas_used"] + 1, "state_root": bytes(32)}  # a reference gone wrong
    (mismatch,) = evm_check.check_case(case, (), ("eels",), expected=wrong)
    assert mismatch.engine == "eels" and mismatch.fields == ("gas_used", "state_root")
