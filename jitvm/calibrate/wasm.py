"""Wasm instructions and host functions in generated loops on jitvm's Wasm VM, priced by a
MultiversX gas schedule (gas measured from the metered run, not read from the schedule)."""

from __future__ import annotations

import re
from pathlib import Path

from jitvm.calibrate.measure import BODY_REPEAT, Measurement, best_time, difference, iterations_for

TYPES = ("I32", "I64", "F32", "F64")
BINARY = {"add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u",
          "rotl", "rotr", "div", "min", "max", "copysign"}
COMPARE = {"eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u", "lt", "gt", "le", "ge"}
UNARY = {"clz", "ctz", "popcnt", "abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest", "extend8_s",
         "extend16_s", "extend32_s"}
CONTRACT = b"\x00" * 8 + b"calibrate" + b"_" * 15
CALLER = b"caller" + b"_" * 26


def wat_name(name: str) -> tuple[str, str, str] | None:
    """(type, instruction text, stem) for a numeric instruction named as schedules name it."""
    if name[:3] not in TYPES:
        return None
    kind, rest = name[:3], name[3:]
    tokens = re.findall(r"I32|I64|F32|F64|[A-Z][a-z]*\d*", rest)
    stem = "_".join(token.lower() for token in tokens)
    return kind.lower(), f"{kind.lower()}.{stem}", stem


def _operands(name: str) -> tuple[list[str], int] | None:
    """The operand types a numeric instruction pops, and how many results it pushes."""
    parsed = wat_name(name)
    if parsed is None:
        return None
    kind, _, stem = parsed
    if stem == "const":
        return [], 1
    if stem.startswith("load"):
        return ["i32"], 1
    if stem.startswith("store"):
        return ["i32", kind], 0
    if stem == "eqz":
        return [kind], 1
    if stem in BINARY or stem in COMPARE:
        return [kind, kind], 1
    if stem in UNARY:
        return [kind], 1
    source = re.search(r"(i32|i64|f32|f64)", stem)
    if source:
        return [source.group(1)], 1
    return None


# Operands derive from the loop counter and results go to a global, so that the JIT can neither
# fold the instruction nor drop it as dead code. The operand computation is in both bodies.
_OPERAND = {
    "i32": "(i32.add (local.get $i) (i32.const {k}))",
    "i64": "(i64.extend_i32_u (i32.add (local.get $i) (i32.const {k})))",
    "f32": "(f32.convert_i32_u (i32.add (local.get $i) (i32.const {k})))",
    "f64": "(f64.convert_i32_u (i32.add (local.get $i) (i32.const {k})))",
}
_ADDRESS = "(i32.and (i32.add (local.get $i) (i32.const {k})) (i32.const 1023))"


def _result_type(name: str, kind: str, stem: str) -> str:
    if stem == "eqz" or stem in COMPARE:
        return "i32"
    return kind


def _body(name: str) -> tuple[str, str] | None:
    """(loop body with the instruction, the same body without it) in WAT, the instruction repeated
    BODY_REPEAT times on operands that differ between repetitions (so that none is a common
    subexpression of another)."""
    one = _one(name)
    if one is None:
        return None
    with_op, without = one
    return (" ".join(with_op.replace("{k}", str(k + 1)) for k in range(BODY_REPEAT)),
            " ".join(without.replace("{k}", str(k + 1)) for k in range(BODY_REPEAT)))


def _one(name: str) -> tuple[str, str] | None:
    operands = _operands(name)
    if operands is None:
        return None
    inputs, outputs = operands
    kind, text, stem = wat_name(name)
    pushes = " ".join(_ADDRESS if stem.startswith(("load", "store")) and i == 0 else _OPERAND[t]
                      for i, t in enumerate(inputs))
    if stem == "const":
        text = f"{kind}.const 3"
    if stem.startswith(("load", "store")):
        text += " offset=0"
    sink = f" global.set $sink_{_result_type(name, kind, stem)}" if outputs else ""
    with_op = f"{pushes} {text}{sink}"
    operand_texts = [_ADDRESS if stem.startswith(("load", "store")) and i == 0 else _OPERAND[t]
                     for i, t in enumerate(inputs)]
    without = " ".join(f"{push} global.set $sink_{t}" for push, t in zip(operand_texts, inputs))
    return with_op, without


