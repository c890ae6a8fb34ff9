"""Lazy compilation on the BPF JIT (jitvm.bpf.jit.program_code): a program is compiled region by
region as runs reach its blocks, the interpreter runs what is not compiled yet, and hot blocks move
to OPTIMIZED code. Every run must equal the reference's wherever the hand-overs fall: a block
compiled in the middle of a run, calls from compiled into not-yet-compiled code and back, a budget
or an error in either, QUICK code leaving for OPTIMIZED code."""

from __future__ import annotations

import numpy as np
import pytest

from jitvm.bpf import driver
from jitvm.bpf.engines import run
from jitvm.bpf.errors import ErrorCode
from jitvm.bpf.jit import codegen
from jitvm.bpf.jit import compile as jit
from jitvm.bpf.jit.program_code import CompilePolicy, ProgramCode
from jitvm.bpf.program import Program
from jitvm.jit import ObjectCache
from jitvm.jit.layer import OPTIMIZED, QUICK, settle

# r1 points at the input: its first byte picks the path through `f` (0: small, else big), the second
# how many times the loop runs; f stores into the stack, and at 7 reads far outside it (an error).
BRANCHY = """
ldxb %r6, [%r1+0]
ldxb %r7, [%r1+1]
mov %r0, 0
loop:
mov %r1, %r6
call local f
add %r0, %r1
sub %r7, 1
jne %r7, 0, loop
exit
f:
stxdw [%r10-8], %r1
jeq %r1, 0, small
jeq %r1, 7, wild
lsh %r1, 3
add %r1, 5
ldxdw %r2, [%r10-8]
add %r1, %r2
exit
small:
mov %r1, 1
exit
wild:
ldxdw %r1, [%r10+4096]
exit
"""


@pytest.fixture(autouse=True)
def lazy(monkeypatch, tmp_path):
    """A private code cache, layer and registry, and the default lazy policy."""
    from collections import OrderedDict

    from jitvm.bpf.jit import program_code
    from jitvm.jit.layer import CompileLayer

    monkeypatch.setattr(program_code.POLICY, "eager", False)
    monkeypatch.setattr(jit, "CACHE", ObjectCache(tmp_path))
    monkeypatch.setattr(jit, "LAYER", CompileLayer(jit.BpfGenerator()))
    monkeypatch.setattr(jit, "_PROGRAMS", OrderedDict())


def fresh_code(program, **policy) -> ProgramCode:
    return ProgramCode(program, jit.program_digest(program), jit.LAYER, jit.CACHE, CompilePolicy(**policy))


def run_on(code: ProgramCode, data: bytes, **options):
    return driver.NativeRun(code.program, data, **options).run_tiered(code)


def assert_like_reference(code: ProgramCode, data: bytes, **options):
    expected = run(code.program, data, **options)
    actual = run_on(code, data, **options)
    assert actual.summary() == expected.summary()
    assert [None if r is None else bytes(r.data) for r in actual.memory.regions] == \
        [None if r is None else bytes(r.data) for r in expected.memory.regions]
    return actual


def compiled_starts(code: ProgramCode) -> set[int]:
    return set(np.flatnonzero(code.functions).tolist())


def test_a_program_run_once_is_interpreted_and_noted_not_compiled():
    program = Program.from_assembly(BRANCHY)
    code = jit.compiled_program(program)
    assert_like_reference(code, bytes([0, 3]))
    assert code.stats.quick_regions == 0 and not compiled_starts(code)
    assert code.pending and code.pending <= set(code.analysis.block_starts.tolist())


def test_the_next_run_compiles_exactly_the_blocks_runs_reached():
    program = Program.from_assembly(BRANCHY)
    code = fresh_code(program)
    assert_like_reference(code, bytes([0, 3]))  # the small path of f
    reached = set(code.pending)
    assert_like_reference(code, bytes([0, 3]))
    assert compiled_starts(code) == reached and code.stats.quick_regions == 1
    big = {block.start for block in code.analysis.blocks if block.start not in reached}
    assert big, "the big path of f is not reached by the small runs"


def test_calls_from_compiled_into_uncompiled_code_and_back():
    """The caller's loop is compiled; f's big path is not: every call goes from compiled code into
    the interpreter and returns into compiled code, with the meter and instruction count exact."""
    program = Program.from_assembly(BRANCHY)
    code = fresh_code(program)
    for data in (bytes([0, 5]), bytes([0, 5])):
        assert_like_reference(code, data)
    before = compiled_starts(code)
    statuses = []
    original = driver.NativeRun.interpret

    def interpret(self, leaders=None, units=None):
        statuses.append(original(self, leaders, units))
        return statuses[-1]

    driver.NativeRun.interpret = interpret
    try:
        assert_like_reference(code, bytes([3, 6]))  # the big path, reached now for the first time
    finally:
        driver.NativeRun.interpret = original
    assert compiled_starts(code) == before  # compiled at the next run, not now
    assert statuses.count(4) >= 6  # the interpreter handed back to compiled code at every return
    assert_like_reference(code, bytes([3, 6]))
    assert compiled_starts(code) > before
    for budget in range(1, 90, 7):  # the budget runs out in compiled and in interpreted blocks
        assert_like_reference(fresh_code(program), bytes([3, 4]), compute_budget=budget)
        assert_like_reference(code, bytes([3, 4]), compute_budget=budget)


