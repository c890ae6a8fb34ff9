"""CALLs with value as native child frames (docs/native-values.md), on every engine against the
reference: balances in the storage table, the value and new-account charges, the stipend, a
balance below the value, a callee without code, a transfer to oneself, a revert at depth undoing a
transfer, CALLCODE with value and value in a static context (both left to the host), on each fork
jitvm.EVM runs. Each case runs fresh and "rehearsed" (run once, reverted, run again: the second run
finds its accounts and balances in the tables, so its value calls run natively)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings

import jitvm
import jitvm.evm.baseline.engine as baseline_engine
from jitvm.bench.realworld import Session, expected_output, new_evm
from jitvm.evm.balance_table import link
from jitvm.evm.state import Account, State
from tests.api.bytecode import OP, assemble
from tests.evm import test_call_trees as trees
from tests.evm.test_call_trees import observed
from tests.evm.test_nested_calls import call, native_children, record, returning

ENGINES = ("baseline", "jit", "auto")
CALLER = "0x" + "ca" * 20
TOP, MIDDLE, LEAF = 0xC0DE01, 0xC0DE02, 0xC0DE03
EOA = 0xE0A001  # an account without code, with a balance
EMPTY = 0xE0E0E0  # an account without code, nonce or balance (it exists: EIP-161 calls it dead)
ABSENT = 0xDEAD00  # no account at all
FORKS = ("PARIS", "SHANGHAI", "CANCUN", "PRAGUE")


def outcome(engine: str, contracts: dict[int, tuple[int, bytes]], *, gas: int = 3_000_000, value: int = 0,
            spec_id: str = "CANCUN", rehearse: bool = False) -> list:
    """The transaction CALLER -> TOP; `contracts` maps addresses to (balance, code)."""
    evm = jitvm.EVM(engine=engine, spec_id=spec_id)
    evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**30))
    for address, (balance, code) in contracts.items():
        evm.insert_account_info(f"0x{address:040x}", jitvm.AccountInfo(balance=balance, code=code))
    return rehearsed(evm, lambda: evm.message_call(CALLER, f"0x{TOP:040x}", b"", value=value, gas=gas), rehearse)


def rehearsed(evm, transaction, rehearse: bool = True) -> list:
    """What `observed` sees of `transaction` with native child frames on; with `rehearse`, of its
    second run, after a first one that was reverted (its accounts and balances are then in the
    tables, and its value calls run natively)."""
    with native_children():
        if rehearse:
            checkpoint = evm.snapshot()
            observed(evm, transaction)
            evm.revert(checkpoint)
        return observed(evm, transaction)


def same_on_every_engine(contracts, **kwargs) -> list:
    expected = outcome("reference", contracts, **kwargs)
    for engine in ENGINES:
        assert outcome(engine, contracts, **kwargs) == expected, engine
    return expected


REHEARSE = pytest.mark.parametrize("rehearse", [False, True], ids=["fresh", "rehearsed"])


def balances(*addresses) -> list:
    """Store BALANCE of each address, and SELFBALANCE, in slots 100 and up."""
    parts = []
    for index, address in enumerate(addresses):
        parts += [address, "BALANCE", 100 + index, "SSTORE"]
    return [*parts, "SELFBALANCE", 99, "SSTORE"]


def unless_value(without: list, with_value: list) -> bytes:
    """Code running `without` when CALLVALUE is zero, else `with_value`."""
    body = assemble(*without)
    jump = assemble("CALLVALUE") + bytes([OP["PUSH2"]]) + (5 + len(body)).to_bytes(2, "big") + assemble("JUMPI")
    return jump + body + assemble("JUMPDEST", *with_value)


def gas_of(*instructions) -> list:
    """Run `instructions` (leaving one word), then store the gas they took in slot 90 and the word in 91."""
    return ["GAS", *instructions, "SWAP1", "GAS", "SWAP1", "SUB", 90, "SSTORE", 91, "SSTORE"]


@REHEARSE
@pytest.mark.parametrize("spec_id", FORKS)
@pytest.mark.parametrize("value", [1, 7, 10**18])
def test_a_value_call_to_an_account_without_code(value, spec_id, rehearse):
    """WETH's withdraw: a CALL with value (and the stipend) to an account without code, cold then
    warm, with the balances read afterwards; a value above TOP's balance fails with its gas back."""
    top = assemble(*gas_of(*call("CALL", EOA, gas=0, value=value)), "RETURNDATASIZE", 92, "SSTORE",
                   *call("CALL", EOA, gas=0, value=value), 93, "SSTORE", *balances(EOA, TOP), "STOP")
    same_on_every_engine({TOP: (10**18 + 5, top), EOA: (3, b"")}, value=10**9, spec_id=spec_id, rehearse=rehearse)


