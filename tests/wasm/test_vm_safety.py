"""An untrusted module cannot run forever, escape its memory or grow it past the limit, and every
way it can end is a result, never an exception into the caller."""

from __future__ import annotations

import dataclasses
import time

import pytest
import wasmtime

from jitvm.wasm.binary import InvalidModule
from jitvm.wasm.frame import CallInput
from jitvm.wasm.metering import instrument
from jitvm.wasm.outcome import ReturnCode
from jitvm.wasm.schedule import dummy_schedule
from jitvm.wasm.vm import WasmVM
from jitvm.wasm.world import Account, World

CONTRACT = b"\x00" * 8 + b"contract" + b"_" * 16
USER = b"user" + b"_" * 28


def _run(wat: str, function: str = "go", gas: int = 10**6, vm: WasmVM | None = None, arguments=()):
    code = wasmtime.wat2wasm(wat)
    world = World({CONTRACT: Account(code=code), USER: Account()})
    vm = vm or WasmVM()
    return vm.run(world, CallInput(USER, CONTRACT, function, list(arguments), gas=gas), code, function)


LOOP = '(module (memory (export "memory") 1) (func (export "go") (loop $l (br $l))))'


def test_an_endless_loop_runs_out_of_gas():
    result = _run(LOOP)
    assert result.code is ReturnCode.OUT_OF_GAS and result.message == "not enough gas"


def test_gas_is_charged_per_instruction_from_the_schedule():
    # i32.const, drop (1 each in the dummy schedule) and the function's closing `end`.
    result = _run('(module (func (export "go") (drop (i32.const 1))))', gas=100)
    assert result.ok and result.gas_remaining == 97
    assert _run('(module (func (export "go") (drop (i32.const 1))))', gas=2).code is ReturnCode.OUT_OF_GAS
    # As in MultiversX, a run may not use the last unit of gas: 3 units for 3 instructions fail.
    assert _run('(module (func (export "go") (drop (i32.const 1))))', gas=3).code is ReturnCode.OUT_OF_GAS
    assert _run('(module (func (export "go") (drop (i32.const 1))))', gas=4).gas_remaining == 1


def test_a_free_loop_is_stopped_by_the_time_limit():
    free = dataclasses.replace(dummy_schedule(), opcodes={name: 0 for name in dummy_schedule().opcodes})
    vm = WasmVM(free, timeout=0.3)
    started = time.monotonic()
    result = _run(LOOP, vm=vm)
    assert result.code is ReturnCode.EXECUTION_FAILED and "time limit" in result.message
    assert time.monotonic() - started < 5


def test_memory_cannot_grow_past_the_limit():
    wat = '''(module (memory (export "memory") 1)
      (func (export "go") (if (i32.eq (memory.grow (i32.const 100)) (i32.const -1)) (then unreachable))))'''
    assert _run(wat, vm=WasmVM(memory_limit=2 << 20)).code is ReturnCode.EXECUTION_FAILED
    assert _run(wat, vm=WasmVM(memory_limit=16 << 20)).ok


def test_accesses_outside_memory_trap_in_code_and_in_hooks():
    in_code = '(module (memory (export "memory") 1) (func (export "go") (drop (i32.load (i32.const 65534)))))'
    assert _run(in_code).code is ReturnCode.EXECUTION_FAILED
    in_hook = '''(module (import "env" "finish" (func $finish (param i32 i32)))
      (memory (export "memory") 1) (func (export "go") (call $finish (i32.const 65000) (i32.const 1000))))'''
    result = _run(in_hook)
    assert result.code is ReturnCode.EXECUTION_FAILED and "bad bounds" in result.message


def test_unknown_hooks_link_and_trap_when_called():
    wat = '''(module (import "env" "noSuchHook" (func $h)) (memory (export "memory") 1)
      (func (export "go") (call $h)) (func (export "quiet")))'''
    assert _run(wat, "quiet").ok
    result = _run(wat)
    assert result.code is ReturnCode.EXECUTION_FAILED and result.message == "hook noSuchHook not implemented"


def test_missing_endpoint_and_invalid_code():
    assert _run(LOOP, "absent").code is ReturnCode.FUNCTION_NOT_FOUND
    world = World({CONTRACT: Account(code=b"\x00asm junk")})
    result = WasmVM().run(world, CallInput(USER, CONTRACT, "go", gas=10), b"\x00asm junk", "go")
    assert result.code is ReturnCode.CONTRACT_INVALID


def test_simd_is_rejected_before_it_runs():
    wat = '(module (func (export "go") (drop (v128.const i64x2 0 0))))'
    with pytest.raises(InvalidModule, match="unsupported instruction"):
        instrument(wasmtime.wat2wasm(wat), dummy_schedule().opcodes)


def test_signal_error_is_a_user_error_with_its_message():
    wat = '''(module (import "env" "signalError" (func $e (param i32 i32)))
      (memory (export "memory") 1) (data (i32.const 16) "nope")
      (func (export "go") (call $e (i32.const 16) (i32.const 4))))'''
    result = _run(wat)
    assert result.code is ReturnCode.USER_ERROR and result.message == "nope"
