"""The VM-level API (jitvm.bpf.vm): runs set up as a conformance harness sets up Solana's VM, read
back whole, equal on every engine; syscalls called on their own; direct mapping's partial writes."""

import random

import pytest

from jitvm.bpf import Program
from jitvm.bpf.errors import ErrorCode
from jitvm.bpf.instruction import Word, encode_words
from jitvm.bpf.memory import MM_HEAP_START, MM_INPUT_START, MM_STACK_START
from jitvm.bpf.vm import InputRegion, call_syscall, run_vm
from jitvm.errors import InputError

from .fixtures import private_jit_cache  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_jit_cache")

ENGINES = ("reference", "baseline", "jit")
A = MM_INPUT_START
REGIONS = (InputRegion(A, b"abcd"), InputRegion(A + 4, b"efgh", writable=False), InputRegion(A + 16, bytes(8)))
EXIT = Word(0x95, 0, 0, 0, 0)


def everywhere(program, **options):
    results = [run_vm(program, engine=engine, **options) for engine in ENGINES]
    assert all(result.summary() == results[0].summary() for result in results), [r.summary() for r in results]
    return results[0]


def asm(text: str, profile: str = "sbpf-v0") -> Program:
    return Program.from_assembly(text, profile=profile)


def test_registers_in_and_out():
    program = asm("add %r0, %r1\nadd %r0, %r5\nmov %r9, 7\nexit")
    result = everywhere(program, registers=[1, 2, 3, 4, 5, 6])
    assert result.r0 == 1 + 2 + 6 and result.registers[:10] == [9, 2, 3, 4, 5, 6, 0, 0, 0, 7]
    assert result.registers[10] == MM_STACK_START + 4096 and result.pc == 3 and result.call_depth == 0


def test_loads_and_stores_across_input_regions():
    program = asm("""
        ldxb %r0, [%r1+1]
        ldxb %r2, [%r1+5]
        stxb [%r1+16], %r2
        stxb [%r1+23], %r0
        exit""")
    result = everywhere(program, input_regions=REGIONS)
    assert result.error is None
    assert result.r0 == ord("b") and result.region(A + 16) == b"f" + bytes(6) + b"b"
    assert result.region(A) == b"abcd" and result.region(A + 4) == b"efgh"


@pytest.mark.parametrize("text,address,size,write", [
    ("stxb [%r1+5], %r0", A + 5, 1, True),    # a read-only region
    ("ldxb %r0, [%r1+9]", A + 9, 1, False),   # between regions
    ("ldxh %r0, [%r1+3]", A + 3, 2, False),   # across two adjacent regions
    ("ldxdw %r0, [%r1+20]", A + 20, 8, False),  # past the last region's end
    ("ldxb %r0, [%r1+24]", A + 24, 1, False),
])
def test_faults_between_and_across_input_regions(text, address, size, write):
    result = everywhere(asm(text + "\nexit"), input_regions=REGIONS)
    error = result.error
    assert error.code is ErrorCode.ACCESS_VIOLATION and (error.address, error.size, error.write) == (address, size, write)
    assert result.pc == 0


def test_prefilled_stack_and_heap():
    program = asm(f"""
        ldxdw %r0, [%r10-4096]
        lddw %r2, {MM_HEAP_START}
        ldxb %r3, [%r2+2]
        add %r0, %r3
        stxb [%r2+3], %r3
        exit""")
    result = everywhere(program, stack=(40).to_bytes(8, "little"), heap=b"\x01\x02\x03", heap_size=64)
    assert result.r0 == 43 and result.region(MM_HEAP_START) == b"\x01\x02\x03\x03" + bytes(60)
    assert result.region(MM_STACK_START)[:8] == (40).to_bytes(8, "little")


def calling(profile: str, callee: list[Word]) -> Program:
    """entry: call the function at 3 (key 7); the callee follows."""
    words = [Word(0x85, 0, 0, 0, 7), EXIT, EXIT, *callee]
    return Program(encode_words(words), profile=profile, functions=((7, 3),))


