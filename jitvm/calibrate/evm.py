"""EVM instructions in generated loops, on each engine, through the public `jitvm.EVM` API."""

from __future__ import annotations

from functools import cache

from jitvm.calibrate.measure import BODY_REPEAT, Measurement, best_time, difference, iterations_for

CONTRACT = "0x" + "c0" * 20
CALLER = "0x" + "ca" * 20
# Instructions that end the frame, move control, or start frames are not timed in a loop body.
SKIPPED_FLAGS = {"terminates", "jump", "subcall"}
SKIPPED = {"JUMPDEST", "PC", "GAS", "SELFDESTRUCT", "INVALID", "RETURN", "REVERT", "STOP"}
OPERAND = 0x01  # every operand: small values keep offsets and sizes in bounds and costs typical
# Operands come from calldata (CALLDATALOAD, copied into the stack before the loop), so that no
# engine can fold them as constants; the loop body copies them with DUP.
CALLDATA = OPERAND.to_bytes(32, "big")
PRELUDE_VALUES = 15
FORK = "Cancun"  # the loops' own instructions exist in every fork measured
HOST_OPERAND = {"BALANCE": CONTRACT, "EXTCODESIZE": CONTRACT, "EXTCODEHASH": CONTRACT, "EXTCODECOPY": CONTRACT}


@cache
def _ops(*mnemonics: str) -> bytes:
    """The opcode bytes of `mnemonics`, from the opcode table."""
    from jitvm.evm.opcodes import opcode_table

    table = opcode_table(FORK)
    return bytes(table.by_name[name].byte for name in mnemonics)


def _push(value: int) -> bytes:
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return _ops(f"PUSH{len(raw)}") + raw


def _loop(body: bytes, iterations: int, prelude: bytes = b"") -> bytes:
    """prelude; counter = iterations; do { body } while (--counter)."""
    head = prelude + _push(iterations)
    start = len(head)
    loop = _ops("JUMPDEST") + body + _push(1) + _ops("SWAP1", "SUB", "DUP1") + _push(start) + _ops("JUMPI")
    return head + loop + _ops("STOP")


def _calldata_values() -> bytes:
    """PRELUDE_VALUES copies of the calldata word on the stack, before the loop."""
    return _ops("PUSH0", "CALLDATALOAD") * PRELUDE_VALUES


def _body(op, table) -> tuple[bytes, bytes, bytes, int] | None:
    """(prelude, body with the instruction, the same body without it, how many more POPs the first
    body runs per instruction) or None if the instruction cannot run in a loop body."""
    name = op.mnemonic
    if name in SKIPPED or SKIPPED_FLAGS & op.flags:
        return None
    pop = bytes([table.by_name["POP"].byte])
    if name.startswith("PUSH"):
        immediate = bytes([OPERAND] * op.immediate_size)
        return b"", (bytes([op.byte]) + immediate + pop) * BODY_REPEAT, b"", 1
    if name.startswith(("DUP", "SWAP")):
        prelude = _push(OPERAND) * 17
        if name.startswith("DUP"):
            return prelude, (bytes([op.byte]) + pop) * BODY_REPEAT, b"", 1
        return prelude, bytes([op.byte]) * BODY_REPEAT, b"", 0
    operand = HOST_OPERAND.get(name)
    pushes = b""
    for index in range(op.inputs):
        if operand and index == op.inputs - 1:
            pushes += _push(int(operand, 16))  # the account a host instruction asks about
        else:
            pushes += _ops(f"DUP{index + 2}")  # a calldata value below the counter
    with_op = (pushes + bytes([op.byte]) + pop * op.outputs) * BODY_REPEAT
    without = (pushes + pop * op.inputs) * BODY_REPEAT
    prelude = _calldata_values()
    return prelude, with_op, without, op.outputs - op.inputs


