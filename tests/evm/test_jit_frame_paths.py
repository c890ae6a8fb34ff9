"""The short paths a `jit` or `auto` frame takes in its steady state (docs/tiering.md, session 15):
a code on the baseline's path for good skips JitEngine._start (JitEngine._on_baseline, by code and
fork), a compiled frame makes a generator only when the kernel stops at a host instruction, and a
cold frame that the kernel runs to its end is counted without one. Every frame equals the
reference's, on jitvm.EVM's path (start_frame) and on call_code's (run_frame)."""

from __future__ import annotations

import jitvm
from jitvm.api import AccountInfo
from jitvm.evm.calls import call_code
from jitvm.evm.jit.engine import JitEngine
from tests.api.bytecode import assemble

SENDER = "0x" + "5e" * 20
TARGET = "0x" + "00" * 18 + "7b01"


def _evm(engine) -> jitvm.EVM:
    """A jitvm.EVM whose frames run on `engine` (None: the reference)."""
    evm = jitvm.EVM(engine="reference")
    evm.insert_account_info(SENDER, AccountInfo(balance=10**18))
    if engine is not None:
        evm._ctx.engine = engine  # (the EVM's context carries its engine, as in bench/realworld/count_tiering.py)
    return evm


def _outputs(engine, code: bytes, calls: int) -> list:
    evm = _evm(engine)
    evm.insert_account_info(TARGET, AccountInfo(code=code))
    return [evm.message_call(SENDER, TARGET) for _ in range(calls)]


def _same_as_reference(engine, code: bytes, calls: int = 6) -> None:
    assert _outputs(engine, code, calls) == _outputs(None, code, calls)


# Returns a word: no JUMPDEST, so the engines that compile only hot code run it on the baseline.
STRAIGHT = assemble(0x2A, 0, "MSTORE", 32, 0, "RETURN") + bytes(7)
# A loop of three rounds that returns a word: compiled on every engine once hot.
LOOP = assemble(3, "JUMPDEST", 1, "SWAP1", "SUB", "DUP1", 2, "JUMPI", 0, "MSTORE", 32, 0, "RETURN") + bytes(9)
# The identity precompile called (a host instruction for compiled code's kernel), then LOG1, then
# its output returned (a JUMPDEST first: a code without one stays on the baseline, when cold).
CALLS_IDENTITY = assemble("JUMPDEST", 0x42, 0, "MSTORE", 32, 0, 32, 0, 0, 4, "GAS", "CALL", "POP",
                          7, 32, 0, "LOG1", 32, 0, "RETURN") + bytes(5)
# CALLDATACOPY of no bytes and CALLDATALOAD past short calldata, which compiled code hands to the
# kernel, and the kernel runs without the host.
HANDS_OVER = assemble(0, 0, 0, "CALLDATACOPY", 0, "CALLDATALOAD", 0, "MSTORE", 32, 0, "RETURN") + bytes(6)


def _forbid(monkeypatch, engine, method: str) -> None:
    def refused(*_):
        raise AssertionError(f"{method} called")

    monkeypatch.setattr(engine, method, refused)


def test_a_code_on_the_baseline_path_skips_start(monkeypatch):
    """A code the engine leaves to the baseline is remembered with its fork after one frame; its
    frames from then on never call _start, on start_frame's path and on run_frame's."""
    engine = JitEngine(hot_calls=1)
    _same_as_reference(engine, STRAIGHT, calls=3)
    fork = engine._latest[STRAIGHT].fork
    assert engine.heat(STRAIGHT, fork).state == "baseline"
    assert engine._on_baseline[STRAIGHT].name == fork
    _forbid(monkeypatch, engine, "_start")
    _same_as_reference(engine, STRAIGHT)
    assert call_code(STRAIGHT, engine=engine, fork=fork).output == call_code(STRAIGHT, fork=fork).output


def test_run_frames_path_runs_a_code_on_the_baseline_path_without_execute(monkeypatch):
    """On run_frame's path (call_code), JitEngine._run_native checks the code itself: a code on
    the baseline's path for good goes to the baseline's generator without _execute or _start; a
    traced frame still runs the traced path, and a compiled code's frames still go through _start."""
    import io

    from jitvm.evm.trace import Eip3155Tracer

    engine = JitEngine(hot_calls=1)
    for _ in range(3):
        assert call_code(STRAIGHT, engine=engine).output == call_code(STRAIGHT).output
    assert STRAIGHT in engine._on_baseline
    _forbid(monkeypatch, engine, "_execute")
    _forbid(monkeypatch, engine, "_start")
    assert call_code(STRAIGHT, engine=engine, calldata=b"\1").output == call_code(STRAIGHT, calldata=b"\1").output
    traced, expected = io.StringIO(), io.StringIO()
    call_code(STRAIGHT, engine=engine, tracer=Eip3155Tracer(traced))
    call_code(STRAIGHT, tracer=Eip3155Tracer(expected))
    assert traced.getvalue() == expected.getvalue() and traced.getvalue().count("\n") >= 6
    monkeypatch.undo()
    compiling = JitEngine()
    started = []
    original = compiling._start
    compiling._start = lambda frame, buffers: started.append(1) or original(frame, buffers)
    assert call_code(LOOP, engine=compiling).output == call_code(LOOP).output
    assert started


