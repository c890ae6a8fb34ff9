"""What the fast BPF engines share: the run's state as numpy arrays, and the program lowered to
per-instruction arrays for the Numba interpreter.

One run is four arrays that the Numba kernel and the JIT's machine code both read and write in
place, so either engine can stop anywhere and the other continue (the JIT hands a block to the
interpreter when its budget check fails; 'auto' moves a hot run from the interpreter to the JIT):

    registers  uint64[12]              r0..r10 (index 11 is scratch)
    state      int64[STATE_SLOTS]      pc, counters, budget, call depth, how the engine stopped
    frames     uint64[depth, FRAME_SLOTS] per bpf-to-bpf call: r6..r9, r10, stack pointer, return pc
    regions    uint64[REGION_FIELDS, REGION_ROWS]  the memory map: rows 0-7 by slot (address >> 32),
                                       then the further regions of slots that hold several

The region table lets every access be checked with one subtraction and one compare: with
r = min(address >> 32, 7), an access of `size` bytes is in bounds on the fast path when
`address - START[r] < FAST[r]` (unsigned), where the FAST column for that size and direction holds
`length - size + 1` (0 for a store into a read-only region); rows 5..7 are never mapped. A gapped
region (the sBPF v0 stack) has FAST 0 and goes through the slow path, which applies the gap rule of
jitvm.bpf.memory; so does every access that fails the fast check, to be reported. The region data
stay the numpy arrays of jitvm.bpf.memory.Memory, so helpers and syscalls see the same bytes.

A slot with several regions chains them: NEXT of a row is the row of the slot's next region (rows
SLOT_ROWS..), 0 for the last. The fast path sees the first region only; the slow path walks the
chain to the region holding the address, as jitvm.bpf.memory.Memory.region_at does.
"""

from __future__ import annotations

import ctypes
import functools
from dataclasses import dataclass

import numpy as np

from jitvm.bpf.machine import REGISTERS, frame_stride, initial_registers, initial_stack_pointer
from jitvm.bpf.memory import REGION_COUNT, Memory, Region
from jitvm.bpf.table import Profile, profile_table

U32 = (1 << 32) - 1
U64 = (1 << 64) - 1
UNMETERED = (1 << 63) - 1  # the budget of a run without one: never reached

# -- state slots -----------------------------------------------------------------------------------
(PC, INSTRUCTIONS, UNITS, BUDGET, LIMIT, DEPTH, STACK_POINTER, EXIT, ERROR_CODE, ERROR_ADDRESS, ERROR_SIZE,
 ERROR_WRITE, ERROR_VALUE, CALL_KEY, CALL_KIND, NATIVE_FUNCTION_CALLS) = range(16)
STATE_SLOTS = 16
# UNITS is the meter (compute units used); LIMIT is where the interpreter stops to yield (never above
# BUDGET): the interpreter compares UNITS with LIMIT once per instruction, the JIT with BUDGET per block.
# NATIVE_FUNCTION_CALLS is 1 when the engines may make a `call imm` to a registered function
# themselves (the 'call_function' operation), which holds when no helper of the run has one of those
# keys, since a helper's key takes precedence (native_function_calls). At 0 they return to Python.

# How an engine returned (state[EXIT]).
EXIT_DONE = 0  # exit from the outermost frame: r0 is the result
EXIT_ERROR = 1  # ERROR_* hold a jitvm.bpf.errors.VmError's code and fields; pc is the failing one
EXIT_CALL = 2  # a helper or syscall: CALL_KEY, CALL_KIND; pc is the call, already counted
EXIT_YIELD = 3  # the interpreter reached LIMIT below the budget; pc is the next instruction
EXIT_LEADER = 4  # the interpreter jumped to a JIT block start (asked for with `leaders`)
EXIT_FALLBACK = 5  # the JIT cannot run the block at pc (its budget check failed, or pc starts no
#                    block): the interpreter takes over there

CALL_BY_KEY = 0  # `call imm`: a helper, else (sBPF before static syscalls) a registered function
CALL_BY_REGISTER = 1  # eBPF `callx`: the register holds a helper id

# -- call frames -----------------------------------------------------------------------------------
FRAME_R6, FRAME_R7, FRAME_R8, FRAME_R9, FRAME_FP, FRAME_SP, FRAME_RETURN = range(7)
FRAME_SLOTS = 8

