"""EXTCODESIZE answered by the kernel for the accounts the callee table holds (docs/native-calls.md,
"EXTCODESIZE natively"), on every engine against the reference, and the host exits it saves.

Each case runs its transaction once, reverts it and runs it again (tests.evm.test_nested_calls.outcome
with `rehearse`): the rehearsal's CALLs put their callees in the callee table, so the second run's
EXTCODESIZE of them is native, while the reference and the first run serve it in Python.
"""

from __future__ import annotations

import contextlib

import pytest

import jitvm.evm.baseline.engine as baseline_engine
import jitvm.evm.jit.engine as jit_engine
from jitvm.bench.realworld import Session, expected_output, new_evm
from jitvm.evm.baseline.layout import OPCODE
from jitvm.evm.opcodes import opcode_table
from tests.api.bytecode import assemble
from tests.evm.test_nested_calls import (
    ENGINES,
    LEAF,
    MIDDLE,
    TOP,
    call,
    native_children,
    outcome,
    returning,
)

EXTCODESIZE_OPCODE = opcode_table("Cancun").by_name["EXTCODESIZE"].byte
EMPTY = 0xE0E0E0  # an account without code (a balance of 7)
DELEGATED = 0xC0DE05  # an EIP-7702 delegation to LEAF: EXTCODESIZE sees its 23 bytes
PRECOMPILE = 0x04


def measured(address: int, slot: int) -> list:
    """EXTCODESIZE of `address` into `slot`, and the gas it took (GAS before less GAS after) into
    `slot + 1`."""
    return ["GAS", address, "EXTCODESIZE", slot, "SSTORE", "GAS", "SWAP1", "SUB", slot + 1, "SSTORE"]


def rehearsed_everywhere(contracts: dict[int, bytes]) -> None:
    expected = outcome("reference", contracts)
    for engine in ENGINES:
        assert outcome(engine, contracts, rehearse=True) == expected, engine


@contextlib.contextmanager
def noting_host_exits():
    """The opcodes of the instructions the native engines hand to Python (serve_host), in order."""
    served = []
    serve = baseline_engine.serve_host

    def noting(frame, handlers):
        served.append(int(frame.registers[OPCODE]))
        return serve(frame, handlers)

    saved = baseline_engine.serve_host, jit_engine.serve_host
    baseline_engine.serve_host = jit_engine.serve_host = noting
    try:
        yield served
    finally:
        baseline_engine.serve_host, jit_engine.serve_host = saved


LEAF_CODE = assemble(*returning(32))


def test_cold_then_warm():
    """Cold (2,600) then warm (100), before the CALL that puts LEAF in the table; then once more."""
    top = [*measured(LEAF, 0), *measured(LEAF, 2), *call("CALL", LEAF), "POP", *measured(LEAF, 4)]
    rehearsed_everywhere({TOP: assemble(*top), LEAF: LEAF_CODE})


def test_a_callee_warmed_in_a_reverted_child_is_cold_again():
    """MIDDLE (a native child in the second run) reads LEAF's size, warming it, and reverts: TOP's
    read of it afterwards pays the cold surcharge again."""
    middle = [*measured(LEAF, 0), 0, 0, "REVERT"]
    top = [*call("CALL", MIDDLE), 9, "SSTORE", *measured(LEAF, 0), *call("CALL", LEAF), "POP"]
    rehearsed_everywhere({TOP: assemble(*top), MIDDLE: assemble(*middle), LEAF: LEAF_CODE})


def test_a_callee_warmed_in_a_successful_child_stays_warm():
    middle = [*measured(LEAF, 0), "STOP"]
    top = [*call("CALL", MIDDLE), 9, "SSTORE", *measured(LEAF, 4), *call("CALL", LEAF), "POP"]
    rehearsed_everywhere({TOP: assemble(*top), MIDDLE: assemble(*middle), LEAF: LEAF_CODE})


def test_an_account_without_code():
    """A value CALL puts an account without code in the table with its balance: its size is 0."""
    top = [*measured(EMPTY, 0), *call("CALL", EMPTY, value=1), "POP", *measured(EMPTY, 2)]
    rehearsed_everywhere({TOP: assemble(*top), EMPTY: b""})


def test_a_delegation_and_a_precompile_go_to_the_host():
    delegation = bytes.fromhex("ef0100") + LEAF.to_bytes(20, "big")
    top = [*measured(DELEGATED, 0), *call("CALL", DELEGATED), "POP", *measured(DELEGATED, 2),
           *measured(PRECOMPILE, 4), *call("STATICCALL", PRECOMPILE), "POP", *measured(PRECOMPILE, 6)]
    rehearsed_everywhere({TOP: assemble(*top), DELEGATED: delegation, LEAF: LEAF_CODE})


@pytest.mark.parametrize("spare", [-1, 0, 1])
def test_out_of_gas_at_the_cold_charge(spare):
    """MIDDLE gets exactly the gas of PUSH3 and a cold EXTCODESIZE, plus `spare` (-1: it runs out at
    the cold surcharge, and LEAF is cold again for TOP)."""
    middle = [LEAF, "EXTCODESIZE", "STOP"]
    top = [*call("CALL", MIDDLE, gas=3 + 100 + 2_500 + spare), 9, "SSTORE", *measured(LEAF, 0),
           *call("CALL", LEAF), "POP"]
    rehearsed_everywhere({TOP: assemble(*top), MIDDLE: assemble(*middle), LEAF: LEAF_CODE})


def test_the_second_run_reads_the_size_natively():
    """With LEAF in the table, the rehearsed transaction hands no EXTCODESIZE to Python."""
    top = [*measured(LEAF, 0), *call("CALL", LEAF), "POP", *measured(LEAF, 2)]
    contracts = {TOP: assemble(*top), LEAF: LEAF_CODE}
    for engine in ("baseline", "jit"):
        with noting_host_exits() as served:
            outcome(engine, contracts, rehearse=True, rehearsed=lambda: served.clear())
        assert EXTCODESIZE_OPCODE not in served, engine


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_uniswap_swap_makes_no_host_exit_from_its_second_transaction(engine):
    """uniswap/swap's router checks the token's code size (Vyper, before a call without return
    data): once the session has run, nothing of its transaction goes to Python."""
    with native_children(), noting_host_exits() as served:
        session = Session("uniswap/swap", *new_evm(engine))  # runs every transaction of its cycle once
        served.clear()
        assert session.run() == expected_output("uniswap/swap")
    assert served == []
