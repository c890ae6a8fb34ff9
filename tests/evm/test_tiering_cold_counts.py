"""How jit and auto count a cold code's frames on run_frame's path (call_code, the frames the Python
driver runs; docs/tiering.md, session 16): a frame that cannot make its code hot runs the baseline's
generator as is, without JitEngine._start, and is counted when it gives its buffers back; the
counts add up over calls, each on a new State, until the code is hot, and it is compiled then.
Every output equals the reference's."""

from __future__ import annotations

import pytest

import jitvm
from jitvm.api import AccountInfo
from jitvm.evm import DEFAULT_FORK
from jitvm.evm.calls import call_code
from jitvm.evm.engines import get_engine
from jitvm.evm.jit import engine as jit_engine
from jitvm.evm.jit.engine import JitEngine
from tests.api.bytecode import assemble

# A loop of three rounds that returns a word (a JUMPDEST: compiled once hot).
LOOP = assemble(3, "JUMPDEST", 1, "SWAP1", "SUB", "DUP1", 2, "JUMPI", 0, "MSTORE", 32, 0, "RETURN") + bytes(9)
# The same with a host instruction (BALANCE of its own address) before the loop, so that its cold
# frames stop in the kernel and finish in the baseline's generator.
HOST_LOOP = assemble("ADDRESS", "BALANCE", "POP", 3, "JUMPDEST", 1, "SWAP1", "SUB", "DUP1", 5, "JUMPI",
                     0, "MSTORE", 32, 0, "RETURN") + bytes(9)
GAS = 10_000


@pytest.fixture(autouse=True)
def _kernel_loaded():
    """The baseline kernel loaded first: before it is, a cold code this small is compiled at its
    first frame instead (JitEngine._cached_before_kernel), which these tests are not about."""
    call_code(LOOP, engine=get_engine("baseline"))


def _calls(engine, code: bytes, times: int, gas: int = GAS) -> list:
    outcomes = []
    for _ in range(times):
        outcome = call_code(code, gas=gas, engine=engine)
        expected = call_code(code, gas=gas)
        assert (outcome.status, outcome.output, outcome.gas_used) == (expected.status, expected.output,
                                                                      expected.gas_used)
        outcomes.append(outcome)
    return outcomes


def _count_starts(monkeypatch, engine) -> list:
    starts = []
    original = engine._start
    monkeypatch.setattr(engine, "_start", lambda *arguments: starts.append(1) or original(*arguments))
    return starts


def test_cold_frames_on_run_frames_path_skip_start_and_are_counted(monkeypatch):
    """After a code's first frame (which makes its heat), its cold frames on run_frame's path never
    call _start, and each is counted: frames, gas and kernel instructions, as the frames that did."""
    for code in (LOOP, HOST_LOOP):
        for engine in (JitEngine(cold_steps=10**30, load_steps=10**30), JitEngine(hot_calls=100, hot_gas=10**12)):
            starts = _count_starts(monkeypatch, engine)
            outcomes = _calls(engine, code, 5)
            assert len(starts) == 1, code.hex()  # the first frame only
            heat = engine._latest[code]
            assert heat.state == "cold" and heat.calls == 5
            assert heat.gas == sum(outcome.gas_used for outcome in outcomes)
            assert heat.steps > 0 and heat.steps % 5 == 0  # every frame ran the same instructions
            assert all(buffers.counted is None for buffers in engine._pool._free)


def test_run_frames_in_line_cold_check_decides_as_stays_cold(monkeypatch):
    """_run_native decides a cold frame in line (_stays_cold's rule, without its call): on either
    side of each threshold (on jit, a frame's gas against what is left to cold_steps; on a tiered
    engine, its frames and gas against hot_calls and hot_gas), a frame calls _start exactly when
    _stays_cold says it is not a cold frame that cannot make its code hot."""
    fork = DEFAULT_FORK
    cases = ((JitEngine(cold_steps=400, load_steps=400), (100, 100, 390, 100, 100)),
             (JitEngine(hot_calls=3, hot_gas=10**12), (GAS,) * 5),
             (JitEngine(hot_calls=1000, hot_gas=2 * call_code(LOOP, gas=GAS).gas_used), (GAS,) * 4))
    for engine, gases in cases:
        _calls(engine, LOOP, 1, gas=100)  # the first frame makes the code's heat
        decisions = []
        for gas in gases:
            heat = engine._latest[LOOP]
            expected = not jit_engine._stays_cold(engine, heat, gas, fork)
            starts = _count_starts(monkeypatch, engine)
            _calls(engine, LOOP, 1, gas=gas)
            assert (len(starts) == 1) is expected, (engine.cold_steps, engine.hot_calls, gas, heat)
            decisions.append(expected)
        assert True in decisions and False in decisions  # both sides of the threshold were met


