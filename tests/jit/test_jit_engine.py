"""Compile IR, link it into the process-wide JIT, call it through ctypes: the end-to-end path."""

import bisect
import ctypes
import threading

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jit_sample_ir import (
    DIVISIONS_IR,
    LOOP_AND_DIVIDE_IR,
    loop_and_divide_expected,
    run_sample_program,
    sample_program,
    sample_program_module,
)
from jitvm.jit import JitLinkError, compile_module, compiler_rt, engine, load_objects, symbols

U128 = (1 << 128) - 1


def test_loop_and_i128_division_match_python():
    code = load_objects([compile_module(LOOP_AND_DIVIDE_IR)], ["loop_and_divide"])
    loop_and_divide = code.function("loop_and_divide", ctypes.c_uint64, ctypes.POINTER(ctypes.c_uint64))
    for n, high, divisor in [(0, 0, 1), (10, 3, 7), (1000, 2**63 + 5, 2**64 - 1), (3, 1, 2**63)]:
        assert loop_and_divide((ctypes.c_uint64 * 3)(n, high, divisor)) == loop_and_divide_expected(
            n, high, divisor
        )


def test_blocks_split_over_functions_run_like_the_python_model():
    program = sample_program(400)
    ir, names = sample_program_module(program, blocks_per_function=150)
    assert len(names) == 3
    code = load_objects([compile_module(ir)], names)
    regions = {int(name.split("_")[1]): code.function(name, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64)
               for name in names}
    region_starts = sorted(regions)
    for steps in (0, 1, 17, 2000):
        state = (ctypes.c_uint64 * 2)(0, steps)  # acc, steps left
        block = 0
        while block < len(program) and state[1] > 0:
            region = region_starts[bisect.bisect_right(region_starts, block) - 1]
            block = regions[region](ctypes.addressof(state), block)
        assert (state[0], block) == run_sample_program(program, steps)


def _to_words(value: int) -> list[int]:
    value &= U128
    return [value & (2**64 - 1), value >> 64]


def _signed(value: int) -> int:
    return value - (1 << 128) if value >> 127 else value


def _expected_divisions(a: int, b: int) -> list[int]:
    sa, sb = _signed(a), _signed(b)
    quotient = abs(sa) // abs(sb) * (1 if (sa < 0) == (sb < 0) else -1)  # truncates toward zero
    remainder = sa - quotient * sb
    return [a // b, a % b, quotient & U128, remainder & U128]


def _divisions_with(imports):
    code = load_objects([compile_module(DIVISIONS_IR)], ["divisions"], imports=imports)
    function = code.function("divisions", None, ctypes.POINTER(ctypes.c_uint64))

    def divide(a: int, b: int) -> list[int]:
        buffer = (ctypes.c_uint64 * 12)(*_to_words(a), *_to_words(b))
        function(buffer)
        return [buffer[4 + 2 * i] | buffer[5 + 2 * i] << 64 for i in range(4)]

    return divide


@pytest.fixture(scope="module")
def native_divisions():
    return _divisions_with(imports=None)  # the registered helpers (libgcc_s here)


@pytest.fixture(scope="module")
def fallback_divisions():
    fallback = engine().load_objects(
        [compile_module(compiler_rt.FALLBACK_IR)], list(compiler_rt.DIVISION_SIGNATURES), imports={}
    )
    divide = _divisions_with(imports=fallback.addresses)
    divide.keep_alive = fallback
    return divide


u128 = st.one_of(
    st.integers(0, U128),
    st.integers(0, 2**64),
    st.integers(0, 300),
    st.sampled_from([1, 2**63, 2**64 - 1, 2**64, 2**127 - 1, 2**127, 2**127 + 1, U128, U128 - 1]),
)


@settings(max_examples=150, deadline=None)
@given(a=u128, b=u128)
def test_native_128_bit_division_matches_python(native_divisions, a, b):
    assume(b != 0 and not (a == 2**127 and b == U128))  # LLVM leaves both undefined
    assert native_divisions(a, b) == _expected_divisions(a, b)


@settings(max_examples=150, deadline=None)
@given(a=u128, b=u128)
def test_fallback_128_bit_division_matches_python(fallback_divisions, a, b):
    assume(b != 0 and not (a == 2**127 and b == U128))
    assert fallback_divisions(a, b) == _expected_divisions(a, b)


def test_compiler_rt_division_is_registered_after_the_engine_starts():
    engine()
    assert set(compiler_rt.DIVISION_SIGNATURES) <= set(symbols.addresses())


def test_an_unresolved_symbol_raises_instead_of_crashing():
    ir = "declare i64 @jitvm_test_nowhere(i64)\ndefine i64 @calls_nowhere(i64 %x) {\n" \
         "  %y = call i64 @jitvm_test_nowhere(i64 %x)\n  ret i64 %y\n}\n"
    with pytest.raises(JitLinkError):
        load_objects([compile_module(ir)], ["calls_nowhere"])


def test_registered_helper_is_callable_from_generated_code():
    triple = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)(lambda x: 3 * x)
    address = ctypes.cast(triple, ctypes.c_void_p).value
    symbols.register("jitvm_test_triple", address, "i64 (i64)")
    ir = symbols.declarations(["jitvm_test_triple"]) + (
        "define i64 @triple_plus_one(i64 %x) {\n"
        "  %y = call i64 @jitvm_test_triple(i64 %x)\n  %z = add i64 %y, 1\n  ret i64 %z\n}\n"
    )
    code = load_objects([compile_module(ir)], ["triple_plus_one"])
    assert code.function("triple_plus_one", ctypes.c_int64, ctypes.c_int64)(14) == 43
    triple.keep_alive = code  # the callback must outlive calls into it


