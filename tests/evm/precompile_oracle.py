"""ethereum-execution's precompiles as an oracle: the same call (input, gas, fork) run by the Python
execution specification, for differential tests against jitvm.evm.precompiles."""

import importlib
from types import SimpleNamespace

import pytest
from hypothesis import event
from hypothesis.control import currently_in_test_context

from jitvm.evm.precompiles import PrecompileError, run_precompile

ORACLE_FORKS = ("Byzantium", "Istanbul", "Berlin", "Cancun", "Prague", "Osaka")


def _reference(fork: str):
    package = f"ethereum.forks.{fork.lower()}.vm"
    contracts = importlib.import_module(f"{package}.precompiled_contracts.mapping").PRE_COMPILED_CONTRACTS
    return contracts, importlib.import_module(f"{package}.exceptions").ExceptionalHalt


# Imported up front: importing ethereum changes the recursion limit, which hypothesis dislikes mid-test.
# ethereum-execution comes with the `peers` extra; without it the differential tests say so and skip.
try:
    from ethereum_types.bytes import Bytes
    from ethereum_types.numeric import Uint

    REFERENCE = {fork: _reference(fork) for fork in ORACLE_FORKS}
except ImportError as missing:
    REFERENCE = None
    REFERENCE_MISSING = f"ethereum-execution (the `peers` extra) is the oracle here: {missing}"


def reference_run(address: int, data: bytes, gas: int, fork: str):
    """ethereum-execution's result for the call: (output, gas used), or None for an exceptional halt."""
    if REFERENCE is None:
        pytest.skip(REFERENCE_MISSING)
    contracts, halt = REFERENCE[fork]
    evm = SimpleNamespace(message=SimpleNamespace(data=Bytes(data)), gas_left=Uint(gas), output=Bytes())
    try:
        contracts[address.to_bytes(20, "big")](evm)
    except halt:
        return None
    except OverflowError:
        # Its modexp adds lengths in U256 and overflows on lengths near 2**256, which the EIP prices
        # out of gas (the only possible outcome: no gas covers such a length).
        return None
    return bytes(evm.output), gas - int(evm.gas_left)


def our_run(address: int, data: bytes, gas: int, fork: str):
    try:
        return run_precompile(address, data, gas, fork)
    except PrecompileError:
        return None


def assert_same_as_reference(address, data, gas, fork="Cancun"):
    ours = our_run(address, data, gas, fork)
    assert ours == reference_run(address, data, gas, fork)
    if currently_in_test_context():  # shown by --hypothesis-show-statistics: how many calls got through
        event("fails" if ours is None else "returns data" if ours[0] else "returns nothing")