@REHEARSE
@pytest.mark.parametrize("spec_id", FORKS)
@pytest.mark.parametrize("callee", [EMPTY, ABSENT], ids=["empty", "absent"])
def test_a_value_call_to_a_new_account(callee, spec_id, rehearse):
    """The new-account charge (25,000) for a dead or absent callee (the host decides it), then the
    same callee again, now alive, which runs natively after the rehearsal."""
    top = assemble(*gas_of(*call("CALL", callee, gas=0, value=2)), *call("CALL", callee, gas=0, value=3), 93,
                   "SSTORE", *balances(callee), "STOP")
    same_on_every_engine({TOP: (100, top), EMPTY: (0, b"")}, spec_id=spec_id, rehearse=rehearse)


@REHEARSE
@pytest.mark.parametrize("available", [0, 4, 5, 6, 10**20])
def test_a_balance_around_the_value(available, rehearse):
    """TOP has `available` and sends 5 to a contract and to an account without code: below the value the
    call fails with no child (0 pushed, its gas and the stipend back, the return data emptied)."""
    leaf = assemble("CALLVALUE", 0, "MSTORE", *returning(32, 0x1EAF)[3:])
    top = assemble(*call("STATICCALL", LEAF), "POP",  # return data to be emptied
                   *gas_of(*call("CALL", LEAF, value=5)), "RETURNDATASIZE", 92, "SSTORE",
                   *call("CALL", EOA, value=5), 93, "SSTORE", "RETURNDATASIZE", 94, "SSTORE",
                   *balances(LEAF, EOA, TOP), "STOP")
    same_on_every_engine({TOP: (available, top), LEAF: (0, leaf), EOA: (1, b"")}, rehearse=rehearse)


@REHEARSE
def test_a_value_call_to_oneself(rehearse):
    """LEAF sends to itself (its own code runs again, then stops on the value it got)."""
    leaf = unless_value([*call("CALL", LEAF, value=3), 10, "SSTORE", *balances(LEAF), "STOP"],
                        ["SELFBALANCE", 11, "SSTORE", "STOP"])
    top = assemble(*call("CALL", LEAF), 0, "SSTORE", *balances(LEAF), "STOP")
    same_on_every_engine({TOP: (0, top), LEAF: (9, leaf)}, rehearse=rehearse)


@REHEARSE
@pytest.mark.parametrize("middle_end", ["RETURN", "REVERT", "INVALID"])
def test_a_revert_at_depth_undoes_the_transfers_below_it(middle_end, rehearse):
    """TOP sends 50 to MIDDLE, which sends 20 to LEAF (which sends 5 to EOA and succeeds) and then
    ends `middle_end`: a failure undoes all three transfers."""
    leaf = assemble(*call("CALL", EOA, value=5), 0, "SSTORE", *balances(EOA), *returning(32))
    ends = {"RETURN": returning(32), "REVERT": [0, 0, "REVERT"], "INVALID": ["INVALID"]}
    middle = assemble(*call("CALL", LEAF, value=20), 0, "SSTORE", *balances(LEAF, EOA), *ends[middle_end])
    top = assemble(*call("CALL", MIDDLE, value=50), 0, "SSTORE", *balances(MIDDLE, LEAF, EOA), "STOP")
    same_on_every_engine({TOP: (100, top), MIDDLE: (1, middle), LEAF: (1, leaf), EOA: (1, b"")}, rehearse=rehearse)


@REHEARSE
@pytest.mark.parametrize("child_gas", [0, 100, 2_300, 9_000, 30_000])
@pytest.mark.parametrize("leaf_work", ["STOP", "SSTORE", "LOOP"])
def test_the_stipend(child_gas, leaf_work, rehearse):
    """A child given `child_gas` plus the stipend: it returns what it did not use (STOP), cannot
    SSTORE within the stipend, or runs out of gas in a loop."""
    work = {"STOP": ["STOP"], "SSTORE": [1, 1, "SSTORE", "STOP"], "LOOP": ["JUMPDEST", 0, "JUMP"]}
    leaf = assemble(*work[leaf_work])
    top = assemble(*gas_of(*call("CALL", LEAF, gas=child_gas, value=1)), *balances(LEAF), "STOP")
    same_on_every_engine({TOP: (10, top), LEAF: (0, leaf)}, rehearse=rehearse)


@REHEARSE
@pytest.mark.parametrize("gas", [21_000 + extra for extra in (2_700, 9_100, 11_700, 11_800, 12_000, 14_000)])
def test_out_of_gas_around_the_value_charge(gas, rehearse):
    """The cold access and the value charge at every gas around them."""
    top = assemble(*call("CALL", EOA, gas=0, value=1), 0, "SSTORE", "STOP")
    same_on_every_engine({TOP: (10, top), EOA: (1, b"")}, gas=gas, rehearse=rehearse)


