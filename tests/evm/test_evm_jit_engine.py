"""The JIT engine against the reference interpreter: the benchmark contracts, and programs built to
end a compiled block at every point (out of gas at each instruction, stack errors mid-block, invalid
and dynamic jumps, memory growth), plus the object cache across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from jitvm.evm.calls import call_code
from jitvm.evm.jit import block_analysis as analysis, codegen, compile
from jitvm.evm.jit import engine as engine_module
from jitvm.evm.jit.engine import JitEngine
from jitvm.jit.cache import ObjectCache
from jitvm.evm.opcodes import opcode_table
from jitvm.bench.evm_contracts import BENCHMARKS_DIR, MAIN_BENCHMARKS, load_benchmarks
from tests.api.bytecode import assemble_sized as assemble

GAS = 10**9
OP = {name: opcode.byte for name, opcode in opcode_table("Cancun").by_name.items()}
WORKLOADS = [w for w in load_benchmarks() if w.contract in MAIN_BENCHMARKS] if BENCHMARKS_DIR.is_dir() else []


@pytest.fixture(scope="module")
def jit():
    return JitEngine()


def same_as_reference(jit, code: bytes, calldata: bytes = b"", gas: int = 100_000):
    expected = call_code(code, calldata, gas=gas)
    actual = call_code(code, calldata, gas=gas, engine=jit)
    assert (actual.status, actual.output, actual.gas_used) == (expected.status, expected.output, expected.gas_used), gas
    return expected


@pytest.mark.parametrize("workload", [pytest.param(w, id=w.name) for w in WORKLOADS])
def test_benchmark_inputs(jit, workload):
    outcome = call_code(workload.code, workload.calldata, gas=GAS, engine=jit)
    assert outcome.is_success
    assert outcome.output == workload.expected_output
    if workload.expected_gas is not None:
        assert outcome.gas_used == workload.expected_gas
    else:
        baseline = call_code(workload.code, workload.calldata, gas=GAS, engine=JitEngine(hot_calls=10**9))
        assert outcome.gas_used == baseline.gas_used


# A loop whose body is one long block of compiled instructions, with memory growth and a dynamic
# jump back to its head: every gas limit ends it at another instruction.
def _loop(end: int) -> bytes:
    return assemble(
        "PUSH1", 3, "PUSH1", 0, "MSTORE",  # counter in memory[0]
        "JUMPDEST",  # pc 5: the loop head
        "PUSH1", 0, "MLOAD", "PUSH1", 1, "SWAP1", "SUB", "DUP1", "PUSH1", 0, "MSTORE",
        "DUP1", "PUSH1", 7, "MUL", "PUSH1", 32, "MUL", "PUSH1", 64, "ADD", "MSTORE8",  # grows memory
        "PUSH1", 0, "MLOAD", "PUSH1", 2, "EXP", "PUSH1", 5, "DIV", "POP", "GAS", "POP",
        "PUSH1", 0, "MLOAD", "ISZERO", "PUSH1", end, "JUMPI",
        "PUSH1", 5, "DUP1", "POP", "JUMP",
        "JUMPDEST",  # the loop's exit
        "MSIZE", "PUSH1", 0, "MSTORE", "PUSH1", 32, "PUSH1", 0, "RETURN",
    )


LOOP_END = _loop(0).rindex(OP["JUMPDEST"])
LOOP = _loop(LOOP_END)

def distinct_loop() -> bytes:
    """LOOP with an unreachable tail no other call gives (a PUSH16 of a random UUID after a STOP): a
    code no test in this or any earlier process has compiled, whatever object cache it used."""
    return LOOP + bytes([OP["STOP"], OP["PUSH16"]]) + uuid.uuid4().bytes


def test_loop_program_layout():
    assert LOOP[5] == OP["JUMPDEST"] and LOOP[LOOP_END] == OP["JUMPDEST"]
    blocks = analysis.analyse(LOOP, "Cancun").blocks
    assert any(len(block.body) > 10 for block in blocks)


def test_out_of_gas_at_every_instruction(jit):
    full = same_as_reference(jit, LOOP).gas_used
    for gas in range(0, full + 2):
        same_as_reference(jit, LOOP, gas=gas)


@pytest.mark.parametrize("code", [
    assemble("PUSH1", 1, "PUSH1", 2, "ADD", "ADD", "STOP"),  # underflow mid-block
    assemble("PUSH1", 1, "POP", "POP", "PUSH1", 0, "STOP"),
    assemble("PUSH1", 9, "JUMP", "STOP"),  # static jump to a non-JUMPDEST
    assemble("PUSH1", 4, "PUSH1", 0, "MLOAD", "ADD", "JUMP", "JUMPDEST", "STOP"),  # dynamic, valid
    assemble("PUSH1", 5, "PUSH1", 0, "MLOAD", "ADD", "JUMP", "JUMPDEST", "STOP"),  # dynamic, invalid
    assemble("PUSH1", 3, "JUMP", "PUSH1", 0x5B, "STOP"),  # into PUSH data
    assemble("PUSH32", (1 << 256) - 1, "JUMP"),  # far beyond the code
    assemble("PUSH1", 1, "PUSH1", 8, "JUMPI", "INVALID", "INVALID", "JUMPDEST", "PUSH1", 1, "STOP"),
    assemble("PUSH1", 0, "PUSH1", 8, "JUMPI", "PUSH1", 7, "STOP", "JUMPDEST"),
    assemble("PUSH1", 1, "SLOAD", "PUSH1", 2, "SSTORE", "PUSH1", 2, "SLOAD", "PUSH1", 0, "MSTORE",
             "PUSH1", 32, "PUSH1", 0, "RETURN"),
    assemble("PUSH1", 40, "CALLDATALOAD", "PUSH1", 0, "CALLDATALOAD", "ADD", "PUSH1", 0, "MSTORE", "PUSH1", 32,
             "PUSH1", 0, "RETURN"),
    assemble("PUSH4", 0xFFFFFFFF, "MLOAD"),  # unpayable memory
    assemble("PUSH3", 0x100000, "MLOAD", "PUSH1", 1, "PUSH2", 0x1000, "MSTORE", "MSIZE", "PUSH1", 0, "MSTORE8",
             "PUSH1", 1, "PUSH1", 0, "RETURN"),  # memory past the first buffer
    assemble("PUSH1", 8, "PUSH1", 2, "PUSH1", 3, "CALLDATACOPY", "PUSH1", 10, "PUSH1", 1, "PUSH1", 0x40, "CODECOPY",
             "PUSH1", 4, "PUSH1", 0, "PUSH2", 0x2000, "CODECOPY", "PUSH1", 0, "PUSH1", 0, "PUSH1", 0x50, "CODECOPY",
             "PUSH1", 60, "PUSH1", 30, "PUSH1", 0x70, "CALLDATACOPY", "PUSH1", 40, "PUSH1", 200, "PUSH1", 0x70, "CODECOPY",
             "PUSH1", 40, "PUSH1", 45, "PUSH1", 0x60, "CODECOPY", "PUSH1", 0x80, "PUSH1", 0, "RETURN"),
    assemble("PUSH1", 5, "PUSH1", 1, "SSTORE", "PUSH1", 1, "SLOAD", "PUSH1", 1, "SLOAD", "ADD", "PUSH1", 2, "SLOAD",
             "PUSH1", 2, "SLOAD", "ADD", "ADD", "PUSH1", 0, "MSTORE", "PUSH1", 32, "PUSH1", 0, "RETURN"),
    assemble("PUSH1", 7, "PUSH1", 3, "MSTORE", "PUSH1", 40, "PUSH1", 1, "KECCAK256", "PUSH1", 0, "PUSH1", 0x30,
             "KECCAK256", "PUSH2", 0x300, "PUSH2", 0x1000, "KECCAK256", "PUSH1", 1, "PUSH1", 0, "KECCAK256",
             "ADD", "ADD", "ADD", "PUSH1", 0, "MSTORE", "PUSH1", 32, "PUSH1", 0, "RETURN"),
    assemble("PUSH1", 0x80, "PUSH1", 0xFF, "SIGNEXTEND", "PUSH1", 0xFF, "PUSH2", 0x100, "SHL", "PUSH1", 3,
             "PUSH1", 255, "SAR", "PUSH1", 31, "PUSH1", 0x1F, "BYTE", "ADD", "ADD", "ADD", "PUSH1", 0, "MSTORE",
             "PUSH1", 32, "PUSH1", 0, "RETURN"),
    # RETURN and REVERT: compiled, growing memory, empty (any offset), out of reach
    assemble("PUSH1", 7, "PUSH1", 100, "MSTORE", "PUSH1", 40, "PUSH1", 90, "RETURN"),
    assemble("PUSH1", 7, "PUSH1", 0, "MSTORE", "PUSH1", 3, "PUSH1", 29, "REVERT"),
    assemble("PUSH1", 0, "PUSH32", (1 << 256) - 1, "RETURN"),
    assemble("PUSH1", 0, "PUSH5", 1 << 33, "REVERT"),
    assemble("PUSH1", 1, "PUSH5", 1 << 33, "RETURN"),
    assemble("PUSH3", 0x10000, "PUSH1", 0, "RETURN"),
    assemble("PUSH1", 1, "PUSH1", 2, "PUSH1", 3) + bytes([0x61]),  # truncated PUSH2 at the end
    bytes([0x0C, 0x01]),  # undefined opcode
    assemble(*["PUSH1", 1] * 1030),  # overflow in a block cut into several
])
def test_block_boundaries(jit, code):
    calldata = bytes(range(40))
    full = same_as_reference(jit, code, calldata, gas=1_000_000).gas_used
    for gas in sorted({0, 1, full // 2, full - 1, full}):
        same_as_reference(jit, code, calldata, gas=max(gas, 0))


_SHIFTS = ("SHL", "SHR", "SAR", "BYTE", "SIGNEXTEND")
# Each shift-like instruction with the amount and the value from calldata (compiled out of line),
# then with a constant amount (compiled inline): the results go to memory and are returned.
_VARIABLE_SHIFTS = assemble(*[part for index, name in enumerate(_SHIFTS) for part in (
    "PUSH1", 32, "CALLDATALOAD", "PUSH1", 0, "CALLDATALOAD", name, "PUSH2", 64 * index, "MSTORE",
    "PUSH1", 32, "CALLDATALOAD", "PUSH1", 30, name, "PUSH2", 64 * index + 32, "MSTORE")],
    "PUSH2", 64 * len(_SHIFTS), "PUSH1", 0, "RETURN")


@pytest.mark.parametrize("amount", [0, 1, 7, 8, 30, 31, 32, 33, 64, 127, 128, 200, 248, 255, 256, 257, 2**64,
                                    2**255, 2**256 - 1])
def test_shifts_by_variable_amounts(jit, amount):
    for value in (0, 1, 0x80, 0xFF7F, 2**255, 2**256 - 1, 0x0123456789ABCDEF << 128):
        same_as_reference(jit, _VARIABLE_SHIFTS, amount.to_bytes(32, "big") + value.to_bytes(32, "big"))


# DIV and MOD by known divisors (powers of two become shifts and masks) and 2**x, x from calldata.
_DIVISORS = (0, 1, 2, 3, 1 << 64, 1 << 255, (1 << 256) - 1)
_KNOWN_DIVISORS = assemble(*[part for index, (name, divisor) in enumerate(
    (name, divisor) for name in ("DIV", "MOD") for divisor in _DIVISORS) for part in (
    "PUSH32", divisor, "PUSH1", 32, "CALLDATALOAD", name, "PUSH2", 32 * index, "MSTORE")],
    "PUSH1", 0, "CALLDATALOAD", "PUSH1", 2, "EXP", "PUSH2", 32 * 2 * len(_DIVISORS), "MSTORE",
    "PUSH2", 32 * (2 * len(_DIVISORS) + 1), "PUSH1", 0, "RETURN")


@pytest.mark.parametrize("exponent", [0, 1, 255, 256, 2**64, 2**256 - 1])
def test_division_by_known_divisors(jit, exponent):
    for value in (0, 5, 2**64 + 3, 2**255 + 7, 2**256 - 1):
        same_as_reference(jit, _KNOWN_DIVISORS, exponent.to_bytes(32, "big") + value.to_bytes(32, "big"))


# ADDMOD (in line when both operands are below the modulus: codegen.addmod) and MULMOD of calldata's
# a, b and n, at memory 0 and 32.
_MODULAR = assemble(*[part for index, name in enumerate(("ADDMOD", "MULMOD")) for part in (
    "PUSH1", 64, "CALLDATALOAD", "PUSH1", 32, "CALLDATALOAD", "PUSH1", 0, "CALLDATALOAD", name,
    "PUSH1", 32 * index, "MSTORE")], "PUSH1", 64, "PUSH1", 0, "RETURN")
_BN254 = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47


def engine_on_optimized_tier(monkeypatch, code: bytes, calldata: bytes, gas: int) -> JitEngine:
    """A JitEngine whose next frames of `code` run its OPTIMIZED tier (upgraded after the first
    frame, three frames run with `calldata`, the upgrade waited for)."""
    monkeypatch.setattr(engine_module, "UPGRADE_CALLS", 1)
    jit = JitEngine()
    for _ in range(3):
        call_code(code, calldata, gas=gas, engine=jit)
    compile.settle()
    assert compile.loaded(code, "Osaka").tier == compile.OPTIMIZED
    return jit


@pytest.mark.parametrize("modulus", [0, 1, 2, 7, 2**64 - 59, 2**192, _BN254, 2**255 + 1, 2**256 - 1])
def test_modular_arithmetic_in_and_out_of_line(monkeypatch, modulus):
    """Below the modulus (the sum reaching it, passing 2**256, or not) and at or above it, on the
    OPTIMIZED tier (the QUICK tier calls the helper for every ADDMOD)."""
    jit = engine_on_optimized_tier(monkeypatch, _MODULAR, bytes(96), gas=100_000)
    for a, b in ((0, 0), (1, modulus - 1), (modulus - 1, modulus - 1), (modulus // 2, modulus // 2 + 1),
                 (modulus, 0), (modulus + 1, 5), (2**256 - 1, 2**256 - 1), (3, 2**256 - 1)):
        a, b = a % 2**256, b % 2**256
        expected = same_as_reference(jit, _MODULAR, b"".join(v.to_bytes(32, "big") for v in (a, b, modulus)))
        assert expected.output == ((a + b) % modulus if modulus else 0).to_bytes(32, "big") + (
            (a * b) % modulus if modulus else 0).to_bytes(32, "big")


@pytest.mark.parametrize("code", [
    assemble("ADDRESS", "PUSH1", 1, "MLOAD", "ADDRESS"),  # then off the end of the code
    assemble("PUSH1", 7, "PUSH1", 2, "EXP", "PUSH1", 1, "PUSH1", 2, "STOP"),
    assemble("PUSH1", 32, "PUSH1", 64, "RETURN"),
    assemble("PUSH1", 8, "PUSH1", 0, "PUSH1", 0, "CALLDATACOPY", "PUSH1", 1, "PUSH1", 0, "REVERT"),
])
def test_dynamic_cost_payable_but_not_the_rest_of_the_block(jit, code):
    """A dynamic cost the gas left covers, but not with the block's remaining static gas (charged
    when the block began): the frame must run out of gas, not end with negative gas."""
    full = same_as_reference(jit, code, bytes(8), gas=100_000).gas_used
    for gas in range(full + 2):
        same_as_reference(jit, code, bytes(8), gas=gas)


def test_dynamic_jump_table(jit):
    """A dispatcher choosing among many JUMPDESTs by calldata, across compiled functions."""
    parts = ["PUSH1", 0, "CALLDATALOAD", "PUSH1", 224, "SHR", "JUMP"]
    code = bytearray(assemble(*parts))
    targets = []
    for index in range(400):  # more blocks than one compiled function holds
        targets.append(len(code))
        code += assemble("JUMPDEST", "PUSH2", index, "PUSH1", 0, "MSTORE", "PUSH1", 32, "PUSH1", 0, "RETURN")
    for target in (targets[0], targets[199], targets[-1], targets[5] + 1, len(code) + 5):
        same_as_reference(jit, bytes(code), target.to_bytes(4, "big"))


_RELOAD = """
import json, sys
from jitvm.evm.calls import call_code
from jitvm.evm.jit.engine import JitEngine
from jitvm.evm.jit import compile
engine = JitEngine()
code = bytes.fromhex(sys.argv[1])
outcome = call_code(code, gas=100000, engine=engine)
tier = compile.loaded(code, "Osaka").tier
engine.settle()  # the first process also leaves the optimized tier in the cache
print(json.dumps({"output": outcome.output.hex(), "tier": tier, **engine.compile_stats()}))
"""


def test_cache_reload_in_another_process(tmp_path):
    environment = {**os.environ, "JITVM_CACHE_DIR": str(tmp_path)}
    environment.pop("JITVM_DISABLE_CACHE", None)
    runs = [json.loads(subprocess.run([sys.executable, "-c", _RELOAD, LOOP.hex()], env=environment, check=True,
                                      capture_output=True, text=True).stdout) for _ in range(2)]
    assert runs[0]["output"] == runs[1]["output"] != ""
    assert runs[0]["compile_seconds"] > 0 and runs[0]["optimize_seconds"] > 0 and runs[0]["tier"] == "quick"
    assert runs[1]["compile_seconds"] == 0 and runs[1]["cache_load_seconds"] > 0
    assert runs[1]["tier"] == "optimized" and runs[1]["optimize_seconds"] == 0


def test_tiered_engine_compiles_hot_code_only():
    """"auto": the baseline runs a code until it is hot, then the JIT; both give the same results."""
    engine = JitEngine(hot_calls=2)
    outcomes = [call_code(LOOP, gas=100_000, engine=engine) for _ in range(4)]
    assert engine.heat(LOOP, "Osaka").state == "compiled"  # at the third call
    assert len({(o.status, o.output, o.gas_used) for o in outcomes}) == 1
    cold = JitEngine(hot_gas=10**12)
    call_code(LOOP, gas=100_000, engine=cold)
    heat = cold.heat(LOOP, "Osaka")
    assert heat.state == "cold" and heat.gas > 0 and heat.calls == 1


def test_background_compile_keeps_running_on_the_baseline():
    """With background=True the hot code is compiled on another thread; until it is linked, its
    frames run on the baseline; every frame gives the same result."""
    code = distinct_loop()
    engine = JitEngine(hot_calls=1, background=True)
    outcomes = [call_code(code, gas=100_000, engine=engine) for _ in range(3)]
    assert engine.heat(code, "Osaka").state in ("queued", "compiled")
    compile.settle()
    outcomes.append(call_code(code, gas=100_000, engine=engine))
    assert engine.heat(code, "Osaka").state == "compiled"
    assert len({(o.status, o.output, o.gas_used) for o in outcomes}) == 1


def test_quick_tier_is_upgraded_when_hot(monkeypatch, tmp_path):
    """A code's first compile is the QUICK tier; once hot, the OPTIMIZED tier replaces it (in the
    background), and a later process loads the OPTIMIZED tier from the cache."""
    monkeypatch.setattr(compile, "CACHE", ObjectCache(tmp_path))
    monkeypatch.setattr(engine_module, "UPGRADE_CALLS", 2)
    code = distinct_loop()
    engine = JitEngine()
    outcomes = [call_code(code, gas=100_000, engine=engine)]
    assert compile.loaded(code, "Osaka").tier == compile.QUICK
    outcomes += [call_code(code, gas=100_000, engine=engine) for _ in range(3)]
    compile.settle()
    assert compile.loaded(code, "Osaka").tier == compile.OPTIMIZED
    outcomes.append(call_code(code, gas=100_000, engine=engine))
    assert len({(o.status, o.output, o.gas_used) for o in outcomes}) == 1
    assert engine.compile_stats()["optimize_seconds"] > 0
    assert ObjectCache(tmp_path).load(compile.cache_key(code, "Osaka", compile.OPTIMIZED)) is not None


def test_the_frame_after_settle_runs_the_optimized_tier(monkeypatch, tmp_path):
    """settle() upgrades and waits; the code's next frame must run the upgrade at once, not after
    the QUICK tier's refresh interval (benchmarks time a few frames right after settling)."""
    monkeypatch.setattr(compile, "CACHE", ObjectCache(tmp_path))
    code = distinct_loop()
    engine = JitEngine()
    call_code(code, gas=100_000, engine=engine)
    engine.settle()
    call_code(code, gas=100_000, engine=engine)
    assert engine.heat(code, "Osaka").code().tier == compile.OPTIMIZED


