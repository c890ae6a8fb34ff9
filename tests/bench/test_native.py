"""The `native` BPF row: C sources compiled with clang -O2, called through ctypes, checked like any engine."""

import dataclasses
import shutil

import pytest

from jitvm.bench.harness import Settings, run_cases
from jitvm.bench.results import FAILED, OK
from jitvm.bench.runners import Unavailable, discover, make_runner
from jitvm.bench.workloads import bundled_bpf_cases, find_fixtures

pytestmark = pytest.mark.skipif(shutil.which("clang") is None, reason="clang not installed: no native row")

QUICK = Settings(repeat=2, budget=0.05)


def small_cases():
    return {case.name: case for case in bundled_bpf_cases(find_fixtures()) if case.name.endswith("/small")}


def test_the_native_row_runs_only_programs_with_c_sources_and_gives_their_answer():
    cases = small_cases()
    assert cases["xxh32_c/small"].c_source.name == "xxh32_c.c"
    assert cases["fnv1a/small"].c_source is None
    native = make_runner("bpf", "native")
    run = run_cases([cases["xxh32_c/small"], cases["fnv1a/small"]], [native], QUICK)
    (measurement,) = run.measurements  # none for fnv1a: no C source
    assert (measurement.workload, measurement.status, measurement.peer) == ("xxh32_c/small", OK, True)
    assert measurement.samples and measurement.units is None  # native code counts no BPF instructions


def test_a_wrong_native_answer_fails():
    case = dataclasses.replace(small_cases()["xxh32_c/small"], expected_r0=1)
    run = run_cases([case], [make_runner("bpf", "native")], QUICK)
    assert run.measurements[0].status == FAILED and "r0 876328346 != expected 1" in run.measurements[0].note


def test_native_is_discovered_for_bpf_only(monkeypatch):
    runners, _ = discover(["evm", "bpf"], ["native", "reference"])
    assert [(r.kind, r.name) for r in runners] == [("evm", "reference"), ("bpf", "native"), ("bpf", "reference")]
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(Unavailable, match="clang not found"):
        make_runner("bpf", "native")
