"""Every fast engine against the reference: the bpf_conformance suite, the sBPF ELFs, the benchmark
programs at full size, and random programs. Two engines agree when their results (r0 or the typed
error, instruction count, compute units, logs) and their final memory are the same."""

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jitvm.bpf.conformance import check_test, load_test
from jitvm.bpf.elf import load_elf_file
from jitvm.bpf.engines import run
from jitvm.bpf.errors import AssemblyError, ElfError, VerifyError
from jitvm.bpf.helpers import SyscallFailure, default_ebpf_helpers, syscall_key
from jitvm.bpf.memory import MM_PROGRAM_START
from jitvm.bpf import driver
from jitvm.bpf.jit import compile as jit
from jitvm.bpf.jit.program_code import CompilePolicy, ProgramCode
from jitvm.bpf.program import Program
from jitvm.bpf.syscalls import default_syscalls, sol_log
from jitvm.jit import ObjectCache

from .fixtures import BENCH, CONFORMANCE, SBPF, files, require

FAST_ENGINES = ("baseline", "jit", "auto")
TESTS = files(CONFORMANCE / "tests", "*.data")
ELFS = files(SBPF, "*.so")  # those the loader accepts are run (the rest is test_sbpf_elf.py's)


@pytest.fixture(scope="module")
def private_jit_cache(tmp_path_factory):
    """Random programs are compiled into a cache of this run, not the user's (the fixture programs
    go to the default cache: it is content-addressed, and a second run loads them)."""
    saved = jit.CACHE
    jit.CACHE = ObjectCache(tmp_path_factory.mktemp("jit-cache"))
    yield
    jit.CACHE = saved


def memory_image(result):
    return [None if region is None else bytes(region.data) for region in result.memory.regions]


def assert_same(expected, actual, engine):
    assert actual.summary() == expected.summary(), engine
    assert memory_image(actual) == memory_image(expected), engine


# -- bpf_conformance -------------------------------------------------------------------------------

def test_conformance_suite_is_present():
    require(CONFORMANCE / "tests")
    assert len(TESTS) == 313


@pytest.mark.parametrize("engine", FAST_ENGINES)
@pytest.mark.parametrize("path", TESTS, ids=[path.name for path in TESTS])
def test_conformance(path, engine):
    test = load_test(path)
    outcome = check_test(test, engine=engine)
    assert outcome.passed, outcome.message
    try:
        program = Program(test.bytecode(), source=test.name)
        program.decoded
    except (AssemblyError, VerifyError):
        return
    assert_same(run(program, test.memory), run(program, test.memory, engine=engine), engine)


def lazy_runs(program, data, window: int, runs: int = 3, **options) -> list:
    """`runs` runs of `program` on a new lazily compiled code (jitvm.bpf.jit.program_code) whose
    interpreter compiles what it reached every `window` units: the first run moves to compiled
    code in its middle, the later ones start on it."""
    code = ProgramCode(program, jit.program_digest(program), jit.LAYER, jit.CACHE,
                       CompilePolicy(eager=False, window=window))
    return [driver.NativeRun(program, data, **options).run_tiered(code) for _ in range(runs)]


@pytest.mark.parametrize("path", TESTS, ids=[path.name for path in TESTS])
def test_conformance_compiled_lazily(path, private_jit_cache):
    test = load_test(path)
    try:
        program = Program(test.bytecode(), source=test.name)
        program.decoded
    except (AssemblyError, VerifyError):
        return
    expected = run(program, test.memory)
    for actual in lazy_runs(program, test.memory, window=2):
        assert_same(expected, actual, "lazy jit")


# -- sBPF ELF files ----------------------------------------------------------------------------------

def _syscalls_with_log():
    syscalls = default_syscalls()
    syscalls.register_syscall("log", sol_log)
    return syscalls


def _loadable(path):
    try:
        return load_elf_file(path, syscalls=_syscalls_with_log())
    except ElfError:
        return None


LOADABLE = [path for path in ELFS if _loadable(path) is not None]


def test_loadable_elfs():
    require(SBPF)
    assert len(LOADABLE) == 18  # 15 that run to a result, 2 that only load, callx_unaligned


@pytest.mark.parametrize("engine", FAST_ENGINES)
@pytest.mark.parametrize("path", LOADABLE, ids=[path.name for path in LOADABLE])
def test_sbpf_elf(path, engine):
    program = _loadable(path)
    expected = run(program, bytes(range(1, 9)), helpers=_syscalls_with_log())
    actual = run(program, bytes(range(1, 9)), helpers=_syscalls_with_log(), engine=engine)
    assert_same(expected, actual, engine)
    assert actual.compute_units == expected.compute_units
    if engine == "jit":
        for actual in lazy_runs(program, bytes(range(1, 9)), window=3, helpers=_syscalls_with_log()):
            assert_same(expected, actual, "lazy jit")


