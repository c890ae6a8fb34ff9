"""Limits the reference interpreter must hold without leaning on Python's own: call depth 1024,
stack height 1024, the memory cap, and the end of the code."""

import sys

from jitvm.evm.calls import CONTRACT_ADDRESS, call_code
from jitvm.evm.message import Status
from jitvm.evm.state import Account, State
from jitvm.evm.calls import default_state


def test_call_depth_1024_does_not_touch_the_python_stack():
    # Each frame stores its depth counter, then calls itself with all its gas:
    #   SLOAD(0)+1 -> SSTORE(0); CALL(gas, ADDRESS, 0, 0, 0, 0, 0); STOP
    code = bytes.fromhex("6000546001016000555f5f5f5f5f305af100")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive driver would fail long before depth 1024
    try:
        outcome = call_code(code, gas=10**12)
    finally:
        sys.setrecursionlimit(limit)
    assert outcome.status is Status.SUCCESS
    # Frames at depths 0..1024 run; the call from depth 1024 fails without starting a frame.
    assert outcome.state.get_storage(CONTRACT_ADDRESS, 0) == 1025


def test_stack_limit_is_1024():
    just_fits = bytes([0x5F]) * 1024 + b"\x00"  # 1024 x PUSH0, STOP
    assert call_code(just_fits).status is Status.SUCCESS
    one_more = bytes([0x5F]) * 1025
    assert call_code(one_more).status is Status.STACK_OVERFLOW


def test_huge_memory_offset_runs_out_of_gas_without_allocating():
    # MLOAD at 2**255: priced beyond any gas, so it fails before touching memory.
    code = bytes.fromhex("7f8000000000000000000000000000000000000000000000000000000000000000" "51")
    outcome = call_code(code, gas=2**200)
    assert outcome.status is Status.OUT_OF_GAS and outcome.gas_left == 0


def test_running_off_the_end_is_stop():
    assert call_code(bytes.fromhex("6001")).status is Status.SUCCESS  # PUSH1 1, then no more code


def test_truncated_push_reads_zero_bytes():
    # PUSH2 0x01 with its second byte missing pushes 0x0100; nothing follows, so the frame stops.
    state = default_state(b"")
    code = bytes.fromhex("5f5f5560aa5f5561ff")
    outcome = call_code(code, state=State({**state.accounts, CONTRACT_ADDRESS: Account(nonce=1, code=code)}))
    assert outcome.status is Status.SUCCESS