def _module(body: str, iterations: int, imports: str = "", prelude: str = "") -> bytes:
    import wasmtime

    sinks = " ".join(f"(global $sink_{t} (mut {t}) ({t}.const 0))" for t in ("i32", "i64", "f32", "f64"))
    text = f"""(module {imports} (memory (export "memory") 1) {sinks}
      (func (export "run") (local $i i32) {prelude}
        (local.set $i (i32.const {iterations}))
        (loop $l {body}
          (br_if $l (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))))"""
    return bytes(wasmtime.wat2wasm(text))


def _schedule(fixtures: Path | None):
    from jitvm.wasm.schedule import dummy_schedule, load_schedule

    if fixtures is not None:
        path = fixtures / "wasm" / "multiversx" / "gasSchedules" / "gasScheduleV4.toml"
        if path.is_file():
            return load_schedule(path)
    return dummy_schedule()


def _runner(vm, code: bytes):
    from jitvm.wasm.frame import CallInput
    from jitvm.wasm.world import Account, World

    world = World({CONTRACT: Account(code=code), CALLER: Account()})
    gas = 10**12

    def call():
        result = vm.run(world, CallInput(CALLER, CONTRACT, "run", gas=gas), code, "run")
        if not result.ok:
            raise RuntimeError(result.message)
        return gas - result.gas_remaining
    return call


HOST_CALLS = {
    # hook: (import declaration, per-repetition call, prelude that creates the handles it uses)
    "bigIntAdd": ('(import "env" "bigIntAdd" (func $h (param i32 i32 i32)))',
                  "(call $h (i32.const 1) (i32.const 1) (i32.const 2))",
                  '(call $set (i32.const 1) (i64.const 7)) (call $set (i32.const 2) (i64.const 9))'),
    "bigIntMul": ('(import "env" "bigIntMul" (func $h (param i32 i32 i32)))',
                  "(call $h (i32.const 1) (i32.const 1) (i32.const 2))",
                  '(call $set (i32.const 1) (i64.const 7)) (call $set (i32.const 2) (i64.const 9))'),
    "mBufferSetBytes": ("", "(drop (call $sb (i32.const 1) (i32.const 0) (i32.const 32)))", ""),
    "mBufferStorageStore": ('(import "env" "mBufferStorageStore" (func $h (param i32 i32) (result i32)))',
                            "(drop (call $h (i32.const 1) (i32.const 2)))",
                            "(drop (call $sb (i32.const 1) (i32.const 0) (i32.const 8))) "
                            "(drop (call $sb (i32.const 2) (i32.const 0) (i32.const 32)))"),
    "mBufferStorageLoad": ('(import "env" "mBufferStorageLoad" (func $h (param i32 i32) (result i32)))',
                           "(drop (call $h (i32.const 1) (i32.const 2)))",
                           "(drop (call $sb (i32.const 1) (i32.const 0) (i32.const 8)))"),
    "getNumArguments": ('(import "env" "getNumArguments" (func $h (result i32)))', "(drop (call $h))", ""),
}
_HELPERS = ('(import "env" "bigIntSetInt64" (func $set (param i32 i64)))'
            '(import "env" "mBufferSetBytes" (func $sb (param i32 i32 i32) (result i32)))')


