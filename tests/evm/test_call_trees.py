"""Random call trees through every engine, against the reference interpreter.

Each example is a tree of contracts: every node writes and reads storage (zero and nonzero values,
so every EIP-2200/3529 gas and refund case comes up), transient storage and logs, calls its children
with CALL (with value), CALLCODE, DELEGATECALL or STATICCALL and records what each call returned, and
ends with STOP, RETURN, REVERT or INVALID. A child that writes inside a STATICCALL fails; a child
given little gas may run out. The tree runs as one transaction through jitvm.EVM on each engine, and
everything observable must equal the reference's: how it ended, gas used, refund, logs, and every
account's balance, nonce and storage afterwards.

This is what holds the native engines' host work (storage writes and logs kept in native tables and
given to the state at host exits and frame ends) equal to the reference across frame boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jitvm
import jitvm.api
from tests.api.bytecode import assemble

ENGINES = ("baseline", "jit", "auto")
CALLER = "0x" + "ca" * 20
FIRST_CONTRACT = 0xC0DE00
MAX_DEPTH = 3

KEYS = st.integers(0, 3)
VALUES = st.sampled_from([0, 0, 1, 2, 2**255 + 7])


@dataclass
class Node:
    operations: list
    end: str
    address: int = 0


def operations(depth: int):
    simple = st.one_of(
        st.tuples(st.just("sstore"), KEYS, VALUES),
        st.tuples(st.just("copy_sload"), KEYS),
        st.tuples(st.just("tstore"), KEYS, VALUES),
        st.tuples(st.just("copy_tload"), KEYS),
        st.tuples(st.just("log"), st.integers(0, 4), VALUES),
    )
    if depth >= MAX_DEPTH:
        return simple
    call = st.tuples(st.just("call"), st.sampled_from(["CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"]),
                     st.integers(0, 3), st.sampled_from(["all", 60_000, 3_000]), nodes(depth + 1))
    return st.one_of(simple, call)


def nodes(depth: int = 0):
    return st.builds(Node, st.lists(st.deferred(lambda: operations(depth)), max_size=5 if depth else 7),
                     st.sampled_from(["STOP", "RETURN", "REVERT", "INVALID"]))


def number(tree: Node, counter: list[int]) -> list[Node]:
    """Give every node an address (depth first); returns every node."""
    tree.address = FIRST_CONTRACT + counter[0]
    counter[0] += 1
    found = [tree]
    for operation in tree.operations:
        if operation[0] == "call":
            found += number(operation[4], counter)
    return found


def code_of(node: Node) -> bytes:
    parts = []
    for index, operation in enumerate(node.operations):
        kind = operation[0]
        if kind == "sstore":
            parts += [operation[2], operation[1], "SSTORE"]
        elif kind == "copy_sload":
            parts += [operation[1], "SLOAD", 16 + operation[1], "SSTORE"]
        elif kind == "tstore":
            parts += [operation[2], operation[1], "TSTORE"]
        elif kind == "copy_tload":
            parts += [operation[1], "TLOAD", 32 + operation[1], "SSTORE"]
        elif kind == "log":
            topics = operation[1]
            parts += [operation[2], 0, "MSTORE", *range(topics, 0, -1), 32, 0, f"LOG{topics}"]
        else:
            _, instruction, value, gas, child = operation
            gas_part = ["GAS"] if gas == "all" else [gas]
            with_value = [value] if instruction in ("CALL", "CALLCODE") else []
            parts += [32, 64, 0, 0, *with_value, child.address, *gas_part, instruction,
                      48 + index, "SSTORE", "RETURNDATASIZE", 64 + index, "SSTORE", 64, "MLOAD", 80 + index, "SSTORE"]
    if node.end in ("RETURN", "REVERT"):
        parts += [index_word(node), 0, "MSTORE", 32, 0, node.end]
    else:
        parts.append(node.end)
    return assemble(*parts)


def index_word(node: Node) -> int:
    return node.address * 1000 + len(node.operations)


def outcome(engine: str, tree: Node, rehearse: bool = False) -> list:
    """The tree's transaction; `rehearse`: run once and reverted first, so that its callees are in
    the callee table and the second run makes native child frames where it can (docs/native-calls.md)."""
    evm = jitvm.EVM(engine=engine)
    evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**20))
    every = number(tree, [0])
    for node in every:
        evm.insert_account_info(f"0x{node.address:040x}", jitvm.AccountInfo(balance=5, code=code_of(node)))
    transaction = lambda: evm.message_call(CALLER, f"0x{tree.address:040x}", b"", gas=3_000_000)
    if rehearse:
        checkpoint = evm.snapshot()
        observed(evm, transaction)
        evm.revert(checkpoint)
    return observed(evm, transaction)


def observed(evm, call) -> list:
    """Everything observable of `call()`, a transaction on `evm`: how it ended (with its output or
    reason), gas used, refund, logs, and every account afterwards."""
    try:
        ended = ("success", call())
    except jitvm.api.ExecutionReverted as reverted:
        ended = ("revert", reverted.output)
    except jitvm.api.ExecutionHalted as halted:
        ended = ("halt", halted.reason)
    result = evm.result
    accounts = {address: (account.balance, account.nonce, account.code, dict(account.storage))
                for address, account in evm._state.accounts.items()}
    return [ended, result.gas_used, result.gas_refunded,
            [(log.address, log.topics, log.data) for log in result.logs], accounts]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(nodes())
def test_call_trees_equal_the_reference_on_every_engine(tree):
    expected = outcome("reference", tree)
    for engine in ENGINES:
        assert outcome(engine, tree) == expected, engine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(nodes())
def test_rehearsed_call_trees_equal_the_reference_on_every_engine(tree):
    """The same, each tree's transaction run a second time: its value-0 CALL, DELEGATECALL and
    STATICCALL children then run as native child frames, with their logs in their parents' native
    log buffers (LOG_ACCOUNTS)."""
    expected = outcome("reference", tree)
    for engine in ENGINES:
        assert outcome(engine, tree, rehearse=True) == expected, engine


def test_a_fixed_tree_exercises_every_kind_of_call():
    """One tree with each call kind, a reverting and a static-violating child, logs at each depth."""
    leaf = Node([("sstore", 1, 2), ("log", 2, 9), ("tstore", 0, 5)], "RETURN")
    reverting = Node([("sstore", 0, 0), ("log", 0, 1)], "REVERT")
    inner = Node([("sstore", 2, 1), ("call", "CALL", 1, "all", leaf), ("call", "STATICCALL", 0, 60_000, reverting),
                  ("copy_tload", 0), ("log", 4, 3)], "STOP")
    tree = Node([("sstore", 0, 1), ("sstore", 0, 0), ("call", "DELEGATECALL", 0, "all", inner),
                 ("call", "CALLCODE", 2, 60_000, leaf), ("call", "CALL", 0, 3_000, reverting),
                 ("copy_sload", 1), ("log", 1, 7)], "RETURN")
    expected = outcome("reference", tree)
    assert expected[0][0] == "success" and len(expected[3]) >= 4
    for engine in ENGINES:
        assert outcome(engine, tree) == expected, engine