# -- the benchmark programs at full size --------------------------------------------------------------

def _bench_cases():
    from jitvm.bench.workloads import bundled_bpf_cases

    if not BENCH.exists():
        return []
    return [case for case in bundled_bpf_cases(BENCH.parents[1]) if case.name.endswith("/full")]


BENCH_CASES = _bench_cases()


def test_bench_programs_are_present():
    require(BENCH)
    assert len(BENCH_CASES) == 7


@pytest.mark.parametrize("engine", ("baseline", "jit"))
@pytest.mark.parametrize("case", BENCH_CASES, ids=[case.name for case in BENCH_CASES])
def test_bench_programs_at_full_size(case, engine):
    result = run(case.program, case.memory.build(), engine=engine)
    assert (result.r0, result.error, result.instructions) == (case.expected_r0, None, case.expected_instructions)


# -- random programs -----------------------------------------------------------------------------------

REGISTERS = [f"%r{i}" for i in range(10)]
ALU = ["add", "sub", "mul", "div", "mod", "or", "and", "xor", "lsh", "rsh", "arsh", "mov"]
JUMPS = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jset", "jsgt", "jsge", "jslt", "jsle"]
SIZES = ["b", "h", "w", "dw"]
V2_PRODUCTS = {"mul": ["lmul", "uhmul", "shmul"], "div": ["udiv", "sdiv"], "mod": ["urem", "srem"]}
INPUT = bytes(range(32))
MEMSET = syscall_key("sol_memset_")


def _sum_bytes(context, address, length, *_):
    """A user helper that reads program memory (an access violation inside it is the call's)."""
    if length > 64:
        raise SyscallFailure("too long")
    context.consume(length)
    return sum(context.read(address, length))


def helpers_for(profile):
    registry = default_syscalls() if profile.startswith("sbpf") else default_ebpf_helpers()
    registry.register(7, "sum_bytes", _sum_bytes)
    return registry


def _alu(draw, profile, register, source, immediates):
    sbpf = profile.startswith("sbpf")
    operation = draw(st.sampled_from(ALU + ([] if sbpf else ["sdiv", "smod"])))
    suffix = draw(st.sampled_from(["", "32"]))
    if profile == "sbpf-v2" and operation in V2_PRODUCTS:  # SIMD-0174's PQR class
        operation = draw(st.sampled_from(V2_PRODUCTS[operation]))
        suffix = "64" if operation in ("uhmul", "shmul") else suffix or "64"
    if not draw(st.booleans()):
        return [f"{operation}{suffix} {register}, {source}"]
    value = draw(immediates)
    if sbpf and operation in ("div", "mod", "udiv", "urem", "sdiv", "srem") and value == 0:
        value = 3  # sBPF's verifier rejects a constant zero divisor
    if sbpf and operation in ("lsh", "rsh", "arsh"):
        value %= 32 if suffix else 64
    return [f"{operation}{suffix} {register}, {value}"]


def _memory(draw, profile, register, source, immediates):
    base = draw(st.sampled_from(["%r1", "%r10", "%r10", source]))
    size = draw(st.sampled_from(SIZES))
    operand = f"[{base}{draw(st.one_of(st.integers(-24, 40), st.sampled_from([-512, -4096, -8, 4096]))):+d}]"
    form = draw(st.sampled_from(["ldx", "st", "stx"] + ([] if profile.startswith("sbpf") else ["lock"])))
    if form == "ldx":
        return [f"ldx{size} {register}, {operand}"]
    if form == "st":
        return [f"st{size} {operand}, {draw(immediates)}"]
    if form == "stx":
        return [f"stx{size} {operand}, {source}"]
    operation = draw(st.sampled_from(["add", "fetch add", "or", "fetch xor", "xchg", "cmpxchg"]))
    return [f"lock {operation}{draw(st.sampled_from(['', '32']))} {operand}, {register}"]