# -- the region table ------------------------------------------------------------------------------
HOST, START, LENGTH, WRITABLE, GAP, FAST = range(6)  # FAST.. : one column per access kind (fast_column)
NEXT = FAST + 8  # the row of the slot's next region, 0 for none
REGION_FIELDS = NEXT + 1
SLOT_ROWS = 8  # address >> 32 is clamped to 7; rows REGION_COUNT.. stay unmapped
MORE_REGIONS = 120  # further regions in slots, rows SLOT_ROWS.. (a conformance run's input regions)
REGION_ROWS = SLOT_ROWS + MORE_REGIONS
ACCESS_SIZES = (1, 2, 4, 8)


def fast_column(size: int, write: bool) -> int:
    """The column holding, per region, how many offsets an access of `size` bytes may start at."""
    return FAST + len(ACCESS_SIZES) * write + ACCESS_SIZES.index(size)


# -- kernel operations -----------------------------------------------------------------------------
# What the interpreter kernel switches on: a table row's semantics, narrowed by its width and by the
# profile's version-dependent behaviour, so the kernel never looks at the profile while it runs.
OPERATIONS = (
    "overrun", "invalid_slot", "reference_error",
    "add64", "sub64", "subr64", "mul64", "div64", "mod64", "sdiv64", "smod64", "or64", "and64", "xor64",
    "lsh64", "rsh64", "arsh64", "neg64", "mov64", "uhmul64", "shmul64", "hor64", "lddw",
    "add32", "sub32", "subr32", "mul32", "div32", "mod32", "sdiv32", "smod32", "or32", "and32", "xor32",
    "lsh32", "rsh32", "arsh32", "neg32", "mov32",
    "add32sx", "sub32sx", "mul32sx", "mov32sx",
    "movsx8_32", "movsx16_32", "movsx8_64", "movsx16_64", "movsx32_64",
    "le16", "le32", "le64", "bswap16", "bswap32", "bswap64",
    "load1", "load2", "load4", "load8", "loads1", "loads2", "loads4",
    "store1", "store2", "store4", "store8", "atomic4", "atomic8",
    "ja", "jeq64", "jne64", "jgt64", "jge64", "jlt64", "jle64", "jset64", "jsgt64", "jsge64", "jslt64", "jsle64",
    "jeq32", "jne32", "jgt32", "jge32", "jlt32", "jle32", "jset32", "jsgt32", "jsge32", "jslt32", "jsle32",
    "call_key", "call_function", "call_local", "callx_helper", "callx", "exit",
)
OP = {name: number for number, name in enumerate(OPERATIONS)}

_ALU = {"add", "sub", "mul", "div", "mod", "sdiv", "smod", "or", "and", "xor", "lsh", "rsh", "arsh", "neg", "mov",
        "uhmul", "shmul", "hor"}
_CONDITIONS = {"jeq", "jne", "jgt", "jge", "jlt", "jle", "jset", "jsgt", "jsge", "jslt", "jsle"}
_SIGN_EXTENDED_32 = {"add", "sub", "mul"}  # the semantics sBPF v0 may sign-extend (Profile.alu32_sign_extends)
_REFERENCE_ERRORS = {"lddw_pseudo", "call_btf", "call_unsupported"}  # always fail; the reference words the error


def operation(step, profile: Profile) -> str:
    """The kernel operation of one decoded instruction in `profile`."""
    row, semantics = step.row, step.row.semantics
    if semantics in _ALU:
        name = semantics
        if semantics == "sub" and row.source == "imm" and profile.sub_imm_reversed:
            name = "subr"
        name += str(row.width) if semantics != "hor" else "64"
        if row.width == 32 and semantics in profile.alu32_sign_extends:
            if semantics not in _SIGN_EXTENDED_32 or name.startswith("subr"):
                raise NotImplementedError(f"{profile.name}: sign-extended {row.mnemonic} has no kernel operation")
            name += "sx"
        if name == "mov32" and row.source == "reg" and profile.mov32_reg_sign_extends:
            name = "mov32sx"
        return name
    if semantics == "movsx":
        return f"movsx{step.word.off}_{row.width}"
    if semantics == "le":
        return f"le{row.width}"
    if semantics in ("be", "bswap"):
        return f"bswap{row.width}"
    if semantics == "load":
        return f"load{row.width}"
    if semantics == "load_signed":
        return f"loads{row.width}"
    if semantics in ("store_imm", "store_reg"):
        return f"store{row.width}"
    if semantics == "atomic":
        return f"atomic{row.width}"
    if semantics in _CONDITIONS:
        return f"{semantics}{row.width}"
    if semantics in ("ja", "ja_long"):
        return "ja"
    if semantics == "call_helper":
        return "call_key"  # or call_function: see function_target
    if semantics == "callx":
        return "callx" if profile.is_sbpf else "callx_helper"
    if semantics in _REFERENCE_ERRORS:
        return "reference_error"
    if semantics in ("lddw", "call_local", "exit"):
        return semantics
    raise NotImplementedError(f"no kernel operation for {row.mnemonic} ({semantics})")