@pytest.mark.parametrize("budget", [1, 2, 5, 7, 13, 40, 101])
def test_cold_code_hands_over_to_compiled_code_mid_frame(budget):
    """With cold_steps the kernel runs a code's first instructions, wherever they end (inside a
    block too); the frame then goes on in compiled code, with the reference's result."""
    expected = call_code(LOOP, gas=100_000)
    engine = JitEngine(cold_steps=budget)
    first = call_code(LOOP, gas=100_000, engine=engine)
    heat = engine.heat(LOOP, "Osaka")
    assert heat.state == "compiled" and heat.steps == budget
    again = call_code(LOOP, gas=100_000, engine=engine)
    for outcome in (first, again):
        assert (outcome.status, outcome.output, outcome.gas_used) == (expected.status, expected.output, expected.gas_used)


def test_cold_code_that_stays_cold_is_never_compiled():
    """A code whose frames run fewer instructions than cold_steps in all stays on the kernel: no
    compile, no cache lookup; its instructions are counted over its frames."""
    # (the JUMPDEST, never reached, keeps it from the rule for straight-line codes: they go to the
    # baseline at once, test_a_code_without_jumpdest_stays_on_the_baseline_...)
    code = assemble("PUSH1", 7, "PUSH1", 0, "MSTORE", "PUSH1", 32, "PUSH1", 0, "RETURN") + bytes([OP["STOP"]]) * 12
    code += bytes([OP["JUMPDEST"]])
    from jitvm.evm.engines import get_engine

    call_code(code, engine=get_engine("baseline"))  # the kernel is loaded (before, a small code is compiled)
    engine = JitEngine(cold_steps=1000)
    before = engine.compile_stats()
    outcomes = [call_code(code, gas=100_000, engine=engine) for _ in range(3)]
    heat = engine.heat(code, "Osaka")
    assert heat.state == "cold" and heat.steps == 3 * 6
    assert engine.compile_stats()["compiles"] == before["compiles"] and compile.loaded(code, "Osaka") is None
    assert outcomes[0].output == (7).to_bytes(32, "big") and len({o.gas_used for o in outcomes}) == 1