def test_call_depth_and_pc_of_a_fault_in_a_callee():
    program = calling("sbpf-v0", [Word(0x85, 0, 0, 0, 7)])  # recursion until the limit
    result = everywhere(program)
    assert result.error.code is ErrorCode.CALL_DEPTH_EXCEEDED and result.call_depth == 64 and result.pc == 3
    program = calling("sbpf-v0", [Word(0x71, 0, 1, 0, 0), EXIT])  # ldxb from an unmapped r1
    result = everywhere(program, registers=[0, 0x9_0000_0000])
    assert result.error.code is ErrorCode.ACCESS_VIOLATION and result.call_depth == 1 and result.pc == 3


@pytest.mark.parametrize("options,stride", [({}, 8192), ({"stack_frame_gaps": False}, 4096),
                                            ({"direct_mapping": True}, 4096)])
def test_stack_frame_gaps_are_a_run_option(options, stride):
    program = calling("sbpf-v0", [Word(0xBF, 0, 10, 0, 0), EXIT])  # the callee returns its r10
    assert everywhere(program, **options).r0 == MM_STACK_START + 4096 + stride
    beyond_frame = everywhere(asm("stb [%r10+0], 1\nexit"), **options)  # the first byte after frame 0
    assert (beyond_frame.error is None) == (stride == 4096)


def test_dynamic_frames_keep_r10_across_calls():
    """sBPF v1/v2: a call leaves r10 where `add r10, imm` moved it; fixed frames move to the next."""
    words = [Word(0x07, 10, 0, 0, -64), Word(0x85, 0, 0, 0, 7), EXIT, Word(0xBF, 0, 10, 0, 0), EXIT]
    program = Program(encode_words(words), profile="sbpf-v1", functions=((7, 3),))
    top = MM_STACK_START + 4096 * 64
    assert everywhere(program).r0 == top - 64


def test_random_accesses_over_many_regions_agree_on_every_engine():
    rng = random.Random(12)
    regions, address = [], A
    for _ in range(12):
        address += rng.choice((0, 0, 3, 8))
        size = rng.randint(0, 12)
        regions.append(InputRegion(address, bytes(rng.getrandbits(8) for _ in range(size)), rng.random() < 0.7))
        address += size
    span = address - A + 4
    for _ in range(12):
        lines = []
        for _ in range(6):
            size = rng.choice(("b", "h", "w", "dw"))
            offset = rng.randrange(-2, span)
            where = f"[%r1{offset:+d}]"
            if rng.random() < 0.5:
                lines.append(f"ldx{size} %r{rng.randint(2, 5)}, {where}")
            else:
                lines.append(f"stx{size} {where}, %r{rng.randint(2, 5)}")
        program = asm("mov %r2, 0x5a\n" + "\n".join(lines) + "\nexit")
        everywhere(program, input_regions=regions, registers=[0, A, 0x01020304, 5, 6, 0x7172737475767778])


def test_bad_setups_are_input_errors():
    with pytest.raises(InputError):
        run_vm(asm("exit"), input_regions=[InputRegion(A, b"ab"), InputRegion(A + 1, b"c")])
    with pytest.raises(InputError):
        run_vm(asm("exit"), input_regions=[InputRegion(MM_HEAP_START, b"ab")])
    with pytest.raises(InputError):
        run_vm(asm("exit"), heap=bytes(10), heap_size=4)
    with pytest.raises(InputError):
        run_vm(asm("exit"), engine="auto")


# -- one syscall on its own, and direct mapping --------------------------------------------------------

SPLIT = (InputRegion(A, bytes(4)), InputRegion(A + 4, bytes(4)), InputRegion(A + 8, bytes(2), writable=False))


def test_memset_writes_up_to_the_fault_under_direct_mapping():
    result = call_syscall("sol_memset_", [A + 2, 0x41, 10], input_regions=SPLIT, direct_mapping=True)
    assert result.error.code is ErrorCode.ACCESS_VIOLATION and result.error.address == A + 2
    assert result.error.size == 10 and result.error.write
    assert (result.region(A), result.region(A + 4), result.region(A + 8)) == (b"\0\0AA", b"AAAA", b"\0\0")
    assert result.compute_units == 10


def test_memset_writes_nothing_without_direct_mapping():
    result = call_syscall("sol_memset_", [A + 2, 0x41, 10], input_regions=SPLIT)
    assert result.error.code is ErrorCode.ACCESS_VIOLATION
    assert result.region(A) == bytes(4) and result.region(A + 4) == bytes(4)


