"""Version-dependent semantics and typed errors of the reference interpreter."""

import pytest

from jitvm.bpf.engines import run
from jitvm.bpf.errors import ErrorCode, VerifyError
from jitvm.bpf.helpers import HelperRegistry, default_ebpf_helpers
from jitvm.bpf.memory import MM_INPUT_START, MM_STACK_START
from jitvm.bpf.program import Program


def execute(text, profile="ebpf-v4", data=b"", **options):
    return run(Program.from_assembly(text, profile), data, **options)


def test_ebpf_division_by_zero_is_defined():
    assert execute("mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit").r0 == 0
    assert execute("mov %r0, 7\nmov %r1, 0\nmod %r0, %r1\nexit").r0 == 7


def test_sbpf_division_by_zero_is_an_error():
    result = execute("mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit", "sbpf-v0")
    assert result.error.code is ErrorCode.DIVIDE_BY_ZERO and result.error.pc == 2


def test_sbpf_rejects_a_constant_zero_divisor():
    with pytest.raises(VerifyError):
        Program.from_assembly("div %r0, 0\nexit", "sbpf-v0").decoded


def test_sbpf_v0_sign_extends_32_bit_add():
    text = "mov32 %r0, 0x7fffffff\nadd32 %r0, 1\nexit"
    assert execute(text, "sbpf-v0").r0 == 0xFFFFFFFF80000000
    assert execute(text, "ebpf-v4").r0 == 0x80000000
    assert execute(text, "sbpf-v2").r0 == 0x80000000


def test_sbpf_v2_reverses_sub_immediate():
    assert execute("mov %r0, 3\nsub %r0, 10\nexit", "sbpf-v2").r0 == 7
    assert execute("mov %r0, 3\nsub %r0, 10\nexit", "sbpf-v0").r0 == (3 - 10) & (2**64 - 1)


def test_access_violation_reports_the_address():
    result = execute("ldxw %r0, [%r1+4]\nexit", data=b"\1\2\3")
    error = result.error
    assert error.code is ErrorCode.ACCESS_VIOLATION and error.address == MM_INPUT_START + 4
    assert error.size == 4 and not error.write and error.pc == 0


def test_stack_gap_between_sbpf_v0_frames():
    # r10 starts at the top of frame 0; the 4 KiB above it are a gap in v0, frame memory in v3
    text = "stb [%r10+0], 1\nmov %r0, 0\nexit"
    gap = execute(text, "sbpf-v0").error
    assert gap.code is ErrorCode.ACCESS_VIOLATION and gap.address == MM_STACK_START + 4096 and gap.write
    assert execute(text, "sbpf-v3").ok


def test_compute_budget():
    result = execute("loop:\nja loop", "sbpf-v0", compute_budget=1000)
    assert result.error.code is ErrorCode.COMPUTE_BUDGET_EXCEEDED and result.compute_units == 1000


def test_call_depth_limit():
    result = execute("call local f\nexit\nf:\ncall local f\nexit")
    assert result.error.code is ErrorCode.CALL_DEPTH_EXCEEDED and result.error.value == 8


def test_users_extend_the_helpers():
    helpers = default_ebpf_helpers()
    helpers.register(7, "double", lambda context, r1, *rest: 2 * r1)
    assert execute("mov %r1, 21\ncall 7\nexit", helpers=helpers).r0 == 42
    assert execute("call 8\nexit", helpers=HelperRegistry()).error.code is ErrorCode.UNKNOWN_HELPER


def test_unwind_helper_ends_the_program():
    assert execute("mov %r1, 0\ncall 5\nmov %r0, 9\nexit").r0 == 0


def test_sbpf_syscalls_reach_memory():
    text = """
    mov %r1, %r1
    mov %r6, %r1
    mov %r2, 0x61
    mov %r3, 4
    mov %r1, %r6
    call 0x{memset:x}
    ldxw %r0, [%r6]
    exit
    """
    from jitvm.bpf.helpers import syscall_key

    result = execute(text.format(memset=syscall_key("sol_memset_")), "sbpf-v0", data=bytes(8))
    assert result.r0 == 0x61616161 and result.compute_units == 8 + 10