def test_warm_code_is_loaded_from_the_cache_after_load_steps(monkeypatch, tmp_path):
    """After load_steps instructions a cold code is looked up in the object cache (once): found,
    it is linked and the frame goes on compiled; not found, the kernel runs on to cold_steps. (In
    the middle of a frame whose gas could take the code to cold_steps, as here.)"""
    from jitvm.jit.layer import CompileLayer

    monkeypatch.setattr(compile, "CACHE", ObjectCache(tmp_path))
    monkeypatch.setattr(compile, "LAYER", CompileLayer(compile.EvmGenerator()))
    code = distinct_loop()
    expected = call_code(code, gas=100_000)
    lazy = JitEngine(cold_steps=50_000, load_steps=20)
    outcomes = [call_code(code, gas=100_000, engine=lazy)]
    assert lazy.heat(code, "Osaka").state == "uncached" and compile.compile_stats()["compiles"] == 0
    outcomes.append(call_code(code, gas=100_000, engine=JitEngine()))  # compiles it into the cache
    monkeypatch.setattr(compile, "LAYER", CompileLayer(compile.EvmGenerator()))  # as a new process
    lazy = JitEngine(cold_steps=50_000, load_steps=20)
    outcomes.append(call_code(code, gas=100_000, engine=lazy))
    heat = lazy.heat(code, "Osaka")
    assert heat.state == "compiled" and heat.steps == 20
    assert compile.compile_stats()["disk_hits"] == 1 and compile.compile_stats()["compiles"] == 0
    for outcome in outcomes:
        assert (outcome.status, outcome.output, outcome.gas_used) == (expected.status, expected.output, expected.gas_used)


