"""Every input of every benchmark contract returns its expected output and gas on the reference
interpreter. Where the fixture records no gas, pyrevm (the `peers` extra) is the oracle."""

import pytest

from jitvm.evm.calls import call_code
from jitvm.bench.evm_contracts import BENCHMARKS_DIR, load_benchmarks

GAS = 10**9

WORKLOADS = load_benchmarks() if BENCHMARKS_DIR.is_dir() else []


def pyrevm_exec_gas(workload) -> int:
    """Gas charged inside the call by revm: its transaction gas minus the intrinsic part."""
    pyrevm = pytest.importorskip("pyrevm", reason="the `peers` extra (pyrevm) is the gas oracle here")
    from jitvm.evm.calls import CALLER_ADDRESS, CONTRACT_ADDRESS

    evm = pyrevm.EVM(gas_limit=GAS)
    caller, contract = "0x" + CALLER_ADDRESS.hex(), "0x" + CONTRACT_ADDRESS.hex()
    evm.insert_account_info(caller, pyrevm.AccountInfo(balance=10**30))
    evm.insert_account_info(contract, pyrevm.AccountInfo(code=workload.code, nonce=1))
    output = evm.message_call(caller, contract, workload.calldata, gas=GAS)
    assert bytes(output) == workload.expected_output, "pyrevm disagrees with the fixture's output"
    zero = workload.calldata.count(0)
    intrinsic = 21000 + 4 * zero + 16 * (len(workload.calldata) - zero)
    return evm.result.gas_used + evm.result.gas_refunded - intrinsic


def _params():
    if not WORKLOADS:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"fixtures not found: {BENCHMARKS_DIR}"))]
    # All of them: the longest, blake2b_shifts/65536nulls (235 M gas) and snailtracer (166 M gas),
    # take 15-35 s on the reference interpreter.
    return [pytest.param(w, id=w.name) for w in WORKLOADS]


@pytest.mark.parametrize("workload", _params())
def test_benchmark_input_on_reference(workload):
    outcome = call_code(workload.code, workload.calldata, gas=GAS)
    assert outcome.is_success
    assert outcome.output == workload.expected_output
    expected_gas = workload.expected_gas if workload.expected_gas is not None else pyrevm_exec_gas(workload)
    assert outcome.gas_used == expected_gas