def test_a_code_on_the_baseline_path_in_one_fork_is_decided_again_in_another():
    """The remembered fork is compared: a frame of the same code in another fork goes through
    _start, which makes the code's heat for that fork."""
    engine = JitEngine(hot_calls=1)
    for _ in range(3):
        assert call_code(STRAIGHT, engine=engine, fork="Cancun").output == call_code(STRAIGHT, fork="Cancun").output
    assert engine._on_baseline[STRAIGHT].name == "Cancun"
    started = []
    original = engine._start
    engine._start = lambda frame, buffers: started.append(frame.ctx.fork.name) or original(frame, buffers)
    assert call_code(STRAIGHT, engine=engine, fork="Shanghai").output == call_code(STRAIGHT, fork="Shanghai").output
    assert started == ["Shanghai"]
    assert ("Shanghai" in {fork for (code, fork) in engine._heat if code == STRAIGHT})


def test_a_compiled_code_is_not_on_the_baseline_path():
    engine = JitEngine()  # compiles every code
    _same_as_reference(engine, LOOP)
    assert engine._latest[LOOP].state == "compiled" and LOOP not in engine._on_baseline


def test_a_compiled_frame_makes_a_generator_only_at_a_host_instruction(monkeypatch):
    """A compiled frame whose hand-overs the kernel serves alone ends without
    _compiled_rest; one whose kernel stops at a host instruction (a CALL the Python host serves)
    goes on in it. Both equal the reference."""
    for code, needs_host in ((HANDS_OVER, False), (LOOP, False), (CALLS_IDENTITY, True)):
        engine = JitEngine()
        rests = []
        original = engine._compiled_rest
        engine._compiled_rest = lambda *arguments, rests=rests, original=original: rests.append(1) or original(*arguments)
        _same_as_reference(engine, code, calls=4)
        assert engine._latest[code].state == "compiled"
        assert bool(rests) == needs_host, code.hex()
    handing_over = JitEngine()
    _same_as_reference(handing_over, HANDS_OVER, calls=3)
    assert handing_over._latest[HANDS_OVER].handovers > 0  # (so it tests hand-overs without a generator)


def test_cold_frames_run_to_their_end_are_counted_without_the_pool(monkeypatch):
    """A cold code's frame that the kernel runs to its end is counted into its heat where it ends
    (start_frame's in-line give-back, since session 16; JitEngine._counted_frame before); one that stops at a host instruction is counted when it gives its
    buffers back. Both leave no buffers marked as counted, and both count every frame."""
    for code in (LOOP, CALLS_IDENTITY):
        # (cold_steps beyond any frame's gas: no frame could make the code hot, none runs with a budget)
        for engine in (JitEngine(cold_steps=10**30, load_steps=10**30), JitEngine(hot_calls=100, hot_gas=10**12)):
            _same_as_reference(engine, code, calls=5)
            heat = engine._latest[code]
            assert heat.state == "cold" and heat.calls == 5 and heat.gas > 0 and heat.steps > 0
            assert all(buffers.counted is None for buffers in engine._pool._free)


def test_settle_leaves_a_cold_code_without_a_jumpdest_to_the_baseline(monkeypatch):
    """A code whose first frame ran before the baseline kernel was loaded stays cold (the
    straight-code rule needs the kernel); settle() sends it to the baseline state, as a frame
    would once the kernel is loaded, instead of compiling it, and compiles a cold code that has a
    JUMPDEST. Both still equal the reference."""
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.evm.jit.engine import COLD_STEPS

    engine = JitEngine(cold_steps=COLD_STEPS)
    fork = "Cancun"
    straight, loop = engine.heat(STRAIGHT, fork), engine.heat(LOOP, fork)  # cold, as before the kernel
    compiled = []
    original = evm_compile.compiled_code
    monkeypatch.setattr("jitvm.evm.jit.engine.compiled_code",
                        lambda code, fork: compiled.append(code) or original(code, fork))
    engine.settle()
    assert straight.state == "baseline" and STRAIGHT not in compiled
    assert loop.state == "compiled" and compiled == [LOOP]
    for code in (STRAIGHT, LOOP):
        for _ in range(3):
            assert call_code(code, engine=engine, fork=fork).output == call_code(code, fork=fork).output
    assert engine._on_baseline[STRAIGHT].name == fork and LOOP not in engine._on_baseline
