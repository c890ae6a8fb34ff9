"""The compile layer shared by the EVM and BPF JITs: in-process table (bounded by memory, least
recently used evicted), disk cache, tiers in the background, statistics."""

from __future__ import annotations

import ctypes

import pytest

from jitvm.bpf import driver
from jitvm.bpf.engines import get_engine, run
from jitvm.bpf.jit import compile as bpf_compile
from jitvm.bpf.program import Program
from jitvm.evm.calls import call_code
from jitvm.evm.jit import block_analysis
from jitvm.evm.jit import compile as evm_compile
from jitvm.evm.jit.engine import JitEngine
from jitvm.evm.opcodes import opcode_table
from jitvm.jit import ObjectCache
from jitvm.jit.layer import ENTRY_OVERHEAD, OPTIMIZED, QUICK, CompileLayer, settle

OP = {name: opcode.byte for name, opcode in opcode_table("Cancun").by_name.items()}


class ConstantGenerator:
    """Subjects are integers; each compiles to `i64 answer()` returning it. Negative ones are declined."""

    name = "test"
    roots = ("jitvm.jit.irtext",)
    exports = ("answer",)
    levels = {QUICK: 0, OPTIMIZED: 2}

    def __init__(self):
        self.generated = []

    def identity(self, subject):
        return subject

    def describe(self, subject):
        return str(subject)

    def generate(self, subject):
        self.generated.append(subject)
        if subject < 0:
            return None
        return f"define i64 @answer() {{\n  ret i64 {subject}\n}}\n"

    def register_runtime(self):
        pass

    def wrap(self, subject, compiled):
        return compiled.loaded.function("answer", ctypes.c_int64)


def test_the_table_is_bounded_by_memory_and_evicts_the_least_recently_used(tmp_path):
    generator = ConstantGenerator()
    probe = CompileLayer(generator)
    probe.get(0, ObjectCache(enabled=False))
    entry_size = probe.entry(0).size + ENTRY_OVERHEAD
    layer = CompileLayer(generator, memory_budget=3 * entry_size)
    cache = ObjectCache(tmp_path)
    for subject in (1, 2, 3):
        assert layer.get(subject, cache)() == subject
    assert layer.get(1, cache)() == 1  # 1 is now the most recently used: 2 goes first
    assert layer.get(4, cache)() == 4
    assert sorted(layer.identities()) == [1, 3, 4]
    assert layer.stats.evictions == 1 and layer.stats.resident_bytes <= layer.memory_budget
    assert layer.stats.memory_hits == 1 and layer.stats.compiles == 4
    assert layer.get(2, cache)() == 2  # back from the disk cache, not compiled again
    assert generator.generated.count(2) == 1 and layer.stats.disk_hits == 1


def test_a_declined_subject_is_remembered(tmp_path):
    generator = ConstantGenerator()
    layer = CompileLayer(generator)
    cache = ObjectCache(tmp_path)
    assert layer.get(-1, cache) is None and layer.get(-1, cache) is None
    assert generator.generated == [-1] and layer.stats.declined == 1 and layer.entry(-1) is None


def test_upgrade_installs_the_optimized_tier_in_the_background(tmp_path):
    layer = CompileLayer(ConstantGenerator())
    cache = ObjectCache(tmp_path)
    assert layer.get(7, cache)() == 7 and layer.entry(7).tier == QUICK
    layer.upgrade(7, cache)
    settle()
    assert layer.entry(7).tier == OPTIMIZED and layer.get(7, cache)() == 7
    assert layer.stats.upgrades == 1 and layer.stats.optimize_seconds > 0
    fresh = CompileLayer(ConstantGenerator())  # another process: the optimized tier from the disk
    assert fresh.get(7, cache)() == 7 and fresh.entry(7).tier == OPTIMIZED and fresh.generator.generated == []


def test_a_cached_evm_code_is_found_without_analysing_it(tmp_path, monkeypatch):
    """A second process (a fresh layer) finds the code in the disk cache: no block analysis runs."""
    code = bytes([OP["PUSH1"], 3, OP["PUSH1"], 4, OP["ADD"], OP["PUSH1"], 0, OP["MSTORE"],
                  OP["PUSH1"], 32, OP["PUSH1"], 0, OP["RETURN"]])
    cache = ObjectCache(tmp_path)
    monkeypatch.setattr(evm_compile, "CACHE", cache)
    monkeypatch.setattr(evm_compile, "LAYER", CompileLayer(evm_compile.EvmGenerator()))
    expected = call_code(code, engine=JitEngine())
    assert evm_compile.LAYER.stats.compiles == 1

    def no_analysis(*_):
        raise AssertionError("analysed a cached code")

    monkeypatch.setattr(block_analysis, "analyse", no_analysis)
    monkeypatch.setattr(evm_compile, "LAYER", CompileLayer(evm_compile.EvmGenerator()))
    again = call_code(code, engine=JitEngine())
    assert (again.output, again.gas_used) == (expected.output, expected.gas_used)
    assert evm_compile.LAYER.stats.disk_hits == 1 and evm_compile.LAYER.stats.compiles == 0


def test_a_code_too_large_to_compile_runs_on_the_baseline(monkeypatch, tmp_path):
    monkeypatch.setattr(evm_compile, "CACHE", ObjectCache(tmp_path))
    monkeypatch.setattr(evm_compile, "LAYER", CompileLayer(evm_compile.EvmGenerator()))
    monkeypatch.setattr(evm_compile, "MAX_BLOCKS", 1)
    code = bytes([OP["PUSH1"], 8, OP["JUMP"], OP["STOP"]] * 3)
    assert evm_compile.compiled_code(code, "Cancun") is None
    assert evm_compile.compiled_code(code, "Cancun") is None
    assert evm_compile.LAYER.stats.declined == 1