def measure(fixtures: Path | None, only: set[str] | None = None) -> list[Measurement]:
    from jitvm.wasm.opcodes import opcode_names
    from jitvm.wasm.vm import WasmVM

    schedule = _schedule(fixtures)
    vm = WasmVM(schedule)
    label = f"wasm ({schedule.name})"
    iterations = iterations_for(lambda n: _runner(vm, _module(_body("I32Eqz")[1], n)))
    count = iterations * BODY_REPEAT
    global_set = schedule.opcodes.get("GlobalSet", 0)
    results: list[Measurement] = []
    for name in opcode_names():
        if only and name not in only:
            continue
        bodies = _body(name)
        if bodies is None:
            continue
        with_op, without = bodies
        try:
            run_with = _runner(vm, _module(with_op, iterations))
            run_without = _runner(vm, _module(without, iterations))
            inputs, outputs = _operands(name)
            # The control body stores each operand; the measured one stores its result once.
            gas = (run_with() - run_without()) / count + (len(inputs) - outputs) * global_set
            nanoseconds = difference(best_time(run_with), best_time(run_without), count)
        except Exception as exc:
            results.append(Measurement(label, name, "instruction", 0.0, 0.0, note=f"not measured: {str(exc)[:60]}"))
            continue
        results.append(Measurement(label, name, "instruction", nanoseconds, gas))
    host_iterations = 16
    for hook, (declaration, call, prelude) in HOST_CALLS.items():
        if only and hook not in only:
            continue
        imports = _HELPERS + declaration
        try:
            run_with = _runner(vm, _module(call * BODY_REPEAT, host_iterations, imports, prelude))
            run_without = _runner(vm, _module("", host_iterations, imports, prelude))
            gas = (run_with() - run_without()) / (host_iterations * BODY_REPEAT)
            nanoseconds = difference(best_time(run_with), best_time(run_without), host_iterations * BODY_REPEAT)
        except Exception as exc:
            results.append(Measurement(label, hook, "host", 0.0, 0.0, note=f"not measured: {str(exc)[:60]}"))
            continue
        results.append(Measurement(label, hook, "host", nanoseconds, gas))
    return results


def workloads(fixtures: Path | None) -> list[Measurement]:
    """ERC-20 transfers and factorial calls of MultiversX's test contracts, priced by the schedule."""
    from jitvm.wasm.frame import CallInput
    from jitvm.wasm.transactions import call_contract, query_contract
    from jitvm.wasm.values import interpret
    from jitvm.wasm.vm import WasmVM
    from jitvm.wasm.world import Account, World

    schedule = _schedule(fixtures)
    label = f"wasm ({schedule.name})"
    if fixtures is None:
        return [Measurement(label, "scenarios", "workload", 0.0, 0.0, note="not measured: fixtures not found")]
    root = fixtures / "wasm" / "multiversx" / "test"
    results = []
    vm = WasmVM(schedule)
    erc20 = root / "erc20-rust" / "output" / "erc20.mxsc.json"
    factorial = root / "factorial" / "output" / "factorial.mxsc.json"
    if erc20.is_file():
        code = interpret("mxsc:" + str(erc20))
        owner, other, token = interpret("address:owner"), interpret("address:other"), interpret("sc:erc20")
        world = World({token: Account(code=code, storage={b"balance" + owner: (10**30).to_bytes(13, "big"),
                                                          b"totalSupply": (10**30).to_bytes(13, "big")}),
                       owner: Account(), other: Account()})

        def transfer():
            result = call_contract(vm, world, CallInput(owner, token, "transfer", [other, b"\x01"], gas=10**8))
            if not result.ok:
                raise RuntimeError(result.message)
            return 10**8 - result.gas_remaining
        gas = transfer()
        results.append(Measurement(label, "erc20-rust/transfer", "workload", best_time(transfer, 0.05, 3) * 1e9, gas))
    if factorial.is_file():
        code = interpret("mxsc:" + str(factorial))
        address = interpret("sc:factorial")
        world = World({address: Account(code=code)})
        for n in (10, 100):
            def compute(n=n):
                result = query_contract(vm, world, CallInput(address, address, "factorial", [bytes([n])], gas=10**9))
                return 10**9 - result.gas_remaining
            gas = compute()
            results.append(Measurement(label, f"factorial/{n}", "workload", best_time(compute, 0.05, 3) * 1e9, gas))
    return results
