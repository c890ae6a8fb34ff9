"""Codes compiled together (jitvm.fuzz.jit_batch) run exactly as the JIT's own compiles, and the JIT
engines take them from the compile table instead of compiling again."""

from __future__ import annotations

from jitvm.evm.jit import compile as evm_compile
from jitvm.fuzz import evm_check
from jitvm.fuzz.campaign import fuzzing_settings
from jitvm.fuzz.evm_programs import generate_case
from jitvm.fuzz.jit_batch import compile_together


def test_batch_compiled_codes_are_used_and_agree_with_the_reference():
    cases = [generate_case((41 << 32) + index) for index in range(12)]
    with fuzzing_settings():
        recorder = evm_check.RecordingReference()
        expected = [evm_check.jitvm_outcome(case, recorder) for case in cases]
        assert len(recorder.codes) >= 12
        compiled = compile_together(recorder.codes, evm_check.FORK, group_size=5)
        assert compiled == len(recorder.codes)
        for code in recorder.codes:
            assert evm_compile.loaded(code, evm_check.FORK) is not None
        before = evm_compile.compile_stats()["compiles"]
        for case, reference in zip(cases, expected):
            assert evm_check.check_case(case, ("jit",), (), expected=reference) == []
        assert evm_compile.compile_stats()["compiles"] == before, "the JIT compiled a code again"
        assert compile_together(recorder.codes, evm_check.FORK) == 0  # nothing left to do
        evm_compile.upgrade_all()  # a batch code's OPTIMIZED tier reads its own work counters
        evm_compile.settle()
        assert {evm_compile.loaded(code, evm_check.FORK).tier for code in recorder.codes} == {"optimized"}
    assert evm_compile.loaded_codes() == [], "the batch's code stayed linked after the batch"


def test_the_reference_outcome_is_the_same_recorded_or_not():
    case = generate_case(5 << 32)
    recorder = evm_check.RecordingReference()
    assert evm_check.jitvm_outcome(case, recorder) == evm_check.jitvm_outcome(case, "reference")
    assert set(recorder.codes) <= set(case.codes())
