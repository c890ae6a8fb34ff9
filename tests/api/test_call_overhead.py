"""The cost of one `message_call`, jitvm.EVM beside pyrevm.EVM.

With `--benchmark-disable` (the default test run) these only check that the calls work; time them with

    pytest tests/api/test_call_overhead.py --benchmark-enable --benchmark-group-by=param:target

The issue's bar: a call to an account without code costs no more on jitvm than on pyrevm. A contract
whose code is STOP also starts a frame, which is the engine's cost (see docs/pyrevm-compat.md).
"""

from __future__ import annotations

import pytest

import jitvm

pyrevm = pytest.importorskip("pyrevm")

pytestmark = pytest.mark.peers

CALLER = "0x" + "a1" * 20
TARGET = "0x" + "c0" * 20
TARGETS = {"no code": b"", "STOP": b"\x00"}


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("implementation", ["pyrevm", "jitvm"])
def test_message_call(benchmark, implementation, target):
    module = {"pyrevm": pyrevm, "jitvm": jitvm}[implementation]
    evm = module.EVM()
    evm.set_balance(CALLER, 10**18)
    evm.insert_account_info(TARGET, module.AccountInfo(code=TARGETS[target]))
    output = benchmark(evm.message_call, CALLER, TARGET)
    assert output == b"" and evm.result.gas_used == 21_000
