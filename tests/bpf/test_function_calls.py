"""`call imm` to a function the ELF loader registered under a hashed key (sBPF v0-v2): the fast
engines make the call themselves, with the frame, depth limit and errors of the driver's Python
path (which they still take when a helper has the key, or the target is outside the code); the
whole machine state after the run is equal on every engine."""

import pytest

from jitvm.bpf import Program, default_syscalls, driver
from jitvm.bpf.errors import ErrorCode
from jitvm.bpf.instruction import Word, encode_words
from jitvm.bpf.vm import run_vm

from .fixtures import private_jit_cache  # noqa: F401

pytestmark = pytest.mark.usefixtures("private_jit_cache")

ENGINES = ("reference", "baseline", "jit")
KEY = 0x9E3779B9  # a murmur3-sized key (above 2**31: the immediate is sign-extended in the word)
EXIT = Word(0x95, 0, 0, 0, 0)


def call(key: int = KEY) -> Word:
    return Word(0x85, 0, 0, 0, key - (1 << 32) if key >> 31 else key)


def looping_caller(profile: str, target: int = 5) -> Program:
    """Call the function at `target` (key KEY) 20 times; the function adds 3 to r0."""
    words = [Word(0xB7, 6, 0, 0, 0), call(), Word(0x07, 6, 0, 0, 1), Word(0xA5, 6, 0, -3, 20), EXIT,
             Word(0x07, 0, 0, 0, 3), Word(0xBF, 1, 10, 0, 0), EXIT]
    return Program(encode_words(words), profile=profile, functions=((KEY, target),))


@pytest.fixture
def python_calls(monkeypatch):
    """How many calls the driver served in Python (NativeRun.serve_call)."""
    served = []
    original = driver.NativeRun.serve_call

    def counted(run):
        served.append(int(run.state[driver.L.CALL_KEY]))
        return original(run)

    monkeypatch.setattr(driver.NativeRun, "serve_call", counted)
    return served


def everywhere(program, python_calls, **options):
    """The run on every engine (all equal), and the calls each fast engine served in Python."""
    results, served = [], []
    for engine in ENGINES:
        python_calls.clear()
        results.append(run_vm(program, engine=engine, **options))
        served.append(list(python_calls))
    assert all(result.summary() == results[0].summary() for result in results), [r.summary() for r in results]
    return results[0], dict(zip(ENGINES[1:], served[1:]))


@pytest.mark.parametrize("profile", ["sbpf-v0", "sbpf-v1", "sbpf-v2"])
def test_hashed_calls_run_natively_and_agree(profile, python_calls):
    result, served = everywhere(looping_caller(profile), python_calls)
    assert result.error is None and result.r0 == 60 and result.instructions == 20 * 6 + 2
    assert served == {"baseline": [], "jit": []}


@pytest.mark.parametrize("profile", ["sbpf-v0", "sbpf-v1"])
def test_depth_overflow_by_hashed_calls(profile, python_calls):
    words = [call(), EXIT, EXIT, Word(0x07, 0, 0, 0, 1), call()]  # the callee recurses until the limit
    program = Program(encode_words(words), profile=profile, functions=((KEY, 3),))
    result, served = everywhere(program, python_calls)
    assert result.error.code is ErrorCode.CALL_DEPTH_EXCEEDED and result.call_depth == 64 and result.pc == 4
    assert result.registers[0] == 63 and served == {"baseline": [], "jit": []}


def test_an_unregistered_key_is_an_unknown_helper(python_calls):
    words = [Word(0xB7, 0, 0, 0, 5), call(KEY + 1), EXIT, Word(0x07, 0, 0, 0, 3), EXIT]
    program = Program(encode_words(words), profile="sbpf-v1", functions=((KEY, 3),))
    result, served = everywhere(program, python_calls)
    assert result.error.code is ErrorCode.UNKNOWN_HELPER and result.pc == 1
    assert served == {"baseline": [KEY + 1], "jit": [KEY + 1]}


def test_a_helper_with_the_key_takes_precedence(python_calls):
    helpers = default_syscalls().copy()
    helpers.register(KEY, "collides", lambda context, *args: 100)
    result, served = everywhere(looping_caller("sbpf-v1"), python_calls, helpers=helpers)
    assert result.error is None and result.r0 == 100 and served == {"baseline": [KEY] * 20, "jit": [KEY] * 20}


def test_a_target_outside_the_code_fails_after_the_push(python_calls):
    result, served = everywhere(looping_caller("sbpf-v1", target=1000), python_calls)
    assert result.error.code is ErrorCode.CALL_OUTSIDE_TEXT and result.call_depth == 1
    assert served == {"baseline": [KEY], "jit": [KEY]}


def test_static_syscall_profiles_never_call_by_key(python_calls):
    """sBPF v3: `call imm` names a syscall only; a registered key is no function."""
    program = looping_caller("sbpf-v3")
    result, _ = everywhere(program, python_calls)
    assert result.error is not None


def test_the_memo_program_calls_its_functions_natively_in_the_runtime():
    """SPL Memo (sBPF v1, about 390 calls by key per transaction): the runtime's prepared runs let the
    engines make them (the bench's `svm/mixed` workload checks the results against LiteSVM)."""
    from pathlib import Path

    from jitvm.bpf import load_elf_file
    from jitvm.bpf.baseline import layout
    from jitvm.svm.vm import PreparedProgram

    memo = Path(driver.__file__).parents[1] / "bench" / "data" / "svm" / "programs" / "memo.so"
    program = load_elf_file(memo)
    lowered = layout.lower(program)
    assert len(lowered.function_keys) > 10
    assert (lowered.field(layout.OPERATION) == layout.OP["call_function"]).sum() >= len(lowered.function_keys)
    prepared = PreparedProgram(program, default_syscalls(), 32 * 1024)
    assert prepared.state[layout.NATIVE_FUNCTION_CALLS] == 1


def test_the_compile_cache_key_covers_the_functions_by_key():
    """The same code with the function under another key compiles to other code (a call_key)."""
    from jitvm.bpf.jit.compile import cache_key

    program = looping_caller("sbpf-v1")
    renamed = Program(program.code, profile=program.profile, functions=((KEY + 1, 5),))
    assert cache_key(program) != cache_key(renamed)