def test_short_cold_frames_are_counted_and_the_next_one_is_loaded(monkeypatch, tmp_path):
    """A cold frame whose gas cannot take its code to cold_steps runs on the kernel from start to
    end, without a step budget, and its instructions are counted when it ends; the next frame of
    a code past load_steps is looked up in the object cache."""
    from jitvm.jit.layer import CompileLayer

    monkeypatch.setattr(compile, "CACHE", ObjectCache(tmp_path))
    monkeypatch.setattr(compile, "LAYER", CompileLayer(compile.EvmGenerator()))
    code = distinct_loop()
    expected = call_code(code, gas=100_000)
    call_code(code, gas=100_000, engine=JitEngine())  # compiles it into the cache
    monkeypatch.setattr(compile, "LAYER", CompileLayer(compile.EvmGenerator()))  # as a new process
    lazy = JitEngine(cold_steps=10**9, load_steps=20)
    first = call_code(code, gas=100_000, engine=lazy)
    heat = lazy.heat(code, "Osaka")
    steps = heat.steps
    assert heat.state == "cold" and steps > 20 and compile.compile_stats()["disk_hits"] == 0
    second = call_code(code, gas=100_000, engine=lazy)
    assert heat.state == "compiled" and heat.steps == steps and compile.compile_stats()["disk_hits"] == 1
    for outcome in (first, second):
        assert (outcome.status, outcome.output, outcome.gas_used) == (expected.status, expected.output, expected.gas_used)
    assert all(buffers.counted is None for buffers in lazy._pool._free)  # every counted frame was counted once