def test_symbol_registry_declares_and_refuses_conflicts():
    symbols.register("jitvm_test_helper", 0x1000, "void  (ptr,i64)")
    assert symbols.lookup("jitvm_test_helper").declaration() == "declare void @jitvm_test_helper(ptr,i64)"
    symbols.register("jitvm_test_helper", 0x1000, "void (ptr,i64)")  # same again: fine
    with pytest.raises(ValueError, match="already registered"):
        symbols.register("jitvm_test_helper", 0x2000, "void (ptr,i64)")
    with pytest.raises(ValueError, match="function type"):
        symbols.register("jitvm_test_bad", 0x1000, "i64")


def test_same_function_name_in_two_libraries_and_closing_one():
    def constant(value):
        return f"define i64 @answer() {{\n  ret i64 {value}\n}}\n"

    first = load_objects([compile_module(constant(1))], ["answer"])
    second = load_objects([compile_module(constant(2))], ["answer"])
    assert first.function("answer", ctypes.c_int64)() == 1
    assert second.function("answer", ctypes.c_int64)() == 2
    first.close()
    assert second.function("answer", ctypes.c_int64)() == 2


def test_threads_compile_and_load_concurrently():
    results, errors = {}, []

    def work(value):
        try:
            ir = f"define i64 @value_{value}(i64 %x) {{\n  %y = add i64 %x, {value}\n  ret i64 %y\n}}\n"
            code = load_objects([compile_module(ir)], [f"value_{value}"])
            results[value] = code.function(f"value_{value}", ctypes.c_int64, ctypes.c_int64)(1000)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(value,)) for value in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == {value: 1000 + value for value in range(6)}


def test_invalid_ir_raises():
    with pytest.raises(RuntimeError):
        compile_module("define i64 @broken( {")


def test_libraries_go_into_generations_and_a_spent_one_is_disposed(monkeypatch):
    """Freed libraries leave their ORC JITDylib behind, so an LLJIT takes a bounded number of them
    and is disposed once none of its libraries is alive; a live one keeps its LLJIT working."""
    from jitvm.jit import compile_module, linker

    monkeypatch.setattr(linker, "LIBRARIES_PER_JIT", 3)
    engine = linker.Engine()
    code = compile_module("define i64 @seven() {\n  ret i64 7\n}\n")
    kept = engine.load_objects([code], ["seven"])
    first = kept._generation
    for _ in range(8):
        engine.load_objects([code], ["seven"]).close()
    assert first in engine._retired  # still holds `kept`
    assert len(engine._retired) == 1  # the spent generations in between were disposed
    assert kept.function("seven", ctypes.c_int64)() == 7
    kept.close()
    assert engine._retired == [] and first.jit.closed
    assert engine.load_objects([code], ["seven"]).function("seven", ctypes.c_int64)() == 7
