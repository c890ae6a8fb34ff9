"""The baseline engine (jitvm.evm.baseline): its own pieces, the benchmark contracts, and the corners
the differential tests reach only by luck: gas at the int64 limit, memory growth, the storage
cache, tracing, and the one compiled specialization of the kernel."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jitvm.evm.calls import call_code
from jitvm.evm.engines import ENGINE_NAMES, get_engine
from jitvm.evm.limbs.uint256 import to_int
from jitvm.evm.forks import EXECUTABLE_FORKS
from jitvm.evm.message import Status
from jitvm.evm.baseline.engine import BaselineEngine
from jitvm.evm.baseline.kernel import run_kernel
from jitvm.evm.baseline.layout import MAX_NATIVE_GAS, NATIVE_GAS_LIMIT
from jitvm.evm.baseline.keccak import RATE_BYTES, keccak256_word
from jitvm.evm.baseline.layout import HANDLER, HANDLER_ID, HANDLERS, dispatch_table, handler_of
from jitvm.evm.opcodes import opcode_table
from jitvm.evm.trace import Eip3155Tracer
from jitvm.bench.evm_contracts import BENCHMARKS_DIR, load_benchmarks
from jitvm.hashing import keccak256
from tests.evm.test_engines_differential import REENTRANT, WRITER, assemble, call_outcome, pre_state, programs

BASELINE = get_engine("baseline")


def both_engines(code: bytes, gas: int = 1_000_000, **kwargs) -> dict:
    """The outcome on the reference, after asserting the baseline's is the same."""
    reference = call_outcome(code, gas, "reference", **kwargs)
    assert call_outcome(code, gas, "baseline", **kwargs) == reference
    return reference


# -- registration ---------------------------------------------------------------------------------


def test_baseline_is_registered_and_auto_is_tiered_on_it():
    from jitvm.evm.jit.engine import HOT_CALLS, HOT_GAS, JitEngine

    assert "baseline" in ENGINE_NAMES and "auto" in ENGINE_NAMES
    assert isinstance(BASELINE, BaselineEngine)
    assert get_engine("baseline") is BASELINE  # one shared instance, one buffer pool
    auto = get_engine("auto")
    assert auto is get_engine("auto") and auto.name == "auto"
    tiered = auto.tiered()  # what runs once tier 0 (the reference, tests/evm/test_auto_tiers.py) ends
    assert isinstance(tiered, JitEngine) and tiered.name == "auto"
    assert (tiered.hot_gas, tiered.hot_calls, tiered.background) == (HOT_GAS, HOT_CALLS, True)


# -- the dispatch table ---------------------------------------------------------------------------


@pytest.mark.parametrize("fork", EXECUTABLE_FORKS)
def test_every_defined_opcode_has_a_handler_and_host_means_state(fork):
    table = opcode_table(fork)
    rows = dispatch_table(fork)
    for byte, opcode in enumerate(table.by_byte):
        handler = HANDLERS[rows[HANDLER, byte]]
        if opcode is None:
            assert handler == "UNDEFINED"
            continue
        touches_state = bool(opcode.flags & {"reads_state", "writes_state", "subcall"})
        served_by_host = handler in (  # or by the table
            "HOST", "SLOAD", "SSTORE", "TLOAD", "TSTORE", "LOG", "CALL", "EXTCODESIZE")
        assert served_by_host == (touches_state or opcode.mnemonic == "BLOBHASH"), opcode.mnemonic
    assert rows[HANDLER, table.by_name["ADD"].byte] == HANDLER_ID["ADD"]


def test_an_opcode_the_kernel_does_not_know_is_refused():
    class Unknown:
        mnemonic = "FROBNICATE"
        flags = frozenset()
        immediate_size = 0

    with pytest.raises(LookupError):
        handler_of(Unknown())


# -- keccak ---------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(st.binary(max_size=600), st.sampled_from(
           [b"\xff" * n for n in (RATE_BYTES - 1, RATE_BYTES, RATE_BYTES + 1, 2 * RATE_BYTES)])),
       start=st.integers(0, 7))
def test_numba_keccak_matches_the_reference_hash(data, start):
    buffer = np.frombuffer(bytes(start) + data, dtype=np.uint8)
    assert to_int(keccak256_word(buffer, start, len(data))) == int.from_bytes(keccak256(data), "big")


