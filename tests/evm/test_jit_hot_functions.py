"""The OPTIMIZED tier optimizes only a large code's hot functions (jitvm.evm.jit.compile): QUICK
code counts what each function runs (codegen.WORK_COUNTERS), and the functions that ran the last
(1 - HOT_SHARE) of it are compiled as QUICK code in the OPTIMIZED library. The code must run exactly
as before whichever functions are optimized, and jumps between optimized and QUICK-compiled
functions (in separate object files) must work both ways."""

import ctypes

import pytest

from jitvm.evm import DEFAULT_FORK
from jitvm.evm.calls import call_code
from jitvm.evm.jit import block_analysis, codegen, compile as evm_compile
from jitvm.evm.jit.engine import JitEngine
from jitvm.evm.jit.entry import WORK_COUNTERS
from jitvm.jit import ObjectCache
from jitvm.jit.compiler import MixedTierIr
from jitvm.jit.layer import OPTIMIZED, QUICK

from tests.evm.test_evm_jit_engine import assemble

STRAIGHT = ["DUP1", "DUP1", "MSTORE", "DUP2", "ADD"]  # memory_grow_mstore's step: 1 block per 4
LOOP_AT = 9  # the JUMPDEST of the hot loop below


def hot_loop_then_cold_code(iterations: int, cold_steps: int) -> bytes:
    """A loop of `iterations` (one function: hot) between two long straight runs of memory stores
    (many functions, each run once: cold), then RETURN of memory[0:64] and the loop's count."""
    head = ["PUSH1", 32, "CALLDATALOAD", "PUSH1", 0, "CALLDATALOAD", "PUSH2", iterations]  # step, offset, count
    loop = ["JUMPDEST", "PUSH1", 1, "SWAP1", "SUB", "DUP1", "PUSH2", LOOP_AT, "JUMPI", "POP"]
    tail = ["PUSH1", 64, "PUSH1", 0, "RETURN"]
    code = assemble(*head, *loop, *(STRAIGHT * cold_steps), *tail)
    assert code[LOOP_AT] == 0x5B  # JUMPDEST
    return code


CALLDATA = (0).to_bytes(32, "big") + (32).to_bytes(32, "big")


def test_cold_parts_are_the_functions_outside_the_hot_share():
    assert evm_compile.cold_parts([0, 100, 5, 895], share=0.995) == {0, 2}
    assert evm_compile.cold_parts([0, 100, 5, 895], share=1.0) == {0}
    assert evm_compile.cold_parts([10, 10, 10], share=0.995) == frozenset()
    assert evm_compile.cold_parts([0, 0, 0]) == frozenset()  # nothing counted: optimize all


@pytest.mark.parametrize("iterations", [2, 20_000])
def test_only_hot_functions_are_optimized_and_the_code_runs_exactly(iterations, monkeypatch):
    monkeypatch.setattr(evm_compile, "HOT_SHARE", 0.9)  # (the default would need a much longer loop)
    monkeypatch.setattr(evm_compile, "SELECTIVE_FROM_BYTES", 64 << 10)  # (a small code, quick to compile)
    code = hot_loop_then_cold_code(iterations, cold_steps=300)
    subject = (code, DEFAULT_FORK)
    cache = ObjectCache(enabled=False)
    layer = evm_compile.LAYER
    layer.install(subject, layer.build(subject, cache, QUICK))
    engine = JitEngine()
    expected = call_code(code, CALLDATA, gas=10**7)
    actual = call_code(code, CALLDATA, gas=10**7, engine=engine)
    assert (actual.status, actual.output, actual.gas_used) == (expected.status, expected.output, expected.gas_used)
    quick = layer.entry(subject)
    parts = len(codegen.ModuleGenerator(block_analysis.analyse(code, DEFAULT_FORK)).parts)
    work = list((ctypes.c_int64 * parts).from_address(quick.loaded[WORK_COUNTERS]))
    assert all(count > 0 for count in work)  # every function ran, the first one the loop
    ir = layer.generator.generate(subject, OPTIMIZED)
    if iterations > 2:
        assert isinstance(ir, MixedTierIr) and "evm_part0" not in ir.quick_functions
        assert len(ir.quick_functions) == parts - 1  # the straight code, run once, stays QUICK code
    else:  # no function stands out: all optimized
        assert not isinstance(ir, MixedTierIr)
    layer.upgrade(subject, cache)
    evm_compile.settle()
    assert evm_compile.loaded(code, DEFAULT_FORK).tier == OPTIMIZED
    for gas in (10**7, expected.gas_used - 1, expected.gas_used - 2_000, expected.gas_used // 2, 3_000):
        reference = call_code(code, CALLDATA, gas=gas)
        actual = call_code(code, CALLDATA, gas=gas, engine=engine)
        assert (actual.status, actual.output, actual.gas_used) == (reference.status, reference.output,
                                                                   reference.gas_used), gas
