"""The QUICK -> OPTIMIZED hand-over of a code that runs few, long frames: once its upgrade has
compiled, its next frame runs the OPTIMIZED tier (engine._upgrade_if_hot asks the compile layer
after every UPGRADE_GAS gas when a background job has finished), not the frame at which the
QUICK tier's every-QUICK_REFRESH-frames ask comes round."""

from __future__ import annotations

from jitvm.evm.calls import call_code
from jitvm.evm.jit import compile
from jitvm.evm.jit import engine as engine_module
from jitvm.evm.jit.engine import JitEngine
from jitvm.jit.cache import ObjectCache
from tests.evm.test_evm_jit_engine import distinct_loop


def _tier_running(engine: JitEngine, code: bytes) -> str:
    return engine._latest[code].code().tier


def test_a_long_frame_code_runs_its_optimized_tier_from_the_frame_after_the_upgrade(monkeypatch, tmp_path):
    monkeypatch.setattr(compile, "CACHE", ObjectCache(tmp_path))
    # The first frame must not queue the upgrade: the background thread, warm from an earlier test,
    # could compile it while that frame still runs and the frame would switch to it at once.
    monkeypatch.setattr(engine_module, "UPGRADE_GAS", 10**18)
    code = distinct_loop()
    engine = JitEngine()
    expected = call_code(code, gas=100_000)
    outcomes = [call_code(code, gas=100_000, engine=engine)]
    assert _tier_running(engine, code) == compile.QUICK
    monkeypatch.setattr(engine_module, "UPGRADE_GAS", 100)  # every frame of LOOP uses more
    engine._latest[code].upgrade_gas = 100  # (what _remember gave the QUICK code, now due)
    outcomes.append(call_code(code, gas=100_000, engine=engine))  # queues the upgrade
    compile.settle()
    assert compile.loaded(code, "Osaka").tier == compile.OPTIMIZED
    outcomes.append(call_code(code, gas=100_000, engine=engine))
    assert _tier_running(engine, code) == compile.OPTIMIZED
    assert engine._latest[code].calls < engine_module.QUICK_REFRESH
    outcomes += [call_code(code, gas=100_000, engine=engine) for _ in range(3)]
    assert {(o.status, o.output, o.gas_used) for o in outcomes} == {(expected.status, expected.output, expected.gas_used)}


def test_the_settled_upgrade_is_picked_up_without_a_queue_of_its_own(monkeypatch, tmp_path):
    """JitEngine.settle upgrades every QUICK code through the layer, not through the code's heat:
    the code's next frame that passes UPGRADE_GAS still finds the OPTIMIZED tier."""
    monkeypatch.setattr(compile, "CACHE", ObjectCache(tmp_path))
    monkeypatch.setattr(engine_module, "UPGRADE_GAS", 10**18)  # (the first frame queues nothing: above)
    code = distinct_loop()
    engine = JitEngine()
    first = call_code(code, gas=100_000, engine=engine)
    assert _tier_running(engine, code) == compile.QUICK
    monkeypatch.setattr(engine_module, "UPGRADE_GAS", 100)
    engine.settle()
    again = call_code(code, gas=100_000, engine=engine)
    assert _tier_running(engine, code) == compile.OPTIMIZED
    assert (first.status, first.output, first.gas_used) == (again.status, again.output, again.gas_used)
