"""The realworld workloads (jitvm.bench.realworld): the committed bytecode is what the committed
Vyper sources compile to, every workload returns its expected output on every engine and on pyrevm,
and every engine does exactly what the reference interpreter does on each session (output, gas,
refund and logs of every transaction, and the resulting accounts)."""

from __future__ import annotations

import importlib.util

import pytest

import jitvm
from jitvm.bench import realworld as rw

ENGINES = ("reference", "baseline", "jit", "auto")
# The long workloads are shortened here (the mixed block to one pass of its mix, 40 airdrop transfers).
SHORT = {"erc20/transfer_many_5000": 40, "block/1000_mixed": 11}


def test_committed_bytecode_is_the_compiled_source():
    if importlib.util.find_spec("vyper") is None:
        pytest.skip("vyper is not installed (pip install vyper==0.4.3)")
    import vyper

    if vyper.__version__ != rw.VYPER_VERSION:
        pytest.skip(f"bytecode.json was compiled by vyper {rw.VYPER_VERSION}, not {vyper.__version__}")
    assert rw.compile_sources() == rw.initcodes()


def _session(name: str, engine: str) -> rw.Session:
    session = rw.Session.__new__(rw.Session)  # as Session(), with the long workloads shortened
    evm, account_info = rw.new_evm(engine)
    session.deployment = rw.Deployment(evm, account_info)
    calls = rw._calls(session.deployment, name)
    if name == "erc20/transfer_many_5000":
        caller, to, _, value = calls[0]
        calls = [(caller, to, rw.abi_call("transfer_many(uint160,uint256,uint256)", rw.FIRST_AIRDROP_RECEIVER,
                                          SHORT[name], 1), value)]
    elif name in SHORT:
        calls = calls[: SHORT[name]]
    session.calls, session.per_call, session.position = calls, 1, 0
    return session


def _trace(session: rw.Session, transactions: int) -> list:
    evm = session.deployment.evm
    seen = []
    for _ in range(transactions):
        output = session.run()
        result = evm.result
        seen.append((output, result.gas_used, result.gas_refunded,
                     [(log.address, log.topics, log.data) for log in result.logs]))
    accounts = {address: (info.balance, info.nonce, info.code) for address, info in evm.db_accounts.items()}
    storage = {address: dict(account.storage) for address, account in evm._state.accounts.items()}
    return [seen, accounts, storage]


@pytest.mark.parametrize("name", rw.WORKLOAD_NAMES)
def test_engines_equal_the_reference(name):
    transactions = 2 * len(_session(name, "reference").calls) if name not in SHORT else 12
    expected = _trace(_session(name, "reference"), transactions)
    for engine in ENGINES[1:]:
        assert _trace(_session(name, engine), transactions) == expected, engine


@pytest.mark.parametrize("name", [n for n in rw.WORKLOAD_NAMES if n not in SHORT])
def test_expected_output_on_every_runner(name):
    runners = ["jit", "baseline"] + (["pyrevm"] if importlib.util.find_spec("pyrevm") else [])
    for runner in runners:
        session = rw.Session(name, *rw.new_evm(runner))
        assert session.run() == rw.expected_output(name), runner
        assert session.run() == rw.expected_output(name), runner


def test_the_mixed_block_ends_with_the_expected_output():
    session = _session("block/1000_mixed", "jit")
    session.calls = rw._calls(session.deployment, "block/1000_mixed")
    session.per_call = rw.BLOCK_SIZE
    assert session.run() == rw.expected_output("block/1000_mixed")