def test_a_tiered_engine_compiles_a_code_after_hot_calls_frames_on_separate_states():
    """hot_calls frames run cold (each call_code a new State: the counts belong to the engine, by
    code); the next one compiles the code and runs compiled."""
    for code in (LOOP, HOST_LOOP):
        engine = JitEngine(hot_calls=3, hot_gas=10**12)
        _calls(engine, code, 3)
        assert engine._latest[code].state == "cold" and engine._latest[code].calls == 3
        _calls(engine, code, 2)
        heat = engine._latest[code]
        assert heat.state == "compiled" and 1 <= heat.calls <= 2  # (counted from zero once compiled)


def test_a_tiered_engine_compiles_a_code_after_hot_gas():
    """Gas counts as well: frames of 4 calls' worth of gas make the code hot before hot_calls."""
    used = call_code(LOOP, gas=GAS).gas_used
    engine = JitEngine(hot_calls=1000, hot_gas=4 * used)
    _calls(engine, LOOP, 4)
    assert engine._latest[LOOP].state == "cold" and engine._latest[LOOP].gas == 4 * used
    _calls(engine, LOOP, 1)
    assert engine._latest[LOOP].state == "compiled"


def test_jit_compiles_a_code_once_its_counted_instructions_reach_cold_steps():
    """On an engine with cold_steps, short frames (gas below what is left to cold_steps) are
    counted plainly; once a frame could reach cold_steps it runs with a step budget, and the code
    is compiled when its instructions reach cold_steps, in the middle of that frame if need be."""
    steps_per_frame = 3 + 3 * 5 + 4  # PUSH, then three rounds of JUMPDEST PUSH SWAP1 SUB DUP1 PUSH JUMPI (less one), then the end
    engine = JitEngine(cold_steps=1000, load_steps=1000)
    starts = []
    original = engine._start
    engine._start = lambda *arguments: starts.append(1) or original(*arguments)
    _calls(engine, LOOP, 10, gas=100)  # gas 100 < 1000 - steps: counted plainly
    heat = engine._latest[LOOP]
    assert heat.state == "cold" and heat.calls == 10 and len(starts) == 1
    steps = heat.steps
    assert steps > 0 and steps % 10 == 0 and steps_per_frame > 0
    calls = 10
    while engine._latest[LOOP].state != "compiled":
        _calls(engine, LOOP, 1, gas=100)
        calls += 1
        assert calls <= 10 + 1000 // (steps // 10) + 2, "not compiled after cold_steps instructions"
    assert engine._latest[LOOP].state == "compiled"


SENDER = "0x" + "5e" * 20
TARGET = "0x" + "00" * 18 + "7b02"


def test_cold_transaction_frames_are_counted_in_start_frames_give_back_until_hot(monkeypatch):
    """On jitvm.EVM's path (start_frame) a tiered engine's cold frames take the baseline's in-line
    path (no JitEngine._counted_frame) and are counted where their buffers go back, over
    transactions, until hot_calls; the code is compiled then. Every result equals the reference's."""
    for code in (LOOP, HOST_LOOP):
        engine = JitEngine(hot_calls=4, hot_gas=10**12)
        evms = []
        for frame_engine in (engine, None):
            evm = jitvm.EVM(engine="reference")
            evm.insert_account_info(SENDER, AccountInfo(balance=10**18))
            evm.insert_account_info(TARGET, AccountInfo(code=code))
            if frame_engine is not None:
                evm._ctx.engine = frame_engine
            evms.append(evm)
        counted = []
        original = engine._counted_frame
        monkeypatch.setattr(engine, "_counted_frame", lambda *arguments: counted.append(1) or original(*arguments))
        for call in range(6):
            assert evms[0].message_call(SENDER, TARGET) == evms[1].message_call(SENDER, TARGET)
            heat = engine._latest[code]
            if call < 4:
                assert heat.state == "cold" and heat.calls == call + 1 and heat.steps > 0
        assert heat.state == "compiled"
        assert len(counted) <= 1  # (a code's first frame goes through _unusual_frame)
        assert all(buffers.counted is None for buffers in engine._pool._free)