# -- benchmark contracts --------------------------------------------------------------------------

WORKLOADS = load_benchmarks() if BENCHMARKS_DIR.is_dir() else []


@pytest.mark.parametrize("workload", WORKLOADS or [pytest.param(None, marks=pytest.mark.skip("no fixtures"))],
                         ids=lambda w: w.name if w else "none")
def test_benchmark_input_on_baseline(workload):
    outcome = call_code(workload.code, workload.calldata, gas=10**9, engine=BASELINE)
    assert outcome.status is Status.SUCCESS
    assert outcome.output == workload.expected_output
    if workload.expected_gas is not None:
        assert outcome.gas_used == workload.expected_gas


# -- gas near and above the kernel's limit --------------------------------------------------------

RETURN_GAS = assemble("GAS", 0, "MSTORE", 32, 0, "RETURN")


@pytest.mark.parametrize("gas", [NATIVE_GAS_LIMIT - 1, NATIVE_GAS_LIMIT, 2**64, 2**256 - 1])
def test_gas_beyond_int64_agrees(gas):
    outcome = both_engines(RETURN_GAS, gas)
    assert int.from_bytes(outcome["output"], "big") == gas - 2  # GAS costs 2


# A frame with more than NATIVE_GAS_LIMIT gas runs natively, the excess held in reserve: it reports
# GAS, calls a callee that spends a little, then CREATEs with initcode INVALID, which burns all but
# 1/64 of the frame's gas (so the reserve must be rebalanced when the frame resumes), then stores,
# grows memory and returns what GAS says.
HUGE_GAS_PROGRAM = assemble("GAS", 2, "SSTORE", 0, 0, 0, 0, 0, int.from_bytes(WRITER, "big"), "GAS", "CALL", "POP",
                            0xFE, 0, "MSTORE8", 1, 0, 0, "CREATE", 3, "SSTORE",
                            "GAS", 4, "SSTORE", "GAS", 0x10000, "MSTORE", "GAS", 0, "MSTORE", 32, 0, "RETURN")


@pytest.mark.parametrize("gas", [NATIVE_GAS_LIMIT - 1, NATIVE_GAS_LIMIT, NATIVE_GAS_LIMIT + 1, 2**62, MAX_NATIVE_GAS])
@pytest.mark.parametrize("engine_name", ["baseline", "jit"])
def test_gas_beyond_the_kernel_limit_runs_natively_and_exactly(gas, engine_name, monkeypatch):
    import jitvm.evm.reference as reference

    expected = call_outcome(HUGE_GAS_PROGRAM, gas, "reference")
    monkeypatch.setattr(reference, "run_frame", None)  # a fallback to the reference would fail
    assert call_outcome(HUGE_GAS_PROGRAM, gas, engine_name) == expected
    assert expected["status"] is Status.SUCCESS
    assert gas // 64 - 10**6 < int.from_bytes(expected["output"], "big") < gas // 64  # what CREATE left


@pytest.mark.parametrize("gas", [NATIVE_GAS_LIMIT - 1, 2**64])
def test_huge_gas_reaches_callees_by_the_63_64_rule(gas):
    # CALL the reentrant contract with all gas but a little, and return what GAS says afterwards.
    code = assemble(0, 0, 0, 0, 0, int.from_bytes(REENTRANT, "big"), 2**256 - 1, "CALL", "POP",
                    "GAS", 0, "MSTORE", 32, 0, "RETURN")
    both_engines(code, gas)


@pytest.mark.parametrize("size", [2**32, 2**59, 2**63, 2**64 - 1, 2**64, 2**65, 2**256 - 1])
@pytest.mark.parametrize("op", ["CALLDATACOPY", "CODECOPY", "RETURNDATACOPY", "MCOPY", "KECCAK256", "LOG0",
                                "RETURN"])
def test_huge_sizes_with_the_most_gas_a_native_frame_has(op, size):
    if op in ("KECCAK256", "LOG0", "RETURN"):
        code = assemble(size, 0, op)
    else:
        code = assemble(size, 0, 0, op)
    status = both_engines(code, NATIVE_GAS_LIMIT - 1)["status"]
    assert status in (Status.OUT_OF_GAS, Status.RETURNDATA_OUT_OF_BOUNDS)


# -- memory ---------------------------------------------------------------------------------------


