"""A large module compiled as several modules on several threads (jitvm.jit.split) links and runs as
the whole module does, and its object files survive the cache as one entry."""

from __future__ import annotations

import ctypes
import re

import pytest

from jitvm.jit import ObjectCache, compile_module, load_objects, split
from jitvm.jit.compiler import compile_objects

IR = """
@table = private unnamed_addr constant [3 x i64] [i64 5, i64 7, i64 11]
@unused = private unnamed_addr constant [1 x i64] [i64 1]

define internal i64 @twice(i64 %x) noinline {
entry:
  %y = mul i64 %x, 2
  ret i64 %y
}

define internal i64 @part_a(i64 %x, i64 %depth) {
entry:
  %done = icmp eq i64 %depth, 0
  br i1 %done, label %out, label %more, !prof !0
more:
  %next = sub i64 %depth, 1
  %t = call i64 @twice(i64 %x)
  %r = musttail call i64 @part_b(i64 %t, i64 %next)
  ret i64 %r
out:
  ret i64 %x
}

define internal i64 @part_b(i64 %x, i64 %depth) {
entry:
  %p = getelementptr inbounds [3 x i64], ptr @table, i64 0, i64 1
  %k = load i64, ptr %p
  %y = add i64 %x, %k
  %r = musttail call i64 @part_a(i64 %y, i64 %depth)
  ret i64 %r
}

define i64 @entry(i64 %x) {
entry:
  %r = call i64 @part_a(i64 %x, i64 5)
  ret i64 %r
}

!0 = !{!"branch_weights", i32 1, i32 20}
"""


@pytest.fixture
def split_everything(monkeypatch):
    monkeypatch.setattr(split, "MIN_SPLIT_BYTES", 0)
    monkeypatch.setattr(split, "MIN_UNIT_BYTES", 150)  # @twice (smaller) is copied, the others distributed


def _call_entry(objects: list[bytes], argument: int) -> int:
    return load_objects(objects, ["entry"]).function("entry", ctypes.c_int64, ctypes.c_int64)(argument)


def test_the_parts_define_each_function_once_and_link_to_the_same_code(split_everything):
    parts = split.split_module(IR, 3)
    assert len(parts) == 3
    defined = [re.findall(r"^define (?:internal )?i64 @(\w+)", part, re.M) for part in parts]
    assert sorted(name for names in defined for name in names if name != "twice") == ["entry", "part_a", "part_b"]
    assert all("define internal i64 @part" not in part for part in parts)  # called across parts: external
    assert sum("define internal i64 @twice" in part for part in parts) == 1  # copied only where called
    assert all("@unused" not in part for part in parts)
    whole = _call_entry([compile_module(IR)], 3)
    for threads in (2, 3):
        assert _call_entry(compile_objects(IR, threads=threads), 3) == whole
        assert _call_entry(compile_objects(IR, threads=threads, opt_level=0, optimize_ir=False), 3) == whole


def test_a_small_module_stays_whole():
    assert split.split_module(IR, 4) == [IR]  # below MIN_SPLIT_BYTES
    assert len(compile_objects(IR, threads=4)) == 1


def test_object_files_pack_into_one_entry_and_back(split_everything, tmp_path):
    objects = compile_objects(IR, threads=2)
    assert len(objects) == 2
    cache = ObjectCache(tmp_path)
    cache.store("k", split.pack(objects))
    assert split.unpack(cache.load("k")) == objects
    assert split.unpack(split.pack(objects[:1])) == objects[:1] and split.pack(objects[:1]) == objects[0]
    with pytest.raises(ValueError):
        split.unpack(split.pack(objects) + b"x")


def test_a_split_evm_contract_runs_as_the_reference_and_reloads_from_the_cache(split_everything, monkeypatch,
                                                                               tmp_path):
    from jitvm.bench.evm_contracts import load_benchmarks
    from jitvm.evm.calls import call_code
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.evm.jit.engine import JitEngine
    from jitvm.jit.layer import CompileLayer

    workload = min((w for w in load_benchmarks() if w.contract == "sha1_divs"), key=lambda w: len(w.calldata))
    expected = call_code(workload.code, workload.calldata, gas=10**9)
    monkeypatch.setattr("jitvm.jit.compiler.compile_threads", lambda: 2)
    for _ in range(2):  # compiled and split, then loaded from the cache as two objects
        monkeypatch.setattr(evm_compile, "CACHE", ObjectCache(tmp_path))
        monkeypatch.setattr(evm_compile, "LAYER", CompileLayer(evm_compile.EvmGenerator()))
        actual = call_code(workload.code, workload.calldata, gas=10**9, engine=JitEngine())
        assert (actual.status, actual.output, actual.gas_used) == (expected.status, expected.output, expected.gas_used)
        (subject,) = evm_compile.LAYER.identities()
        entry = evm_compile.LAYER.entry(subject)
        assert entry is not None and len(split.unpack(ObjectCache(tmp_path).load(entry.key))) == 2
    assert entry.cache_hit