def jump_target(step, pc: int) -> int | None:
    """Where a jump or local call goes (pc relative, in `off` or, for gotol and call local, `imm`)."""
    semantics = step.row.semantics
    if semantics in ("ja_long", "call_local"):
        return pc + 1 + step.imm
    if semantics == "ja" or semantics in _CONDITIONS:
        return pc + 1 + step.word.off
    return None


def function_target(step, program, profile: Profile, length: int) -> int | None:
    """Where a `call imm` goes when its key names a function the ELF loader registered (sBPF before
    static syscalls), if inside the code; None otherwise (the driver serves it, as it does a helper).
    A helper with the same key takes precedence at run time (NATIVE_FUNCTION_CALLS)."""
    if step.row.semantics != "call_helper" or not profile.is_sbpf or profile.static_syscalls:
        return None
    target = program.function_map.get(step.imm & U32)
    return target if target is not None and 0 <= target < length else None


def native_function_calls(lowered: LoweredProgram, helpers) -> int:
    """NATIVE_FUNCTION_CALLS for a run of `lowered` with `helpers`: 1 unless a helper's key is also
    the key of a function the engines would call themselves."""
    return int(not any(key in helpers for key in lowered.function_keys))


def operand_register(step, profile: Profile) -> int | None:
    """The register the second operand comes from, or None if it is the immediate."""
    row = step.row
    if row.semantics == "callx":
        return step.word.imm if profile.callx_register == "imm" else getattr(step.word, profile.callx_register)
    if row.semantics in ("store_reg", "atomic", "movsx"):
        return step.word.src
    if row.semantics in ("load", "load_signed", "store_imm", "lddw", "hor"):
        return None
    return step.word.src if row.source == "reg" else None


def immediate(step) -> int:
    """The immediate as the unsigned 64-bit second operand (zero-extended where the row says so)."""
    if step.row.rules.get("imm_unsigned"):
        return step.imm & U32
    return step.imm & U64


# Fields of one instruction in LoweredProgram.code (one row of FIELDS uint64 per 8-byte word).
OPERATION, DST, SRC, MASK, IMM, OFF, AUX, COST = range(8)
FIELDS = 8


@dataclass(frozen=True)
class LoweredProgram:
    """A verified program as one uint64 array: a row of FIELDS per 8-byte word, plus a sentinel row
    at len(code) (the 'overrun' operation), flattened so the kernel reads code[pc * FIELDS + field].

        OPERATION  index into OPERATIONS
        DST, SRC   registers; SRC is a load's base register, else the second operand's register
        MASK, IMM  the second operand is (registers[SRC] & MASK) | IMM: a register operand has MASK
                   all ones and IMM 0, an immediate MASK 0, so the kernel fetches it without a branch
        OFF        the memory offset, sign-extended
        AUX        jump or call target (of call_function too), atomic operation, or the opcode of an
                   always-failing word
        COST       compute units
    """

    code: np.ndarray  # uint64[(length + 1) * FIELDS]
    length: int  # instruction words
    uniform_cost: bool  # every instruction costs one unit
    function_keys: frozenset = frozenset()  # the keys of the call_function operations

    def field(self, name: int) -> np.ndarray:
        return self.code[name::FIELDS]


