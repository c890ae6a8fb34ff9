"""Gas metering by instrumentation: every function body is rewritten so that it pays for its own
instructions, from a gas schedule, before compilation.

The module gets two exported globals: `jitvm_gas` (i64, the gas left, set by the host before a call
and read after it; host functions charge it too) and `jitvm_out_of_gas` (i32, set to 1 just before
the instrumented code traps for lack of gas, so the host can tell that trap from any other).

Instructions are grouped into runs that end at the next instruction that may change the control flow
or leave the function (block, loop, if, else, end, br, br_if, br_table, return, unreachable, call,
call_indirect). Each run is paid for in one check just before its last instruction, as metering
middlewares for Wasm JITs do: a run either completes or stops at a call or branch, so no instruction
runs without its run having been paid for before anything outside the run (a host call, a branch,
the function's return) can observe it. A function's declared locals beyond the schedule's free
allowance are paid for in the first run.
"""

from __future__ import annotations

from collections.abc import Mapping

from jitvm.wasm.binary import (
    CODE_SECTION, EXPORT_SECTION, GLOBAL_KIND, GLOBAL_SECTION, I32, I64, InvalidModule, Module, Reader, sleb,
    uleb, vector,
)
from jitvm.wasm.opcodes import opcode_table

GAS_GLOBAL = "jitvm_gas"
OUT_OF_GAS_GLOBAL = "jitvm_out_of_gas"
RUN_ENDS = frozenset({"Block", "Loop", "If", "Else", "End", "Br", "BrIf", "BrTable", "Return", "Unreachable",
                      "Call", "CallIndirect"})

_GLOBAL_GET, _GLOBAL_SET, _I32_CONST, _I64_CONST = 0x23, 0x24, 0x41, 0x42
_I64_LE_U, _I64_SUB, _IF, _EMPTY_BLOCK, _END, _UNREACHABLE = 0x58, 0x7D, 0x04, 0x40, 0x0B, 0x00


def instrument(wasm: bytes, costs: Mapping[str, int], local_cost: int = 0, free_locals: int = 0) -> bytes:
    """The module with gas metering added. `costs` prices each instruction by its table name;
    an instruction the schedule does not price is rejected (it could otherwise run for free)."""
    module = Module.parse(wasm)
    for name in (GAS_GLOBAL, OUT_OF_GAS_GLOBAL):
        if name in module.exports:
            raise InvalidModule(f"the module already exports {name!r}")
    gas_index = module.imported_globals + module.defined_globals
    flag_index = gas_index + 1

    old_globals = module.section(GLOBAL_SECTION)
    entries = old_globals[len(uleb(module.defined_globals)):] if old_globals is not None else b""
    new_globals = bytes([I64, 1, _I64_CONST, 0, _END]) + bytes([I32, 1, _I32_CONST, 0, _END])
    module.replace_section(GLOBAL_SECTION, uleb(module.defined_globals + 2) + entries + new_globals)

    old_exports = module.section(EXPORT_SECTION)
    export_entries = old_exports[len(uleb(len(module.exports))):] if old_exports is not None else b""
    added = b"".join(uleb(len(name)) + name.encode() + bytes([GLOBAL_KIND]) + uleb(index)
                     for name, index in ((GAS_GLOBAL, gas_index), (OUT_OF_GAS_GLOBAL, flag_index)))
    module.replace_section(EXPORT_SECTION, uleb(len(module.exports) + 2) + export_entries + added)

    bodies = []
    for number, body in enumerate(module.bodies):
        entry_cost = local_cost * max(0, body.local_count - free_locals)
        code = _meter_body(body.code, costs, entry_cost, gas_index, flag_index, number)
        encoded = body.locals_bytes + code
        bodies.append(uleb(len(encoded)) + encoded)
    if module.bodies:
        module.replace_section(CODE_SECTION, vector(bodies))
    return module.encode()


def _charge(cost: int, gas: int, flag: int) -> bytes:
    """Stack-neutral code that traps (flag set) unless more than `cost` gas is left, then takes it.
    As in MultiversX's metering, a run that would use the last unit of gas fails (used >= limit)."""
    g, f, c = uleb(gas), uleb(flag), sleb(cost)
    return (bytes([_GLOBAL_GET]) + g + bytes([_I64_CONST]) + c + bytes([_I64_LE_U, _IF, _EMPTY_BLOCK, _I32_CONST, 1,
            _GLOBAL_SET]) + f + bytes([_UNREACHABLE, _END, _GLOBAL_GET]) + g + bytes([_I64_CONST]) + c
            + bytes([_I64_SUB, _GLOBAL_SET]) + g)


def _meter_body(code: bytes, costs: Mapping[str, int], entry_cost: int, gas: int, flag: int, number: int) -> bytes:
    single, prefixed = opcode_table()
    reader = Reader(code)
    out = bytearray()
    run_start = 0
    pending = entry_cost
    while not reader.done:
        start = reader.pos
        byte = reader.byte()
        if byte == 0xFC:
            opcode = prefixed.get(reader.u32())
        else:
            opcode = single.get(byte)
        if opcode is None:
            raise InvalidModule(f"function {number}: unsupported instruction 0x{byte:02x} at byte {start}")
        _skip_immediates(reader, opcode.immediates)
        cost = costs.get(opcode.name)
        if cost is None:
            raise InvalidModule(f"function {number}: the gas schedule has no price for {opcode.name}")
        pending += cost
        if opcode.name in RUN_ENDS:
            out += code[run_start:start]
            if pending:
                out += _charge(pending, gas, flag)
            out += code[start:reader.pos]
            run_start, pending = reader.pos, 0
    if run_start != len(code):
        raise InvalidModule(f"function {number}: the body does not end with `end`")
    return bytes(out)


def _skip_immediates(reader: Reader, kind: str) -> None:
    if not kind:
        return
    if kind == "blocktype":
        reader.s33()
    elif kind in ("label", "local", "global", "func", "table", "memory", "data", "elem", "type"):
        reader.u32()
    elif kind == "labels":
        for _ in range(reader.u32()):
            reader.u32()
        reader.u32()
    elif kind in ("type_table", "memarg", "data_memory", "elem_table", "memory_memory", "table_table"):
        reader.u32()
        reader.u32()
    elif kind == "valtypes":
        reader.bytes(reader.u32())
    elif kind == "reftype":
        reader.byte()
    elif kind == "i32":
        reader.s32()
    elif kind == "i64":
        reader.s64()
    elif kind == "f32":
        reader.bytes(4)
    elif kind == "f64":
        reader.bytes(8)
    else:
        raise InvalidModule(f"opcodes/wasm.toml: unknown immediate kind {kind!r}")