# Calls the identity precompile, then reads the return data: a hand-over after the call must keep it.
_AFTER_CALL = assemble("PUSH1", 0x42, "PUSH1", 0, "MSTORE", "PUSH1", 0, "PUSH1", 0, "PUSH1", 32, "PUSH1", 0,
                       "PUSH1", 0, "PUSH1", 4, "GAS", "CALL", "POP", "RETURNDATASIZE", "PUSH1", 0, "PUSH1", 64,
                       "RETURNDATACOPY", "RETURNDATASIZE", "PUSH1", 96, "MSTORE", "PUSH1", 64, "PUSH1", 64, "RETURN")


@pytest.mark.parametrize("budget", range(1, 24))
def test_hand_over_after_a_call_keeps_the_return_data(monkeypatch, tmp_path, budget):
    """The kernel hands a cold frame over at every instruction, before and after a call: to compiled
    code (cold_steps), and back to the kernel after a cache miss (load_steps < cold_steps)."""
    from jitvm.jit.layer import CompileLayer

    monkeypatch.setattr(compile, "CACHE", ObjectCache(tmp_path))
    monkeypatch.setattr(compile, "LAYER", CompileLayer(compile.EvmGenerator()))
    expected = call_code(_AFTER_CALL, gas=100_000)
    assert expected.output[:32] == (0x42).to_bytes(32, "big")
    for engine in (JitEngine(cold_steps=budget), JitEngine(cold_steps=budget + 3, load_steps=budget)):
        actual = call_code(_AFTER_CALL, gas=100_000, engine=engine)
        assert (actual.status, actual.output, actual.gas_used) == (expected.status, expected.output, expected.gas_used)