def test_an_error_in_uncompiled_code_called_from_compiled_code():
    program = Program.from_assembly(BRANCHY)
    code = fresh_code(program)
    assert_like_reference(code, bytes([1, 2]))
    assert_like_reference(code, bytes([1, 2]))
    failed = assert_like_reference(code, bytes([7, 2]))  # f's wild path: never compiled yet
    assert failed.error.code is ErrorCode.ACCESS_VIOLATION
    failed = assert_like_reference(code, bytes([7, 2]))  # and now compiled
    assert failed.error.code is ErrorCode.ACCESS_VIOLATION and code.holds(failed.error.pc)


@pytest.mark.parametrize("window", [1, 2, 5, 40])
def test_blocks_compiled_in_the_middle_of_a_run(window):
    """A small window compiles what the interpreter reached every few units of the first run: the
    run moves to compiled code at a different block each time."""
    program = Program.from_assembly(BRANCHY)
    code = fresh_code(program, window=window)
    result = assert_like_reference(code, bytes([2, 40]))
    assert code.stats.quick_regions >= 1  # (the blocks reached after the last compile wait for the next run)
    assert result.instructions > 200
    assert_like_reference(code, bytes([0, 9]))
    assert_like_reference(code, bytes([7, 9]))


def test_hot_blocks_move_to_optimized_code_and_quick_code_leaves_for_them(monkeypatch):
    monkeypatch.setattr(driver, "AUTO", driver.AutoPolicy(upgrade_runs=3))
    program = Program.from_assembly(BRANCHY)
    code = jit.compiled_program(program)
    for _ in range(5):
        assert run(program, bytes([2, 30]), engine="jit").summary() == run(program, bytes([2, 30])).summary()
    settle()
    assert code.tier == OPTIMIZED and code.stats.optimized_regions == 1
    moved = set(np.flatnonzero(code.counts == codegen.MOVED).tolist())
    assert moved and moved < compiled_starts(code)
    assert sum(block.end - block.start for block in code.analysis.blocks_at(moved)) <= code.policy.hot_instructions
    for data in (bytes([2, 30]), bytes([0, 3]), bytes([7, 3])):  # the hot loop, other paths, an error
        assert run(program, data, engine="jit").summary() == run(program, data).summary()
    counted = code.counts[list(compiled_starts(code) - moved)]
    assert (counted >= 0).all()  # QUICK blocks still count; moved ones stay moved


def test_a_program_whose_hot_code_is_optimized_is_not_upgraded_again(monkeypatch):
    """After its first OPTIMIZED region, a program is upgraded again only after 16 times the runs,
    and only while QUICK code still runs a tenth of its instructions."""
    monkeypatch.setattr(driver, "AUTO", driver.AutoPolicy(upgrade_runs=2))
    program = Program.from_assembly(BRANCHY)
    code = jit.compiled_program(program)
    for _ in range(4):
        run(program, bytes([2, 30]), engine="jit")
    settle()  # the upgrade due at run 3 is installed
    assert code.stats.optimized_regions == 1 and code.upgrade_after == 16 and not code.upgrading
    for _ in range(40):
        run(program, bytes([2, 30]), engine="jit")
    settle()
    # due again 2 * 16 runs later, and declined: the loop runs on OPTIMIZED code
    assert code.stats.optimized_regions == 1 and code.upgrade_after == 16 * 16


def test_eager_policy_compiles_every_block_at_the_first_run():
    program = Program.from_assembly(BRANCHY)
    code = fresh_code(program, eager=True)
    assert_like_reference(code, bytes([0, 1]))
    assert compiled_starts(code) == set(code.analysis.block_starts.tolist()) and code.tier == QUICK


def test_a_new_process_finds_the_regions_on_disk(monkeypatch):
    program = Program.from_assembly(BRANCHY)
    code = fresh_code(program)
    for _ in range(2):
        assert_like_reference(code, bytes([0, 3]))
    assert code.stats.quick_seconds > 0
    from jitvm.jit.layer import CompileLayer

    monkeypatch.setattr(jit, "LAYER", CompileLayer(jit.BpfGenerator()))
    again = fresh_code(program)
    for _ in range(2):
        assert_like_reference(again, bytes([0, 3]))
    assert again.stats.quick_regions == 1 and again.stats.quick_seconds == 0
    assert compiled_starts(again) == compiled_starts(code)