LOOP = "mov %r0, 0\nmov %r1, 0\nloop:\nadd %r0, %r1\nadd %r1, 1\njlt %r1, 50, loop\nexit"


def _private_bpf_layer(monkeypatch, tmp_path) -> None:
    from collections import OrderedDict

    monkeypatch.setattr(bpf_compile, "CACHE", ObjectCache(tmp_path))
    monkeypatch.setattr(bpf_compile, "LAYER", CompileLayer(bpf_compile.BpfGenerator()))
    monkeypatch.setattr(bpf_compile, "_PROGRAMS", OrderedDict())


@pytest.mark.parametrize("engine", ["jit", "auto"])
def test_bpf_runs_get_the_optimized_tier_when_hot(engine, monkeypatch, tmp_path):
    """The first run notes the blocks it reaches, the second compiles them (QUICK), and after
    `upgrade_runs` compiled runs the hot loop is compiled OPTIMIZED in the background."""
    _private_bpf_layer(monkeypatch, tmp_path)
    monkeypatch.setattr(driver, "AUTO", driver.AutoPolicy(hot_runs=0, upgrade_runs=2))
    program = Program.from_assembly(LOOP)
    expected = run(program).summary()
    for _ in range(4):
        assert run(program, engine=engine).summary() == expected
    settle()
    code = bpf_compile.compiled_program(program)
    assert code.tier == OPTIMIZED and code.stats.optimized_regions == 1
    assert run(program, engine=engine).summary() == expected
    stats = get_engine(engine).compile_stats()
    assert stats["compiles"] == 1 and stats["upgrades"] == 1 and stats["compile_seconds"] > 0


def test_bpf_settle_compiles_what_runs_reached_and_upgrades_hot_blocks(monkeypatch, tmp_path):
    _private_bpf_layer(monkeypatch, tmp_path)
    program = Program.from_assembly(LOOP.replace("50", "51"))
    run(program, engine="jit")  # on the interpreter: noted, not compiled
    code = bpf_compile.compiled_program(program)
    assert code.tier == QUICK and code.stats.quick_regions == 0 and code.pending
    get_engine("jit").settle()  # compiles the reached blocks; nothing ran on them yet: nothing is hot
    assert code.stats.quick_regions == 1 and code.tier == QUICK
    run(program, engine="jit")
    get_engine("jit").settle()
    assert code.tier == OPTIMIZED
    assert get_engine("baseline") is None


def test_lazy_helpers_are_built_only_when_code_that_calls_them_is_linked():
    from jitvm.jit import compile_module, load_objects, symbols

    built = []
    callback = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)(lambda value: value * 3)
    symbols.register_lazy("jitvm_test_lazy_triple", "i64 (i64)",
                          lambda: built.append(True) or ctypes.cast(callback, ctypes.c_void_p).value)
    plain = compile_module("define i64 @plain() {\n  ret i64 5\n}\n")
    assert load_objects([plain], ["plain"]).function("plain", ctypes.c_int64)() == 5 and built == []
    calling = compile_module(symbols.declarations(["jitvm_test_lazy_triple"]) + (
        "define i64 @calls(i64 %x) {\n  %y = call i64 @jitvm_test_lazy_triple(i64 %x)\n  ret i64 %y\n}\n"))
    calls = load_objects([calling], ["calls"]).function("calls", ctypes.c_int64, ctypes.c_int64)
    assert calls(7) == 21 and built == [True]
    assert symbols.lookup("jitvm_test_lazy_triple").address is not None
    again = load_objects([calling], ["calls"]).function("calls", ctypes.c_int64, ctypes.c_int64)
    assert again(5) == 15 and built == [True]  # built once per process, not per link


def test_a_link_imports_exactly_the_helpers_an_object_names():
    from jitvm.jit import symbols

    symbols.register("jitvm_test_name", 0x1000, "void ()")
    symbols.register("jitvm_test_name_longer", 0x2000, "void ()")
    found = symbols.imports_for([b"..jitvm_test_name_longer..", b"jitvm_test_name\0"])
    assert found == {"jitvm_test_name": 0x1000, "jitvm_test_name_longer": 0x2000}
    assert symbols.imports_for([b"..jitvm_test_name_longer.."]) == {"jitvm_test_name_longer": 0x2000}
    assert symbols.imports_for([b"nothing registered here"]) == {}


def test_a_held_bpf_program_moves_to_the_optimized_tier(monkeypatch, tmp_path):
    """A caller that keeps the compiled object (the Solana loader does) runs the OPTIMIZED code once
    it is ready: every run counts towards the upgrade, which updates the held object's table."""
    _private_bpf_layer(monkeypatch, tmp_path)
    monkeypatch.setattr(driver, "AUTO", driver.AutoPolicy(upgrade_runs=2))
    program = Program.from_assembly(LOOP.replace("50", "52"))
    held = bpf_compile.compiled_program(program)
    expected = run(program).summary()
    for _ in range(3):
        assert driver.NativeRun(program, b"").run_tiered(held).summary() == expected
    settle()
    assert held.tier == OPTIMIZED and bpf_compile.compiled_program(program) is held
    assert driver.NativeRun(program, b"").run_tiered(held).summary() == expected