_WITHOUT_KERNEL = """
import sys
from jitvm.evm.calls import call_code
from jitvm.evm.engines import get_engine
outcome = call_code(bytes.fromhex(sys.argv[1]), engine=get_engine("jit"))
print(outcome.output.hex(), "numba" in sys.modules)
"""


def test_small_code_runs_without_loading_the_kernel(tmp_path):
    """Before the baseline kernel is loaded, the registered jit compiles a small cold code rather
    than loading the kernel, and a later process loads it from the cache without importing Numba
    (the first one does: the code generator takes the storage cache's hash constants from the
    kernel's module)."""
    environment = {**os.environ, "JITVM_CACHE_DIR": str(tmp_path), "JITVM_JIT_COLD_STEPS": "2000000"}
    environment.pop("JITVM_DISABLE_CACHE", None)
    code = assemble("PUSH1", 1, "PUSH1", 2, "ADD", "PUSH1", 0, "MSTORE", "PUSH1", 32, "PUSH1", 0, "RETURN")
    runs = [subprocess.run([sys.executable, "-c", _WITHOUT_KERNEL, code.hex()], env=environment, check=True,
                           capture_output=True, text=True).stdout.split() for _ in range(2)]
    assert runs[0][0] == runs[1][0] == (3).to_bytes(32, "big").hex()
    assert runs[1][1] == "False"


# MCOPY in compiled code (codegen.memory_copy): overlapping moves both ways, memory growth to the
# farther range, empty and out-of-reach copies (left to the kernel), every gas around the costs.


def mcopy_then_return(destination: int, source: int, size: int, returned: int = 96) -> bytes:
    """Fill memory[0:64] with a pattern, MCOPY, return memory[0:returned] and MSIZE after it."""
    return assemble("PUSH32", int.from_bytes(bytes(range(1, 33)), "big"), "PUSH1", 0, "MSTORE",
                    "PUSH32", int.from_bytes(bytes(range(33, 65)), "big"), "PUSH1", 32, "MSTORE",
                    "PUSH4", size, "PUSH4", source, "PUSH4", destination, "MCOPY",
                    "MSIZE", "PUSH2", returned, "MSTORE", "PUSH2", returned + 32, "PUSH1", 0, "RETURN")


MCOPY_CASES = [
    (0, 0, 64),  # in place
    (1, 0, 40),  # overlapping, forwards
    (0, 3, 50),  # overlapping, backwards
    (64, 0, 64),  # grows memory through the destination
    (0, 200, 33),  # grows memory through the source (reads zeros)
    (5, 7, 0),  # empty: no growth (the kernel does it)
    (10, 20, 1),
]


@pytest.mark.parametrize("destination,source,size", MCOPY_CASES)
def test_mcopy_matches_the_reference(jit, destination, source, size):
    code = mcopy_then_return(destination, source, size, returned=max(96, destination + size, source + size))
    full = same_as_reference(jit, code, gas=100_000)
    assert full.status.name == "SUCCESS"
    for gas in range(full.gas_used - 40, full.gas_used + 2):  # around the MCOPY's and the RETURN's costs
        same_as_reference(jit, code, gas=gas)


def test_mcopy_out_of_reach_is_left_to_the_kernel(jit):
    """Offsets of 2**32 and more are not compiled: the kernel fails the frame with out of gas."""
    code = assemble("PUSH1", 1, "PUSH5", 1 << 32, "PUSH1", 0, "MCOPY", "STOP")
    assert same_as_reference(jit, code, gas=1_000_000).status.name != "SUCCESS"
    code = assemble("PUSH1", 0, "PUSH5", 1 << 32, "PUSH1", 0, "MCOPY", "STOP")  # empty: no expansion
    assert same_as_reference(jit, code, gas=1_000_000).status.name == "SUCCESS"


def chained_blocks(jumps: int, nots: int) -> bytes:
    """PUSH0, then jumps + 1 blocks (JUMPDEST, `nots` NOTs of the word below, PUSH2 next, JUMP)
    that jump to one another in a shuffled order, each run once; the last one STOPs. Like
    jump_around, with 3 + nots instructions per jump."""
    import random

    order = list(range(1, jumps + 1))
    random.Random(jumps).shuffle(order)
    successor = dict(zip([0, *order], order))
    width = 5 + nots
    code = bytearray([OP["PUSH0"]])
    for index in range(jumps + 1):
        code += bytes([OP["JUMPDEST"]]) + bytes([OP["NOT"]]) * nots
        if index in successor:
            code += assemble("PUSH2", 1 + successor[index] * width, "JUMP")
        else:
            code += bytes([OP["STOP"]])
    return bytes(code)


@pytest.mark.parametrize("jumps, nots, compiled", [
    (codegen.DECLINE_FROM_JUMPS, codegen.MIN_INSTRUCTIONS_PER_JUMP - 3, True),  # just above the threshold
    (codegen.DECLINE_FROM_JUMPS, codegen.MIN_INSTRUCTIONS_PER_JUMP - 4, False),  # just below it
    (codegen.DECLINE_FROM_JUMPS - 1, 0, True),  # as few instructions as can be, but not enough jumps
    (codegen.DECLINE_FROM_JUMPS, 0, False),  # jump_around's shape
])
def test_codes_of_many_tiny_blocks_are_not_compiled(jumps, nots, compiled):
    """The decline rule (codegen.MIN_INSTRUCTIONS_PER_JUMP) at its two thresholds."""
    code = chained_blocks(jumps, nots)
    found = analysis.analyse(code, "Osaka")
    assert found.jumps == jumps
    per_jump = found.instructions_per_jump
    assert nots + 3 < per_jump < nots + 3.01
    assert codegen.worth_compiling(found) is compiled
    if not compiled:
        assert codegen.generate(found) is None


