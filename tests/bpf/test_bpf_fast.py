"""The fast engines' own machinery: lowering from the table, exact metering and errors inside JIT
blocks, helpers leaving and re-entering, functions split into parts, the object cache, and 'auto'."""

import pytest

from jitvm.bpf.engines import ENGINES, run
from jitvm.bpf.errors import ErrorCode, VmError
from jitvm.bpf.helpers import HelperExit, SyscallFailure, default_ebpf_helpers
from jitvm.bpf.instruction import Word
from jitvm.bpf.memory import MM_PROGRAM_START
from jitvm.bpf import driver
from jitvm.bpf.baseline import layout
from jitvm.bpf.jit import codegen
from jitvm.bpf.jit import compile as jit
from jitvm.bpf.program import Program
from jitvm.bpf.table import load_table
from jitvm.bpf.verifier import Decoded
from jitvm.errors import InputError
from jitvm.jit import ObjectCache
from jitvm.jit.layer import CompileLayer

LOOP = """
mov %r0, 0
mov %r2, 0
loop:
add %r0, %r2
mov %r3, %r0
xor %r3, 5
add %r2, 1
jlt %r2, 100, loop
exit
"""


@pytest.fixture(autouse=True, scope="module")
def private_jit_cache(tmp_path_factory):
    saved = jit.CACHE
    jit.CACHE = ObjectCache(tmp_path_factory.mktemp("jit-cache"))
    yield
    jit.CACHE = saved


def same_everywhere(program, data=b"", **options):
    expected = run(program, data, **options)
    for engine in ("baseline", "jit", "auto"):
        assert run(program, data, engine=engine, **options).summary() == expected.summary(), engine
    return expected


def test_registry():
    assert ENGINES == ("reference", "baseline", "jit", "auto")
    with pytest.raises(InputError):
        run(Program.from_assembly("exit"), engine="fastest")


def test_every_row_of_every_profile_has_a_kernel_operation():
    table = load_table()
    for name, profile in table.profiles.items():
        for row in table.for_profile(name).instructions:
            fields = {"src": 0, "off": 0, "imm": 0, **dict(row.match)}
            word = Word(row.opcode, 0, fields["src"], fields["off"], fields["imm"])
            assert layout.operation(Decoded(row, word, word.imm), profile) in layout.OP, (name, row.mnemonic)


@pytest.mark.parametrize("profile", ["sbpf-v0", "sbpf-v3", "ebpf-v4"])
def test_budget_exhaustion_inside_a_block_is_exact(profile):
    """The loop body is one 5-instruction block: every budget ends at a different instruction of it."""
    program = Program.from_assembly(LOOP, profile)
    for budget in range(1, 40):
        result = same_everywhere(program, compute_budget=budget)
        assert result.error.code is ErrorCode.COMPUTE_BUDGET_EXCEEDED and result.compute_units == budget


def test_errors_inside_a_block_report_their_own_pc_and_counts():
    text = "mov %r2, 1\nadd %r2, 2\nldxw %r0, [%r1+{}]\nadd %r0, 1\nexit"
    for offset in (0, 4, 5, 100):
        result = same_everywhere(Program.from_assembly(text.format(offset)), bytes(8))
        if offset > 4:
            assert result.error.code is ErrorCode.ACCESS_VIOLATION and result.error.pc == 2
            assert result.instructions == 3


def test_division_errors_in_sbpf_and_defined_results_in_ebpf():
    text = "mov %r0, 7\nmov %r1, {}\n{} %r0, %r1\nadd %r0, 1\nexit"
    for profile in ("ebpf-v4", "sbpf-v0"):
        for operation in ("div", "mod", "div32", "mod32"):
            same_everywhere(Program.from_assembly(text.format(0, operation), profile))
    for operation in ("sdiv", "smod", "sdiv32", "smod32"):
        for divisor in (0, -1):
            same_everywhere(Program.from_assembly(
                f"lddw %r0, 0x8000000080000000\nmov %r1, {divisor}\n{operation} %r0, %r1\nexit"))


def test_helpers_leave_and_reenter():
    calls = []
    helpers = default_ebpf_helpers()

    def triple(context, r1, *rest):
        calls.append(r1)
        context.consume(2)
        return 3 * r1

    def stop_at(context, r1, *rest):
        if r1 == 4:
            raise HelperExit(99)
        return 0

    def refuse(context, r1, *rest):
        raise SyscallFailure("no")

    helpers.register(7, "triple", triple)
    helpers.register(8, "stop_at", stop_at)
    helpers.register(9, "refuse", refuse)
    loop = "mov %r6, 0\nloop:\nmov %r1, %r6\ncall {}\nadd %r6, 1\njlt %r6, 10, loop\nmov %r0, %r6\nexit"
    result = same_everywhere(Program.from_assembly(loop.format(7)), helpers=helpers)
    assert result.r0 == 10 and result.compute_units == result.instructions + 20
    assert same_everywhere(Program.from_assembly(loop.format(8)), helpers=helpers).r0 == 99
    refused = same_everywhere(Program.from_assembly(loop.format(9)), helpers=helpers)
    assert refused.error == VmError(ErrorCode.SYSCALL_ERROR, 2, value=9, detail="no")
    exhausted = same_everywhere(Program.from_assembly(loop.format(7)), helpers=helpers, compute_budget=20)
    assert exhausted.error.code is ErrorCode.COMPUTE_BUDGET_EXCEEDED and exhausted.compute_units == 20