def test_memory_growth_keeps_what_was_written():
    pattern = int.from_bytes(b"\xaa" * 32, "big")
    code = assemble(pattern, 5, "MSTORE", 0x1234, 300_000, "MSTORE",  # grows the 4 KiB buffer twice
                    3, 5, 600_000, "MCOPY",  # and again, copying across the growth
                    600_040, 0, "RETURN")
    output = both_engines(code, 10**8)["output"]
    assert output[5:37] == b"\xaa" * 32
    assert output[300_000:300_032] == (0x1234).to_bytes(32, "big")
    assert output[600_000:600_003] == b"\xaa" * 3


def test_a_new_frame_sees_zeroed_memory():
    call_code(assemble(2**256 - 1, 64, "MSTORE"), engine=BASELINE)  # dirties a pooled buffer
    outcome = call_code(assemble(64, "MLOAD", 0, "MSTORE", 32, 0, "RETURN"), engine=BASELINE)
    assert outcome.output == bytes(32)


TOUCH_32_BYTES_AT = {
    "MLOAD": lambda offset: assemble(offset, "MLOAD"),
    "KECCAK256": lambda offset: assemble(32, offset, "KECCAK256"),
    "RETURN": lambda offset: assemble(32, offset, "RETURN"),
    "CALLDATACOPY": lambda offset: assemble(32, 0, offset, "CALLDATACOPY"),
}


@pytest.mark.parametrize("op", TOUCH_32_BYTES_AT)
def test_memory_past_the_limit_runs_out_of_gas_before_allocating(op):
    from jitvm.evm.gas import MEMORY_LIMIT

    outcome = both_engines(TOUCH_32_BYTES_AT[op](MEMORY_LIMIT - 31), NATIVE_GAS_LIMIT - 1)
    assert outcome["status"] is Status.OUT_OF_GAS


def test_memory_up_to_the_limit():
    from jitvm.evm.gas import MEMORY_LIMIT

    outcome = both_engines(assemble(MEMORY_LIMIT - 32, "MLOAD", "MSIZE", 0, "MSTORE", 32, 0, "RETURN"),
                           NATIVE_GAS_LIMIT - 1)
    assert int.from_bytes(outcome["output"], "big") == MEMORY_LIMIT


# -- the storage cache ----------------------------------------------------------------------------


def test_cached_slots_are_forgotten_when_a_callee_writes_them():
    # The outer run (40 bytes of calldata) reads slot 0, so the kernel caches it, then calls the
    # reentrant contract, which calls back with no calldata: that inner run stores 42 in slot 0.
    # The outer run's second SLOAD must see 42.
    outer = assemble(0, "SLOAD", "POP",
                     0, 0, 0, 0, 0, int.from_bytes(REENTRANT, "big"), 100_000, "CALL", "POP",
                     0, "SLOAD", 0, "MSTORE", 32, 0, "RETURN")
    inner = assemble("JUMPDEST", 42, 0, "SSTORE", "STOP")
    head_size = 6  # CALLDATASIZE ISZERO PUSH2 <inner> JUMPI
    code = assemble("CALLDATASIZE", "ISZERO", b"\x61" + (head_size + len(outer)).to_bytes(2, "big"), "JUMPI")
    code += outer + inner
    assert len(code) == head_size + len(outer) + len(inner)
    outcome = both_engines(code, 1_000_000)
    assert outcome["status"] is Status.SUCCESS
    assert int.from_bytes(outcome["output"], "big") == 42


def test_more_slots_than_the_cache_holds():
    # Store i in slot i for i = 1200..1, then read them all back and sum them.
    loop = assemble(1200, "JUMPDEST", "DUP1", "DUP1", "SSTORE", 1, "SWAP1", "SUB", "DUP1", 3, "JUMPI", "POP",
                    0, 1200, "JUMPDEST", "DUP1", "SLOAD", "DUP3", "ADD", "SWAP2", "POP", 1, "SWAP1", "SUB",
                    "DUP1", 21, "JUMPI", "POP", 0, "MSTORE", 32, 0, "RETURN")
    assert loop[3] == loop[21] == opcode_table().by_name["JUMPDEST"].byte
    outcome = both_engines(loop, 10**8)
    assert int.from_bytes(outcome["output"], "big") == sum(range(1, 1201))


# -- tracing --------------------------------------------------------------------------------------

