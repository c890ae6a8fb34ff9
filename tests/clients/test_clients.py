"""titanoboa (Vyper) and web3.py + eth-tester on jitvm: the examples' ERC-20 and constant-product pool
give the same return values, gas, reverts and balances on jitvm's engines as on py-evm alone.

Needs the `clients` extra (pip install 'jitvm[clients]'); without it these tests are skipped, with
the missing package named."""

import importlib
import sys

import pytest

from tests.conftest import REPOSITORY

sys.path.insert(0, str(REPOSITORY / "examples"))

ENGINES = ("reference", "jit")


def _example(module_name: str, *needs: str):
    for package in needs:
        pytest.importorskip(package, reason=f"{package} is not installed (the `clients` extra)")
    return importlib.import_module(module_name)


@pytest.fixture(scope="module")
def boa_example():
    return _example("vyper_titanoboa", "vyper", "boa")


@pytest.fixture(scope="module")
def web3_example():
    return _example("web3_eth_tester", "vyper", "web3", "eth_tester")


def _comparable(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "swap_seconds"}


@pytest.fixture(scope="module")
def boa_on_pyevm(boa_example):
    return _comparable(boa_example.scenario("py-evm", swaps=6))


@pytest.fixture(scope="module")
def web3_on_pyevm(web3_example):
    return _comparable(web3_example.scenario("py-evm", swaps=3))


@pytest.mark.parametrize("engine", ENGINES)
def test_titanoboa_pool_on_jitvm_matches_pyevm(boa_example, boa_on_pyevm, engine):
    result = _comparable(boa_example.scenario(engine, swaps=6))
    assert result == boa_on_pyevm
    assert result["bob_out"] > 0 and len(set(result["outputs"])) > 1  # swaps happened, both ways


@pytest.mark.parametrize("engine", ENGINES)
def test_web3_pool_on_jitvm_matches_pyevm(web3_example, web3_on_pyevm, engine):
    result = _comparable(web3_example.scenario(engine, swaps=3))
    assert result == web3_on_pyevm
    assert result["reverts"] == (True, True, True) and result["swap_gas"] > 21000


def test_an_unknown_engine_is_refused_before_any_call():
    pytest.importorskip("eth", reason="py-evm is not installed (the `peers` extra)")
    from jitvm.integrations import cancun_vm

    with pytest.raises(Exception, match="nonsense"):
        cancun_vm("nonsense")