def measure(engines: tuple[str, ...], fork: str = "Cancun", only: set[str] | None = None,
            target: float | None = None) -> list[Measurement]:
    import jitvm
    from jitvm.evm.opcodes import opcode_table

    table = opcode_table(fork)
    results: list[Measurement] = []
    for engine in engines:
        evm = jitvm.EVM(engine=engine, spec_id=fork.upper())
        evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**30))

        def timed(code: bytes) -> tuple[float, int]:
            evm.insert_account_info(CONTRACT, jitvm.AccountInfo(code=code))
            evm.message_call(CALLER, CONTRACT, CALLDATA, gas=10**9)
            gas = evm.result.gas_used
            return best_time(lambda: evm.message_call(CALLER, CONTRACT, CALLDATA, gas=10**9)), gas

        def control(iterations):
            code = _loop(_push(OPERAND) * BODY_REPEAT, iterations, _calldata_values())
            evm.insert_account_info(CONTRACT, jitvm.AccountInfo(code=code))
            return lambda: evm.message_call(CALLER, CONTRACT, CALLDATA, gas=10**9)
        iterations = iterations_for(control, limit=1 << 24)
        count = iterations * BODY_REPEAT
        # POP's own time, to take out of instructions whose loop body pops more or less than the
        # control body: half of a PUSH1 POP pair (POP charges 2 gas, PUSH1 3).
        pair = _push(OPERAND) + bytes([table.by_name["POP"].byte])
        pop_ns = difference(timed(_loop(pair * BODY_REPEAT, iterations))[0], timed(_loop(b"", iterations))[0], count) / 2
        pop_gas = table.by_name["POP"].static_gas
        for op in table.by_byte:
            if op is None or (only and op.mnemonic not in only):
                continue
            bodies = _body(op, table)
            if bodies is None:
                continue
            prelude, with_op, without, extra_pops = bodies
            try:
                time_with, gas_with = timed(_loop(with_op, iterations, prelude))
                time_without, gas_without = timed(_loop(without, iterations, prelude))
            except Exception as exc:  # an instruction the loop cannot run (reported, not fatal)
                results.append(Measurement(f"evm/{engine}", op.mnemonic, "instruction", 0.0, 0.0,
                                           note=f"not measured: {type(exc).__name__}"))
                continue
            gas = (gas_with - gas_without) / count - extra_pops * pop_gas
            nanoseconds = max(0.0, difference(time_with, time_without, count) - extra_pops * pop_ns)
            kind = "host" if "reads_state" in op.flags or "writes_state" in op.flags else "instruction"
            results.append(Measurement(f"evm/{engine}", op.mnemonic, kind, nanoseconds, gas))
        if hasattr(evm, "close"):
            evm.close()
    return results


def workloads(engines: tuple[str, ...]) -> list[Measurement]:
    """The bundled benchmark contracts: time and gas of each input on each engine."""
    import jitvm
    from jitvm.bench.evm_contracts import MAIN_BENCHMARKS, load_benchmarks

    results = []
    try:
        chosen, seen = [], set()
        for workload in load_benchmarks():
            if workload.contract in MAIN_BENCHMARKS and workload.contract not in seen:
                seen.add(workload.contract)  # one input per contract keeps the run short
                chosen.append(workload)
    except Exception as exc:  # the contracts are not available in this installation
        return [Measurement("evm", "benchmarks", "workload", 0.0, 0.0, note=f"not measured: {exc}")]
    for engine in engines:
        evm = jitvm.EVM(engine=engine)
        evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**30))
        for workload in chosen:
            evm.insert_account_info(CONTRACT, jitvm.AccountInfo(code=workload.code))
            call = lambda: evm.message_call(CALLER, CONTRACT, workload.calldata, gas=10**9)  # noqa: E731
            call()
            gas = evm.result.gas_used
            seconds = best_time(call, budget=0.05, rounds=3)
            results.append(Measurement(f"evm/{engine}", workload.name, "workload", seconds * 1e9, gas))
    return results