def test_errors_worded_by_the_reference():
    same_everywhere(Program(bytes.fromhex("1810000001000000" "0000000000000000" "9500000000000000")))  # map fd
    same_everywhere(Program(bytes.fromhex("8520000001000000" "9500000000000000")))  # call by BTF id


def test_sbpf_stack_frames_gaps_and_depth():
    recursive = "mov %r6, 3\ncall local f\nexit\nf:\nstxdw [%r10-8], %r6\nstb [%r10{:+d}], 1\ncall local f\nexit"
    for offset in (-9, 0, 4095, 5000):
        result = same_everywhere(Program.from_assembly(recursive.format(offset), "sbpf-v3"))
        assert result.error.code in (ErrorCode.CALL_DEPTH_EXCEEDED, ErrorCode.ACCESS_VIOLATION)
    gapped = "stb [%r10-1], 1\nstb [%r10{:+d}], 2\nldxb %r0, [%r10-1]\nexit"  # v0: 4 KiB gaps between frames
    for offset in (0, 4095, 4096, 8191, 8192, -4097):
        same_everywhere(Program.from_assembly(gapped.format(offset), "sbpf-v0"))


def test_callx_into_the_middle_of_a_block():
    """sBPF callx may target any instruction: the interpreter runs until the next block start."""
    text = f"""
    lddw %r1, {MM_PROGRAM_START + 8 * 6:#x}
    callx %r1
    add %r0, 100
    exit
    mov %r0, 1
    add %r0, 2
    add %r0, 3
    exit
    """
    result = same_everywhere(Program.from_assembly(text, "sbpf-v3"))
    assert result.r0 == 105


def test_functions_split_into_parts_run_alike():
    """A tiny part size puts jumps, calls and returns across function boundaries."""
    programs = [Program.from_assembly(LOOP), Program.from_assembly(
        "mov %r6, 0\nloop:\nmov %r1, %r6\ncall local f\nadd %r6, 1\njlt %r6, 5, loop\nexit\n"
        "f:\nmov %r0, %r1\nlsh %r0, 2\njgt %r0, 8, big\nexit\nbig:\nadd %r0, 1\nexit")]
    for program in programs:
        expected = run(program)
        for per_function in (1, 2, 3):
            compiled = jit.build(program, ObjectCache(enabled=False), blocks_per_function=per_function)
            result = driver.NativeRun(program, b"").run_tiered(compiled)
            assert result.summary() == expected.summary()


def test_object_cache_and_in_process_table(tmp_path, monkeypatch):
    monkeypatch.setattr(jit, "LAYER", CompileLayer(jit.BpfGenerator()))
    monkeypatch.setattr(jit, "_PROGRAMS", type(jit._PROGRAMS)())
    cache = ObjectCache(tmp_path)
    program = Program.from_assembly(LOOP.replace("100", "101"))
    first = jit.compiled_program(program, cache)
    assert run(program, engine="jit").summary() == run(program).summary()
    assert cache.stats.misses == 1 and first.stats.quick_seconds > 0 and first.stats.quick_regions == 1
    assert jit.compiled_program(program, cache) is first and jit.loaded_in_process(program)
    monkeypatch.setattr(jit, "_PROGRAMS", type(jit._PROGRAMS)())
    monkeypatch.setattr(jit, "LAYER", CompileLayer(jit.BpfGenerator()))
    second = jit.compiled_program(program, cache)
    assert second is not first and run(program, engine="jit").summary() == run(program).summary()
    assert cache.stats.hits == 1 and second.stats.quick_seconds == 0 and second.stats.quick_regions == 1
    assert jit.cache_key(program) != jit.cache_key(Program(program.code, profile="ebpf-v3"))


def test_auto_moves_a_hot_run_to_the_jit(monkeypatch):
    monkeypatch.setattr(jit, "_PROGRAMS", type(jit._PROGRAMS)())
    monkeypatch.setattr(driver, "AUTO", driver.AutoPolicy(hot_runs=100, hot_units=60))
    program = Program.from_assembly(LOOP.replace("100", "102"))
    assert run(program, engine="auto").summary() == run(program).summary()
    assert jit.loaded_in_process(program)
    cold = Program.from_assembly(LOOP.replace("100", "10"))  # 53 units: ends before it is hot
    assert run(cold, engine="auto").summary() == run(cold).summary()
    assert not jit.loaded_in_process(cold)


def test_generated_ir_names_its_blocks():
    ir, starts = codegen.generate(Program.from_assembly(LOOP))
    assert starts == [0, 2, 7] and f"define ptr @{codegen.FUNCTIONS}(i64 %index)" in ir and "%b2:" not in ir and "b2:" in ir
    region, starts = codegen.generate(Program.from_assembly(LOOP), [2], counting=False)
    assert starts == [2] and "b2:" in region and "b0:" not in region and "%counts, i64 2" not in region