def test_a_declined_code_runs_exactly_on_the_baseline(tmp_path):
    """A declined code is never compiled (the compile layer remembers the decline) and runs on the
    kernel with the reference's result, in jit and in a tiered engine."""
    code = chained_blocks(codegen.DECLINE_FROM_JUMPS, 0)
    assert compile.compiled_code(code, "Osaka", cache=ObjectCache(tmp_path)) is None
    for engine in (JitEngine(), JitEngine(hot_calls=1)):
        for _ in range(3):
            same_as_reference(engine, code, gas=1_000_000)
        assert engine.heat(code, "Osaka").state == "baseline"


def test_a_declined_code_queued_in_the_background_runs_as_the_baseline(monkeypatch):
    """`auto` (background compiles) learns of the decline from the compile layer once the queued
    compile is done: the code goes to the baseline state, and its frames no longer ask the layer."""
    code = chained_blocks(codegen.DECLINE_FROM_JUMPS, 0) + bytes([OP["STOP"]]) * 3  # no other test's code
    engine = JitEngine(hot_calls=1, background=True)
    for _ in range(3):
        same_as_reference(engine, code, gas=1_000_000)
    compile.settle()
    same_as_reference(engine, code, gas=1_000_000)
    assert engine.heat(code, "Osaka").state == "baseline"

    def asked(*_):
        raise AssertionError("a declined code's frame asked the compile layer")

    monkeypatch.setattr(compile, "loaded", asked)
    monkeypatch.setattr(engine, "_unusual_frame", asked)
    for _ in range(3):
        same_as_reference(engine, code, gas=1_000_000)


def test_cold_frames_are_counted_into_their_code(monkeypatch):
    """A cold code's frame runs plainly on the kernel and the pool counts it into the code's heat:
    instructions (an engine with cold_steps), gas and frames."""
    code = distinct_loop()
    stepping, tiered = JitEngine(cold_steps=10**9, load_steps=10**9), JitEngine(hot_calls=100, hot_gas=10**12)
    for engine in (stepping, tiered):
        outcomes = [same_as_reference(engine, code) for _ in range(4)]
        heat = engine.heat(code, "Osaka")
        assert heat.state == "cold" and heat.calls == 4
        assert heat.gas == sum(outcome.gas_used for outcome in outcomes)
    steps = stepping.heat(code, "Osaka").steps
    assert steps > 0 and steps % 4 == 0  # the same instructions in each of the four frames
    assert all(buffers.counted is None for engine in (stepping, tiered) for buffers in engine._pool._free)


def _counted_loop_then_call(iterations: int) -> bytes:
    """A loop of `iterations` rounds (about 12 instructions each), then a CALL to the identity
    precompile (which compiled code hands to the kernel, and the kernel to the host), returning
    the call's output."""
    return assemble(
        "PUSH2", iterations,
        "JUMPDEST",  # pc 3: the loop head
        "PUSH1", 1, "SWAP1", "SUB", "DUP1", "PUSH1", 3, "JUMPI",
        "POP", "PUSH1", 0x42, "PUSH1", 0, "MSTORE",
        "PUSH1", 32, "PUSH1", 0, "PUSH1", 32, "PUSH1", 0, "PUSH1", 0, "PUSH1", 4, "GAS", "CALL", "POP",
        "PUSH1", 32, "PUSH1", 0, "RETURN",
    )


@pytest.mark.parametrize("iterations, stays_compiled", [(1, False), (200, True)])
def test_a_compiled_code_that_hands_over_often_is_reviewed(iterations, stays_compiled):
    """At its REVIEW_FRAMES-th compiled frame a code whose frames hand instructions to the kernel
    runs SAMPLE_FRAMES frames on the kernel; it goes to the baseline state if they ran fewer than
    MIN_STEPS_PER_HANDOVER instructions per hand-over, and stays compiled otherwise. Every frame,
    before, during and after, equals the reference."""
    code = _counted_loop_then_call(iterations) + bytes([OP["STOP"]]) * (3 + iterations % 7)  # no other test's code
    for engine in (JitEngine(), JitEngine(hot_calls=2)):
        for _ in range(engine_module.REVIEW_FRAMES + engine_module.SAMPLE_FRAMES + 6):
            same_as_reference(engine, code, gas=1_000_000)
        heat = engine.heat(code, "Osaka")
        assert heat.state == ("compiled" if stays_compiled else "baseline")
        assert heat.review_at > 10**9  # reviewed once, and done
        if not stays_compiled:
            assert heat.sample.calls >= engine_module.SAMPLE_FRAMES and heat.sample.steps > 0


def test_a_compiled_code_that_never_hands_over_stays_compiled():
    assert engine_module.MIN_STEPS_PER_FRAME == 0  # (off by default: see the next test)
    code = distinct_loop()
    engine = JitEngine()
    for _ in range(engine_module.REVIEW_FRAMES + engine_module.SAMPLE_FRAMES + 2):
        same_as_reference(engine, code)
    heat = engine.heat(code, "Osaka")
    assert heat.state == "compiled" and heat.handovers == 0 and heat.sample is None and heat.review_at > 10**9