@REHEARSE
def test_callcode_with_value_and_value_in_a_static_context(rehearse):
    """CALLCODE with value (to itself: the balance check only) and a CALL with value inside a
    STATICCALL (the frame halts) go to the host; the engines agree with the reference."""
    leaf = assemble(*call("CALL", EOA, value=1), 0, "SSTORE", *returning(32))
    middle = assemble(*call("CALLCODE", LEAF, value=4), 0, "SSTORE", *balances(MIDDLE), *returning(32))
    top = assemble(*call("STATICCALL", LEAF), 0, "SSTORE", *call("CALL", MIDDLE, value=1), 1, "SSTORE",
                   *call("CALL", LEAF, value=2), 2, "SSTORE", *balances(LEAF, MIDDLE, EOA), "STOP")
    same_on_every_engine({TOP: (10, top), MIDDLE: (3, middle), LEAF: (1, leaf), EOA: (1, b"")}, rehearse=rehearse)


@REHEARSE
@pytest.mark.parametrize("kind", ["CALL", "STATICCALL", "DELEGATECALL"])
def test_value_free_calls_to_an_account_without_code(kind, rehearse):
    """Once a value call put an account without code in the callee table, calls of every kind with no
    value to it end at once (success, all their gas back, empty return data)."""
    top = assemble(*call("CALL", EOA, value=1), "POP", *call("STATICCALL", TOP + 0x100), "POP",
                   *gas_of(*call(kind, EOA)), "RETURNDATASIZE", 92, "SSTORE", "STOP")
    same_on_every_engine({TOP: (10, top), TOP + 0x100: (0, assemble(*returning(32))), EOA: (1, b"")},
                         rehearse=rehearse)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(trees.nodes())
def test_rehearsed_call_trees_with_value(tree):
    """test_call_trees' random trees (values included), rehearsed: the second run's value calls
    run natively; every engine equals the reference."""

    def run(engine):
        evm = jitvm.EVM(engine=engine)
        evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**20))
        for node in trees.number(tree, [0]):
            evm.insert_account_info(f"0x{node.address:040x}", jitvm.AccountInfo(balance=5, code=trees.code_of(node)))
        return rehearsed(evm, lambda: evm.message_call(CALLER, f"0x{tree.address:040x}", b"", gas=3_000_000))

    expected = run("reference")
    for engine in ENGINES:
        assert run(engine) == expected, engine


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_weth_withdraw_runs_its_value_call_natively_from_its_second_run(engine, monkeypatch):
    """weth/withdraw's CALL with value and the stipend to the sender (an account without code) hands
    nothing to Python once the session has run each of its transactions."""
    served = []
    serve = baseline_engine.serve_call
    monkeypatch.setattr(baseline_engine, "serve_call", lambda frame: served.append(frame) or serve(frame))
    with native_children():
        session = Session("weth/withdraw", *new_evm(engine))
        served.clear()
        assert session.run() == expected_output("weth/withdraw")
        assert session.run() == expected_output("weth/withdraw")
    assert served == []


def test_balances_in_the_table_follow_every_change_and_revert():
    """A random sequence of balance changes through State, native-style changes of the table entries
    (journaled there), links, snapshots, reverts, replaced accounts and new transactions, against a
    dictionary model of the balances."""
    rng = random.Random(7)
    addresses = [bytes([index]) * 20 for index in range(1, 5)]
    state = State({address: Account(balance=100) for address in addresses})
    model = {address: 100 for address in addresses}
    snapshots = []
    for _ in range(3000):
        address = rng.choice(addresses)
        action = rng.randrange(8)
        if action == 0:
            link(state, address)
        elif action == 1:
            amount = rng.randrange(1, 50)
            state.set_balance(address, model[address] + amount)
            model[address] += amount
        elif action == 2:
            other = rng.choice(addresses)
            amount = rng.randrange(0, 30)
            if model[address] >= amount and model[address] > amount:
                state.transfer(address, other, amount)
                model[address] -= amount
                model[other] += amount
        elif action == 3:  # what native code does: a journaled write of a linked account's entry
            account = state.accounts[address]
            if account._balance_entry >= 0:
                amount = rng.randrange(1, 50)
                state.storage_table.write_balance(account._balance_entry, model[address] + amount)
                model[address] += amount
        elif action == 4:
            snapshots.append((state.snapshot(), dict(model)))
        elif action == 5 and snapshots:
            back = rng.randrange(len(snapshots))
            position, saved = snapshots[back]
            del snapshots[back:]
            state.revert(position)
            model = dict(saved)
        elif action == 6:  # replaced by hand, as insert_account_info does (journaled)
            previous = state.accounts[address]
            state._journal.append(("account", address, previous))
            state.accounts[address] = Account(balance=model[address])
            state.callees.forget(address)
        elif action == 7 and rng.random() < 0.1:
            state.begin_transaction()
            snapshots = []
            if rng.random() < 0.3:
                state.storage_table.forget()
                state.callees.clear()
        assert {address: state.balance(address) for address in addresses} == model