TRACED_PROGRAMS = {
    "arithmetic": assemble(3, 5, "ADD", 7, "MUL", 0, "MSTORE", 32, 0, "RETURN"),
    "storage": assemble(7, 1, "SSTORE", 1, "SLOAD", 1, "SLOAD", "ADD", 1, "SSTORE", "STOP"),
    "call": assemble(0, 0, 0, 0, 0, int.from_bytes(REENTRANT, "big"), 50_000, "CALL", 1, "SLOAD", "STOP"),
    "growth": assemble(1, 100_000, "MSTORE", "MSIZE", 0, "MSTORE", 32, 0, "RETURN"),
    "error": assemble(1, "ADD"),
    "out of gas": assemble("JUMPDEST", 0, "JUMP"),
}


def traces(code: bytes, gas: int) -> list[list[str]]:
    """The EIP-3155 trace of `code` on the reference and on the baseline."""
    lines = []
    for engine in (None, BASELINE):
        stream = io.StringIO()
        call_code(code, b"\x01" * 40, gas=gas, engine=engine, state=pre_state(code),
                  tracer=Eip3155Tracer(stream))
        lines.append(stream.getvalue().splitlines())
    return lines


@pytest.mark.parametrize("name", TRACED_PROGRAMS)
def test_baseline_traces_like_the_reference(name):
    reference, baseline = traces(TRACED_PROGRAMS[name], 100_000)
    assert baseline == reference


@settings(max_examples=50, deadline=None)
@given(code=programs(), gas=st.integers(0, 100_000))
def test_generated_programs_trace_like_the_reference(code, gas):
    reference, baseline = traces(code, gas)
    assert baseline == reference


# -- compilation ----------------------------------------------------------------------------------


def test_the_kernel_runs_as_object_code_of_one_specialization():
    """The engine calls the kernel's object code (jitvm.evm.baseline.native_entry), built from one
    specialization: whatever arrays come in, Numba compiles nothing more."""
    from jitvm.evm.baseline import native_entry

    before = list(run_kernel.signatures)
    call_code(assemble(0, "CALLDATALOAD", 0, "MSTORE", 32, 0, "RETURN"), b"\x01" * 40, engine=BASELINE)
    call_code(assemble("STOP"), engine=BASELINE)
    both_engines(TRACED_PROGRAMS["call"])
    assert native_entry._loaded_entries() is not None
    assert list(run_kernel.signatures) == before and len(before) <= 1, run_kernel.signatures



def test_threads_running_the_kernel_at_once_get_their_own_results():
    """The kernel's entry keeps nothing between calls (native_entry): frames of different contracts
    interleaved across threads return what they return alone."""
    import sys
    import threading

    programs = [assemble(value, 0, "MSTORE", 32, 0, "RETURN") for value in range(1, 9)]
    expected = [call_code(code, engine=BASELINE).output for code in programs]
    failures = []

    def run(index):
        for _ in range(100):
            output = call_code(programs[index], engine=BASELINE).output
            if output != expected[index]:
                failures.append((index, output))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=run, args=(index,)) for index in range(len(programs))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures and expected[2] == (3).to_bytes(32, "big")


def test_the_kernels_entry_refuses_arrays_it_was_not_built_for():
    """The object code's entry checks each array as Numba's entry point would (type, element type,
    dimensions, contiguity), so a wrong array raises instead of being read out of bounds."""
    from jitvm.evm.baseline.layout import FrameBuffers, code_rows, data_bytes
    from jitvm.evm.baseline.native_entry import _loaded_entries, kernel_functions

    assert _loaded_entries() is not None
    run = kernel_functions().run_kernel
    buffers = FrameBuffers(64)
    code, data = code_rows(b"\x00"), data_bytes(b"", b"")
    wrong = [
        (code.astype(np.int64), data, buffers.words, buffers.memory, buffers.control),  # element type
        (code[0], data, buffers.words, buffers.memory, buffers.control),  # dimensions
        (code, data, buffers.words, buffers.memory[::2], buffers.control),  # not contiguous
        (code, data.tobytes(), buffers.words, buffers.memory, buffers.control),  # not an array
        (code, data, buffers.words, buffers.memory),  # too few
    ]
    for arguments in wrong:
        with pytest.raises(TypeError, match="C-contiguous numpy arrays"):
            run(*arguments)