def test_memset_across_regions_succeeds_under_direct_mapping_only():
    assert call_syscall("sol_memset_", [A + 2, 1, 4], input_regions=SPLIT, direct_mapping=True).error is None
    assert call_syscall("sol_memset_", [A + 2, 1, 4], input_regions=SPLIT).error is not None


def test_memmove_copies_from_the_end_when_the_destination_overlaps():
    regions = (InputRegion(A, b"abcd"), InputRegion(A + 4, b"efgh"))
    result = call_syscall("sol_memmove_", [A + 1, A, 6], input_regions=regions, direct_mapping=True)
    assert result.error is None and result.region(A) + result.region(A + 4) == b"aabcdefh"


def test_memcpy_partial_write_then_fault_on_the_source():
    regions = (InputRegion(A, b"abcd"), InputRegion(A + 16, bytes(8)))
    result = call_syscall("sol_memcpy_", [A + 16, A, 6], input_regions=regions, direct_mapping=True)
    assert result.error.code is ErrorCode.ACCESS_VIOLATION and not result.error.write and result.error.address == A
    assert result.region(A + 16) == b"abcd" + bytes(4)


def test_memcmp_stops_at_the_first_difference_under_direct_mapping():
    regions = (InputRegion(A, b"abcd"), InputRegion(A + 4, b"abcz"))
    result = call_syscall("sol_memcmp_", [A, A + 4, 8, MM_HEAP_START], input_regions=regions, direct_mapping=True)
    assert result.error is None and int.from_bytes(result.region(MM_HEAP_START)[:4], "little", signed=True) == -22
    plain = call_syscall("sol_memcmp_", [A, A + 4, 8, MM_HEAP_START], input_regions=regions)
    assert plain.error.code is ErrorCode.ACCESS_VIOLATION


def test_call_syscall_logs_and_meters():
    result = call_syscall("sol_log_", [A, 3], input_regions=[InputRegion(A, b"hey")], compute_budget=1000)
    assert result.r0 == 0 and result.logs == ["Program log: hey"] and result.compute_units == 100
    with pytest.raises(InputError):
        call_syscall("sol_nothing")


def test_partial_writes_inside_a_program_agree_on_every_engine():
    from jitvm.bpf.helpers import syscall_key

    program = asm(f"mov %r1, %r6\nmov %r2, 0x41\nmov %r3, 10\ncall {syscall_key('sol_memset_')}\nexit")
    result = everywhere(program, input_regions=SPLIT, registers=[0, 0, 0, 0, 0, 0, A + 2], direct_mapping=True)
    assert result.error.code is ErrorCode.ACCESS_VIOLATION and result.pc == 3
    assert result.region(A + 4) == b"AAAA"


@pytest.mark.parametrize("profile,text,name", [
    ("sbpf-v0", "stb [%r10+0], 1", "StackAccessViolation"),        # the gap after frame 0
    ("sbpf-v0", "ldxb %r0, [%r10-12288]", "AccessViolation"),      # two frames below the stack
    ("sbpf-v0", "ldxb %r0, [%r10-4097]", "StackAccessViolation"),  # the frame under the stack
    ("sbpf-v1", "stb [%r10+0], 1", "AccessViolation"),             # dynamic frames: no stack frames to name
    ("sbpf-v0", "ldxb %r0, [%r1+100]", "AccessViolation"),
    ("sbpf-v0", "mov %r1, 0\ndiv %r0, %r1", "DivideByZero"),
])
def test_runtime_errors_carry_solanas_names(profile, text, name):
    from jitvm.bpf.table import profile_table

    result = everywhere(asm(text + "\nexit", profile), input_regions=REGIONS)
    assert result.error.agave_name(profile_table(profile).profile) == name


def test_a_run_may_start_at_another_instruction():
    result = everywhere(asm("mov %r0, 1\nexit\nmov %r0, 2\nexit"), entry=2)
    assert result.r0 == 2 and result.pc == 3 and result.instructions == 2
    with pytest.raises(InputError):
        run_vm(asm("exit"), entry=1)