def _call(draw, profile, count):
    if not profile.startswith("sbpf"):
        choice = draw(st.sampled_from(["unwind", "sum", "local", "unknown", "callx"]))
        if choice == "callx":  # eBPF: the register holds a helper id
            return [f"mov %r8, {draw(st.sampled_from([5, 7, 8]))}", "callx %r8"]
        if choice == "unwind":
            return ["call 5"]
        if choice == "sum":
            return [f"mov %r1, {draw(st.sampled_from(['%r10', '%r1', '%r3']))}",
                    f"mov %r2, {draw(st.integers(0, 80))}", "call 7"]
        if choice == "local":
            return [f"call local L{draw(st.integers(0, count))}"]
        return ["call 99"]
    choice = draw(st.sampled_from(["memset", "log", "callx", *(["local"] if profile == "sbpf-v3" else [])]))
    if choice == "callx":  # any word of the text: the middle of a block or of an lddw too
        address = 8 * draw(st.integers(0, 2 * count)) + draw(st.sampled_from([0, 0, 3]))
        if profile == "sbpf-v2":  # no lddw: mov32 and hor64 build the address
            return [f"mov32 %r8, {address}", "hor64 %r8, 1", "callx %r8"]
        return [f"lddw %r8, {MM_PROGRAM_START + address:#x}", "callx %r8"]
    if choice == "memset":
        return ["mov %r1, %r10", "sub %r1, 16", "mov %r3, 8", f"call 0x{MEMSET:x}"]
    if choice == "log":
        return [f"call 0x{syscall_key('sol_log_64_'):x}"]
    return [f"call local L{draw(st.integers(0, count))}"]


def _other(draw, profile, register, immediates):
    choice = draw(st.sampled_from(["lddw", "neg", "swap", "exit"]))
    if profile == "sbpf-v2" and choice in ("lddw", "neg"):  # replaced by hor64 in v2
        return [f"hor64 {register}, {draw(immediates)}"]
    if choice == "lddw":
        return [f"lddw {register}, {draw(st.integers(0, (1 << 64) - 1)):#x}"]
    if choice == "neg":
        return [f"neg{draw(st.sampled_from(['', '32']))} {register}"]
    if choice == "swap":
        return [f"be{draw(st.sampled_from(['16', '32', '64']))} {register}"]
    return ["exit"]


@st.composite
def random_program(draw, profile):
    """Valid programs of `profile`: ALU with edge values, loads, stores and atomics in and out of
    bounds, jumps forward and back (the budget ends loops), helpers, syscalls and local calls."""
    count = draw(st.integers(3, 24))
    immediates = st.one_of(st.integers(-3, 40), st.sampled_from([-(1 << 31), (1 << 31) - 1, 0x7FFF, 64, 63]))
    lines = []
    for index in range(count):
        register = draw(st.sampled_from(REGISTERS))
        source = draw(st.sampled_from(REGISTERS + ["%r10"]))
        kind = draw(st.sampled_from(["alu", "alu", "alu", "mem", "mem", "jump", "jump", "call", "other"]))
        if kind == "alu":
            words = _alu(draw, profile, register, source, immediates)
        elif kind == "mem":
            words = _memory(draw, profile, register, source, immediates)
        elif kind == "jump":
            target = draw(st.integers(0, count))
            operation = draw(st.sampled_from(JUMPS + ["ja"]))
            if operation == "ja":
                words = [f"ja L{target}"]
            else:
                operand = source if draw(st.booleans()) else str(draw(immediates))
                width = draw(st.sampled_from(["", "32"])) if profile in ("ebpf-v4", "sbpf-v3") else ""
                words = [f"{operation}{width} {register}, {operand}, L{target}"]
        elif kind == "call":
            words = _call(draw, profile, count)
        else:
            words = _other(draw, profile, register, immediates)
        lines += [f"L{index}:", *words]
    lines += [f"L{count}:", "exit"]
    return "\n".join(lines)


@pytest.mark.parametrize("profile", ["ebpf-v4", "ebpf-v1", "sbpf-v0", "sbpf-v2", "sbpf-v3"])
def test_random_programs(profile, private_jit_cache, monkeypatch):
    # 'auto' moves every run to the JIT after a few units, wherever the interpreter happens to be
    monkeypatch.setattr(driver, "AUTO", driver.AutoPolicy(hot_runs=1 << 30, hot_units=5))

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=random_program(profile), budget=st.sampled_from([7, 50, 400]), window=st.sampled_from([1, 3, 20]))
    def check(text, budget, window):
        try:
            program = Program.from_assembly(text, profile)
            program.decoded
        except (AssemblyError, VerifyError):
            assume(False)
        expected = run(program, INPUT, helpers=helpers_for(profile), compute_budget=budget)
        for engine in FAST_ENGINES:
            actual = run(program, INPUT, helpers=helpers_for(profile), compute_budget=budget, engine=engine)
            assert_same(expected, actual, engine)
        for actual in lazy_runs(program, INPUT, window, helpers=helpers_for(profile), compute_budget=budget):
            assert_same(expected, actual, f"lazy jit, window {window}")

    check()