def _counting_loop(iterations: int) -> bytes:
    """A loop of `iterations` rounds of 6 instructions that never hands over to the kernel."""
    return assemble("PUSH2", iterations, "JUMPDEST", "PUSH1", 1, "SWAP1", "SUB", "DUP1", "PUSH1", 3, "JUMPI", "STOP")


@pytest.mark.parametrize("iterations, stays_compiled", [(10, False), (200, True)])
def test_a_compiled_code_of_short_frames_goes_to_the_baseline_when_only_hot_code_is_compiled(monkeypatch, iterations,
                                                                                             stays_compiled):
    """With MIN_STEPS_PER_FRAME set (JITVM_JIT_MIN_STEPS_PER_FRAME; off by default), an engine that
    compiles only hot code reviews a compiled code that never hands over too: its SAMPLE_FRAMES
    sample frames run on the kernel, and below MIN_STEPS_PER_FRAME instructions a frame (10 rounds:
    about 60) it goes to the baseline state for good, where its frames cost less time in a mix of
    transactions; 200 rounds (about 1,200) stay compiled. JitEngine() keeps every code compiled.
    Every frame equals the reference."""
    monkeypatch.setattr(engine_module, "MIN_STEPS_PER_FRAME", 300)
    code = _counting_loop(iterations) + bytes([OP["STOP"]]) * (5 + iterations % 5)  # no other test's code
    frames = engine_module.REVIEW_FRAMES + engine_module.SAMPLE_FRAMES + 4
    for engine in (JitEngine(hot_calls=2), JitEngine()):
        for _ in range(frames):
            same_as_reference(engine, code)
        heat = engine.heat(code, "Osaka")
        assert heat.handovers == 0 and heat.review_at > 10**9
        if stays_compiled or not engine.leaves_straight_code:
            assert heat.state == "compiled"
        else:
            assert heat.state == "baseline" and heat.sample.calls >= engine_module.SAMPLE_FRAMES
            assert 0 < heat.sample.steps < engine_module.MIN_STEPS_PER_FRAME * heat.sample.calls


def test_a_compiled_code_of_long_frames_is_not_sampled(monkeypatch):
    """Frames that average SHORT_FRAME_GAS gas or more are not sampled on the kernel (that would
    cost them most of what compiled code saves): such a code stays compiled without a review."""
    monkeypatch.setattr(engine_module, "MIN_STEPS_PER_FRAME", 300)
    monkeypatch.setattr(engine_module, "SHORT_FRAME_GAS", 10)
    code = _counting_loop(10) + bytes([OP["STOP"]]) * 11  # no other test's code
    engine = JitEngine(hot_calls=2)
    for _ in range(engine_module.REVIEW_FRAMES + engine_module.SAMPLE_FRAMES + 4):
        same_as_reference(engine, code)
    heat = engine.heat(code, "Osaka")
    assert heat.state == "compiled" and heat.sample is None and heat.review_at > 10**9


def test_a_code_without_jumpdest_stays_on_the_baseline_when_only_hot_code_is_compiled():
    """A code with no JUMPDEST runs each instruction at most once a frame, too few to win back the
    entry into compiled code: the engines that compile only hot code leave it to the baseline for
    good (at its first frame once the kernel is loaded: before, a small code is compiled rather
    than loading the kernel); JitEngine() compiles it as every code. Every frame equals the
    reference."""
    from jitvm.evm.engines import get_engine

    code = bytes([OP["PUSH1"], 0x2A, OP["PUSH1"], 0, OP["MSTORE"], OP["PUSH1"], 32, OP["PUSH1"], 0,
                  OP["RETURN"], OP["STOP"], OP["STOP"], OP["STOP"]])  # no other test's code
    same_as_reference(get_engine("baseline"), code)  # the kernel is loaded
    for engine in (JitEngine(cold_steps=3, load_steps=1), JitEngine(hot_calls=1), JitEngine(hot_calls=1, background=True)):
        for _ in range(4):
            same_as_reference(engine, code)
        assert engine.heat(code, "Osaka").state == "baseline"
    everything = JitEngine()
    same_as_reference(everything, code)
    assert everything.heat(code, "Osaka").state == "compiled"


def test_a_queued_code_asks_the_compile_layer_only_once_a_background_job_has_finished(monkeypatch):
    """While a code's background compile has not finished, its frames take the baseline's path
    without asking the compile layer (no _unusual_frame); once any background job has finished
    (jitvm.jit.layer.finished_jobs moved), the next frame asks and runs the compiled code."""
    from jitvm.jit import layer

    code = distinct_loop()
    queued = []
    monkeypatch.setattr(compile, "compile_in_background", lambda *subject: queued.append(subject))
    engine = JitEngine(hot_calls=1, background=True)
    for _ in range(3):
        same_as_reference(engine, code)
    assert engine.heat(code, "Osaka").state == "queued" and queued == [(code, "Osaka")]

    def asked(*_):
        raise AssertionError("a queued code's frame asked the compile layer before any job finished")

    with monkeypatch.context() as patched:
        patched.setattr(engine, "_unusual_frame", asked)
        for _ in range(3):
            same_as_reference(engine, code)
    compile.compiled_code(code, "Osaka")  # what the background job would have linked
    monkeypatch.setattr(layer, "finished_jobs", layer.finished_jobs + 1)
    same_as_reference(engine, code)
    assert engine.heat(code, "Osaka").state == "compiled"
