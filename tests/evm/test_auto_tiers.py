"""The "auto" engine's tier 0 (jitvm.evm.engines.AutoEngine): which frames run on the reference
interpreter before the process loads the baseline kernel, and that every frame gives the reference's
outcome whichever tier runs it.

Whether the kernel is loaded in this process or compiled on this machine depends on what ran before,
so the tests set both answers themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from jitvm.evm import engines
from jitvm.evm.calls import call_code
from jitvm.evm.engines import FRESH_TIER0_FRAME_GAS, AutoEngine
from jitvm.evm.state import State

# JUMPDEST PUSH1 1 PUSH1 0 ADD POP PUSH1 0 JUMP: loops until its gas runs out.
LOOP = bytes.fromhex("5b600160000150600056")
JUMPDEST_STOP = bytes.fromhex("5b00")
# PUSH1 2 PUSH1 3 ADD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN: no JUMPDEST, each instruction runs once.
STRAIGHT = bytes.fromhex("600260030160005260206000f3")


@pytest.fixture
def kernel(monkeypatch):
    """Set whether the kernel is loaded in this process and whether it is in Numba's cache."""

    def choose(loaded: bool = False, compiled: bool = True) -> None:
        monkeypatch.setattr(engines, "_kernel_loaded", lambda: loaded)
        monkeypatch.setattr(engines, "_kernel_compiled", lambda: compiled)

    choose()
    return choose


def run(code: bytes, gas: int, engine) -> tuple:
    outcome = call_code(code, gas=gas, engine=engine)
    return outcome.status, outcome.output, outcome.gas_used, outcome.gas_left, outcome.logs


def reference(code: bytes, gas: int) -> tuple:
    return run(code, gas, engines.get_engine("reference"))


def test_a_short_run_stays_on_tier0(kernel):
    auto = AutoEngine(tier0_gas=1_000_000)
    assert run(LOOP, 100_000, auto) == reference(LOOP, 100_000)
    assert auto.tier0_used == 100_000 and auto.tier0_gas == 1_000_000
    assert auto._tiered is None  # the baseline-and-JIT engine was never needed


def test_code_without_jumpdest_stays_on_tier0_whatever_its_gas(kernel):
    auto = AutoEngine(tier0_gas=1_000)
    outcome = run(STRAIGHT, 30_000_000, auto)
    assert outcome == reference(STRAIGHT, 30_000_000) and outcome[1] == (5).to_bytes(32, "big")
    assert auto.tier0_used == outcome[2] and auto._tiered is None


def test_tier0_ends_at_the_first_frame_past_its_budget(kernel):
    auto = AutoEngine(tier0_gas=50_000)
    assert run(LOOP, 40_000, auto) == reference(LOOP, 40_000)  # tier 0: 40,000 of 50,000
    assert auto.tier0_used == 40_000 and auto._tiered is None
    assert run(LOOP, 40_000, auto) == reference(LOOP, 40_000)  # does not fit: tier 1
    assert auto.tier0_gas == 0 and auto._tiered is not None
    assert run(STRAIGHT, 100, auto) == reference(STRAIGHT, 100)  # and so is everything after
    assert auto.tier0_used == 40_000


def test_before_the_first_compile_frames_up_to_a_block_stay_on_tier0(kernel):
    kernel(compiled=False)  # a fresh install: loading the kernel would mean compiling it for seconds
    auto = AutoEngine(tier0_gas=50_000)
    assert run(LOOP, 200_000, auto) == reference(LOOP, 200_000)
    assert auto.tier0_used == 200_000 and auto._tiered is None
    big_gas = FRESH_TIER0_FRAME_GAS + 1  # more than a block: such a frame is worth the compile
    assert run(JUMPDEST_STOP, big_gas, auto) == reference(JUMPDEST_STOP, big_gas)
    assert auto.tier0_gas == 0 and auto._tiered is not None


# Adds one to its storage slot 0, then counts 10 down in a loop (JUMPDEST at 11).
COUNTER = bytes.fromhex("600054600101600055600a5b600190038060 0b5700".replace(" ", ""))
COUNTER_ADDRESS = bytes.fromhex("c0" * 20)
# CALLs COUNTER three times with 30,000 gas each, then stops; no JUMPDEST of its own.
CALL_COUNTER = bytes.fromhex(("60006000600060006000" + "73" + "c0" * 20 + "617530f150") * 3 + "00")


def test_tier0_can_end_inside_a_transaction_and_the_tiers_share_the_state(kernel):
    """The caller starts on tier 0 (it has no JUMPDEST), and so does its first call, which fits in the
    budget; after it (about 22,000 gas) the next 30,000-gas calls no longer fit and run on the
    baseline. Every write lands in the one state, as on the reference."""
    outcomes, slots = [], []
    for engine in (engines.get_engine("reference"), AutoEngine(tier0_gas=40_000)):
        state = State()
        state.set_code(COUNTER_ADDRESS, COUNTER)
        outcome = call_code(CALL_COUNTER, gas=200_000, engine=engine, state=state)
        outcomes.append((outcome.status, outcome.output, outcome.gas_used, outcome.logs))
        slots.append(outcome.state.get_storage(COUNTER_ADDRESS, 0))
    assert outcomes[0] == outcomes[1] and slots == [3, 3]
    assert engine.tier0_gas == 0 and engine._tiered is not None  # the second call ended tier 0
    assert engine.tier0_used > outcomes[1][2] > 0  # the caller and the first call ran on tier 0


def test_a_kernel_loaded_by_another_engine_ends_tier0(kernel):
    kernel(loaded=True)
    auto = AutoEngine(tier0_gas=1_000_000)
    assert run(LOOP, 10_000, auto) == reference(LOOP, 10_000)
    assert auto.tier0_gas == 0 and auto.tier0_used == 0


def test_tier0_sees_the_kernel_the_baseline_loaded():
    run(STRAIGHT, 100, engines.get_engine("baseline"))  # loads the kernel in this process
    assert engines._kernel_loaded()


def test_settle_ends_tier0(kernel):
    auto = AutoEngine(tier0_gas=1_000_000)
    auto.settle()
    assert run(LOOP, 10_000, auto) == reference(LOOP, 10_000)
    assert auto.tier0_used == 0 and auto._tiered is not None


def test_the_registered_auto_engine_has_tier0_on_by_default():
    """In a process without JITVM_TIER0_GAS (the tests set it to 0 for themselves)."""
    environment = {key: value for key, value in os.environ.items() if key != "JITVM_TIER0_GAS"}
    script = textwrap.dedent("""
        from jitvm.evm.engines import TIER0_GAS, get_engine
        assert TIER0_GAS > 0 and get_engine("auto").tier0_gas == TIER0_GAS, TIER0_GAS
    """)
    subprocess.run([sys.executable, "-c", script], env=environment, check=True)