@functools.lru_cache(maxsize=256)
def lower(program) -> LoweredProgram:
    """The kernel's array for `program` (cached per program: Program is frozen and hashable)."""
    profile = profile_table(program.profile).profile
    decoded = program.decoded
    rows = np.zeros((len(decoded) + 1, FIELDS), dtype=np.uint64)
    rows[:, OPERATION] = OP["overrun"]
    uniform = True
    function_keys = set()
    for pc, step in enumerate(decoded):
        row = rows[pc]
        if step is None:
            row[OPERATION] = OP["invalid_slot"]
            continue
        row[OPERATION] = OP[operation(step, profile)]
        function = function_target(step, program, profile, len(decoded))
        if function is not None:
            row[OPERATION] = OP["call_function"]
            function_keys.add(step.imm & U32)
        row[DST] = step.word.dst
        register = operand_register(step, profile)
        if step.row.semantics in ("load", "load_signed"):
            row[SRC] = step.word.src
        elif register is None:
            row[IMM] = immediate(step)
        else:
            row[SRC], row[MASK] = register, U64
        row[OFF] = step.word.off & U64
        target = jump_target(step, pc) if function is None else function
        if target is not None:
            row[AUX] = target & U64
        elif step.row.semantics == "atomic":
            row[AUX] = step.word.imm
        else:
            row[AUX] = step.word.opcode
        row[COST] = step.row.cost
        uniform &= step.row.cost == 1
    code = rows.reshape(-1)
    code.setflags(write=False)
    return LoweredProgram(code, len(decoded), uniform, frozenset(function_keys))


# -- a run's arrays --------------------------------------------------------------------------------

_FAST_COLUMNS = [(fast_column(size, write), size, write) for size in ACCESS_SIZES for write in (False, True)]
_FAST_COLUMNS_IN_ORDER = sorted(_FAST_COLUMNS)  # FAST, FAST + 1, ... NEXT - 1


def region_table(memory: Memory) -> np.ndarray:
    """The memory map as the engines read it (host addresses of the regions' numpy arrays)."""
    table = np.zeros((REGION_FIELDS, REGION_ROWS), dtype=np.uint64)
    rows = [(index, region) for index, region in enumerate(memory.regions[:REGION_COUNT]) if region is not None]
    free = SLOT_ROWS
    for slot, regions in sorted(memory.more.items()):
        if free + len(regions) > REGION_ROWS:
            raise ValueError(f"more than {MORE_REGIONS} further regions in the memory map")
        previous = slot
        for region in regions:
            table[NEXT, previous] = free
            rows.append((free, region))
            previous, free = free, free + 1
    for index, region in rows:
        fill_region_row(table, index, region)
    return table


def fill_region_row(table: np.ndarray, index: int, region: Region) -> None:
    """Describe `region` in row `index` of a region table (its NEXT link is left as it is)."""
    length = len(region.data)
    table[:FAST, index] = (address_of(region.data), region.start, length, int(region.writable), region.gap_size)
    if not region.gap_size:
        table[FAST:NEXT, index] = [max(0, length - size + 1) if region.writable or not write else 0
                                   for column, size, write in _FAST_COLUMNS_IN_ORDER]


def address_of(array: np.ndarray) -> int:
    """The host address of an array's data (cheaper than array.ctypes.data for writable arrays)."""
    if array.flags.writeable and array.size:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    return array.ctypes.data


@dataclass
class RunArrays:
    registers: np.ndarray
    state: np.ndarray
    frames: np.ndarray
    regions: np.ndarray

    def __post_init__(self):
        # what compiled code is entered with, computed once per run
        self.addresses = tuple(address_of(array) for array in (self.registers, self.state, self.frames,
                                                                self.regions))


def run_arrays(profile: Profile, memory: Memory, input_data: bytes, entry: int, budget: int | None) -> RunArrays:
    registers = np.zeros(REGISTERS + 1, dtype=np.uint64)
    registers[:REGISTERS] = initial_registers(profile, input_data)
    state = np.zeros(STATE_SLOTS, dtype=np.int64)
    state[PC] = entry
    state[BUDGET] = UNMETERED if budget is None else budget
    state[LIMIT] = state[BUDGET]
    state[STACK_POINTER] = initial_stack_pointer(profile)
    frames = np.zeros((profile.max_call_depth, FRAME_SLOTS), dtype=np.uint64)
    return RunArrays(registers, state, frames, region_table(memory))


@dataclass(frozen=True)
class CallRules:
    """What the kernel needs of the profile for calls: scalars passed with every entry."""

    max_depth: int
    dynamic_frames: bool
    frame_stride: int
    text_address: int


def call_rules(program, profile: Profile) -> CallRules:
    return CallRules(profile.max_call_depth, profile.dynamic_stack_frames, frame_stride(profile),
                     program.text_address)
