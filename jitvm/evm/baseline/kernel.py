"""The baseline engine's interpreter kernel: one Numba function that runs any EVM code.

`run_kernel` executes instructions until the frame ends, an instruction needs the host or a larger
memory buffer, or the step budget runs out, and records which in the registers (layout.EXIT_*).
Per instruction it does what the reference loop does, in the same order and driven by the same
table: undefined opcode, stack underflow, stack overflow, static gas; then the instruction's own
dynamic gas and checks, in the order of its reference function (jitvm.evm.reference.instructions).
The arithmetic is the limb kernels of jitvm.evm.limbs; the dynamic gas is jitvm.evm.gas's constants.

Safety: every buffer access is checked here, because Numba checks none. The stack height is checked
against the table before each instruction. A memory region is touched only after its expansion is
known to be payable, which bounds it by MEMORY_LIMIT, and only inside the buffer: a region past it
makes the kernel return EXIT_GROW before the instruction changes anything. Code is read through its
zero padding (layout.CODE_PADDING), jump targets are checked against the code size, and reads of
calldata and return data are checked per byte.

Gas is an int64: registers[GAS] is always below NATIVE_GAS_LIMIT (2**60; a frame's gas beyond it
waits in registers[GAS_RESERVE], see host.NativeFrame.store), and it never grows while the kernel runs. Every cost is computed without
overflow and compared with the gas left: a size of 2**64 or more costs at least 3 * 2**59 > 2**60
for any per-word price, so it is UNPAYABLE without being computed.
"""

import numpy as np

from jitvm.evm import gas
from jitvm.evm.limbs.uint256 import (
    ZERO_WORD,
    add,
    eq,
    equal,
    exp,
    exp_byte_length,
    fits_u64,
    gt,
    is_zero,
    iszero,
    lt,
    mul,
    sgt,
    slt,
    sub,
    unsigned_less,
)
from jitvm.evm.limbs.uint256_bits import and_, byte, clz, not_, or_, sar, shl, shr, signextend, xor
from jitvm.evm.limbs.uint256_div import addmod, div, mod, mulmod, sdiv, smod
from jitvm.evm.limbs.word64 import store_big_endian
from jitvm.evm.message import Status
from jitvm.evm.baseline.keccak import keccak256_word
from jitvm.evm.baseline.layout import (
    CALL_ARGS_OFFSET,
    CALL_ARGS_SIZE,
    CALL_GAS,
    CALL_RETURNS_OFFSET,
    CALL_RETURNS_SIZE,
    CALLDATA_SIZE,
    CALLEE_CELLS,
    CALLEE_ROWS,
    CODE_PADDING,
    CODE_ROW,
    ENV_START,
    EXIT,
    EXIT_DONE,
    EXIT_GROW,
    EXIT_HOST,
    EXIT_STEP,
    FAMILY_HANDLERS,
    GAS,
    GAS_RESERVE,
    HANDLER,
    HANDLER_ID,
    IMMEDIATE,
    JUMPDEST_ROW,
    LOG_ACCOUNTS,
    LOG_BYTES,
    LOG_DATA,
    LOG_DATA_BYTES,
    LOG_LIMIT,
    LOG_SIZES,
    LOG_STARTS,
    LOG_TOPIC_COUNTS,
    LOG_TOPICS,
    LOGS,
    MAX_HEIGHT,
    MIN_HEIGHT,
    MSIZE,
    NATIVE_WRITES,
    NEEDED_MEMORY,
    OPCODE,
    OUT_OFFSET,
    OUT_SIZE,
    OWN_HANDLERS,
    PC,
    PENDING,
    PENDING_KEY,
    PENDING_NONE,
    PENDING_CALL,
    PENDING_SLOAD,
    PENDING_SSTORE,
    REFUND,
    REGISTERS_ROW,
    SP,
    STACK_CHANGE,
    STATIC_FRAME,
    STATIC_GAS,
    STATUS,
    STEPS,
    STORAGE_ACCOUNT,
    STORAGE_CELLS,
    STORAGE_COMPLETE,
    STORAGE_ROWS,
)
from jitvm.evm.callee_native import callee_cells, find_callee
from jitvm.evm.callee_table import ACCOUNT_INDEX, CODE_SIZE
from jitvm.evm.storage_native import (
    find,
    has_entry_room,
    has_journal_room,
    insert,
    is_cold,
    original_of,
    store,
    table_cells,
    transient_load,
    transient_store,
    value_of,
    warm,
    warmth_entry,
)
from jitvm.jit.numba_cache import cached_njit

kernel = cached_njit(__name__, error_model="numpy")  # its cache is keyed by every module it imports
# For the few helpers of the hottest handlers that LLVM would leave out of line (a call costs more
# than PUSH itself: Numba passes every array as a dozen words).
inlined_kernel = cached_njit(__name__, error_model="numpy", inline="always")

UNPAYABLE = 1 << 62  # a cost above any gas a native frame can have; two of them still fit an int64

_SUCCESS = int(Status.SUCCESS)
_REVERT = int(Status.REVERT)
_OUT_OF_GAS = int(Status.OUT_OF_GAS)
_STACK_UNDERFLOW = int(Status.STACK_UNDERFLOW)
_STACK_OVERFLOW = int(Status.STACK_OVERFLOW)
_INVALID_OPCODE = int(Status.INVALID_OPCODE)
_INVALID_JUMP = int(Status.INVALID_JUMP)
_RETURNDATA_OUT_OF_BOUNDS = int(Status.RETURNDATA_OUT_OF_BOUNDS)

# Dynamic gas, from jitvm.evm.gas (module-level ints are compile-time constants to Numba).
_MEMORY_WORD = gas.MEMORY_WORD
_MEMORY_QUADRATIC_DIVISOR = gas.MEMORY_QUADRATIC_DIVISOR
_MEMORY_LIMIT = gas.MEMORY_LIMIT
_COPY_WORD = gas.COPY_WORD
_KECCAK256_WORD = gas.KECCAK256_WORD
_EXP_BYTE = gas.EXP_BYTE
_LOG_DATA_BYTE = gas.LOG_DATA_BYTE
_WARM_ACCESS = gas.WARM_ACCESS
_COLD_SLOAD = gas.COLD_SLOAD
_COLD_SLOAD_SURCHARGE = gas.COLD_SLOAD_SURCHARGE
_COLD_ACCOUNT_SURCHARGE = gas.COLD_ACCOUNT_SURCHARGE
_SSTORE_SET = gas.SSTORE_SET
_SSTORE_RESET = gas.SSTORE_RESET
_SSTORE_CLEAR_REFUND = gas.SSTORE_CLEAR_REFUND
_SSTORE_STIPEND_GUARD = gas.SSTORE_STIPEND_GUARD

_ZERO = np.uint64(0)
_BYTE_BITS = np.uint64(8)
_BYTE_MASK = np.uint64(0xFF)
_MEMORY_LIMIT_U64 = np.uint64(gas.MEMORY_LIMIT)
_WORD_OF_32 = (np.uint64(32), _ZERO, _ZERO, _ZERO)
_WORD_OF_1 = (np.uint64(1), _ZERO, _ZERO, _ZERO)

# Handler ids (layout.HANDLERS): the kernel names no opcode byte; the dispatch table maps each
# byte to its handler, and its stack effect, static gas and immediate size, at run time.
# (PC_, MSIZE_ and GAS_ have a trailing underscore: PC, MSIZE and GAS name registers.)
UNDEFINED, HOST, ENVIRONMENT, PUSH, DUP, SWAP = (HANDLER_ID[name] for name in FAMILY_HANDLERS)
SLOAD, SSTORE, LOG = HANDLER_ID["SLOAD"], HANDLER_ID["SSTORE"], HANDLER_ID["LOG"]
TLOAD, TSTORE = HANDLER_ID["TLOAD"], HANDLER_ID["TSTORE"]
CALL_FAMILY = HANDLER_ID["CALL"]
EXTCODESIZE = HANDLER_ID["EXTCODESIZE"]
_CALL_GAS_LIMIT = np.uint64(1 << 62)  # a larger gas word is left for the host to read
(POP, JUMPDEST, JUMP, JUMPI, ADD, MLOAD, MSTORE, AND, SUB, LT, ISZERO, MUL, GT, EQ, OR, XOR, SHR, SHL, DIV,
 NOT, SLT, SGT, MOD, EXP, CALLDATALOAD, MSTORE8, BYTE, SAR, SDIV, SMOD, ADDMOD, MULMOD, SIGNEXTEND,
 KECCAK256, PUSH0, CALLDATASIZE, CALLDATACOPY, CODESIZE, CODECOPY, RETURNDATASIZE, RETURNDATACOPY, MCOPY,
 PC_, MSIZE_, GAS_, STOP, RETURN, REVERT, INVALID, CLZ) = (HANDLER_ID[name] for name in OWN_HANDLERS)


# --- Gas -----------------------------------------------------------------------------------------


@kernel
def memory_cost(size):
    """gas.memory_cost: the total gas of a memory of `size` bytes (size <= MEMORY_LIMIT)."""
    words = (size + 31) >> 5
    return _MEMORY_WORD * words + words * words // _MEMORY_QUADRATIC_DIVISOR


@kernel
def expansion(msize, offset, size):
    """gas.memory_expansion_cost: (gas, new memory size) to touch [offset, offset + size), where
    offset and size are words. A region past MEMORY_LIMIT costs UNPAYABLE."""
    if is_zero(size):
        return 0, msize
    if not (fits_u64(offset) and fits_u64(size)):
        return UNPAYABLE, msize
    if offset[0] > _MEMORY_LIMIT_U64 or size[0] > _MEMORY_LIMIT_U64:
        return UNPAYABLE, msize
    end = np.int64(offset[0]) + np.int64(size[0])
    if end <= msize:
        return 0, msize
    if end > _MEMORY_LIMIT:
        return UNPAYABLE, msize
    new_size = ((end + 31) >> 5) * 32
    return memory_cost(new_size) - memory_cost(msize), new_size


@kernel
def per_word_cost(size, price):
    """price * words(size) for a size word (COPY_WORD, KECCAK256_WORD), or UNPAYABLE."""
    if not fits_u64(size):
        return UNPAYABLE
    count = (size[0] >> np.uint64(5)) + ((size[0] & np.uint64(31)) != _ZERO)
    return price * np.int64(count)  # at most 6 * 2**59: no overflow


# --- Words ---------------------------------------------------------------------------------------
# Indices are made unsigned before indexing: Numba adds wraparound code (index < 0: add the length)
# to every signed index LLVM cannot prove non-negative, such as sp - 1. These indices never are
# negative, and dropping that code made the whole kernel 10-30% faster.


@kernel
def read_row(words, row):
    """The word in words[row]."""
    index = np.uint64(row)
    return (words[index, 0], words[index, 1], words[index, 2], words[index, 3])


@kernel
def write_row(words, row, word):
    """Store `word` in words[row]."""
    index = np.uint64(row)
    words[index, 0] = word[0]
    words[index, 1] = word[1]
    words[index, 2] = word[2]
    words[index, 3] = word[3]


@kernel
def copy_row(words, source, target):
    write_row(words, target, read_row(words, source))


@kernel
def swap_rows(words, a, b):
    word_a = read_row(words, a)
    write_row(words, a, read_row(words, b))
    write_row(words, b, word_a)


@kernel
def _read_limb(data, start):
    """The uint64 stored big-endian in data[start : start + 8]."""
    value = _ZERO
    for index in range(8):
        value = (value << _BYTE_BITS) | np.uint64(data[start + np.uint64(index)])
    return value


@kernel
def read_memory_word(data, offset):
    """The word stored big-endian in data[offset : offset + 32] (memory, or calldata)."""
    start = np.uint64(offset)
    return (_read_limb(data, start + np.uint64(24)), _read_limb(data, start + np.uint64(16)),
            _read_limb(data, start + np.uint64(8)), _read_limb(data, start))


@kernel
def write_memory_word(memory, offset, word):
    """Write `word` big-endian into memory[offset : offset + 32] (the caller checked the bounds)."""
    start = np.uint64(offset)
    for limb in range(4):
        store_big_endian(memory, start + np.uint64((3 - limb) * 8), word[limb])


# --- Stack and code ------------------------------------------------------------------------------


@kernel
def read_code_limb(code, start):
    """The uint64 stored big-endian in code[CODE_ROW, start : start + 8] (LLVM makes it one load)."""
    index = np.uint64(start)
    value = _ZERO
    for offset in range(8):
        value = (value << _BYTE_BITS) | np.uint64(code[CODE_ROW, index + np.uint64(offset)])
    return value


@kernel
def immediate_limb(code, start, end, lowest):
    """The limb of the immediate code[start : end] whose least significant byte is `lowest` bytes
    below its end: whole 8-byte loads inside [start, end + 8), zero above the immediate."""
    top = end - lowest  # one past the limb's last byte
    if top >= start + 8:
        return read_code_limb(code, top - 8)
    if top > start:  # the immediate's 1 to 7 first bytes
        return read_code_limb(code, start) >> np.uint64(8 * (8 - (top - start)))
    return _ZERO


@inlined_kernel
def read_immediate(code, start, size):
    """code[start : start + size] read big-endian (1 <= size <= 32), as a word. An instruction starts
    inside the code, so start + 32 stays inside its zero padding (layout.CODE_PADDING): every load
    here is in the row, and an immediate cut off by the end of the code reads zeros."""
    if size <= 8:  # PUSH1 to PUSH8, most of them: one load
        return (read_code_limb(code, start) >> np.uint64(8 * (8 - size)), _ZERO, _ZERO, _ZERO)
    end = start + size
    return (immediate_limb(code, start, end, 0), immediate_limb(code, start, end, 8),
            immediate_limb(code, start, end, 16), immediate_limb(code, start, end, 24))


# --- Data ----------------------------------------------------------------------------------------


@kernel
def load_padded(words, row, data, offset):
    """words[row] = the 32 bytes of `data` from word `offset`, zero past the end (CALLDATALOAD)."""
    length = data.size
    if not fits_u64(offset) or offset[0] >= np.uint64(length):
        write_row(words, row, ZERO_WORD)
        return
    start = np.int64(offset[0])
    if start + 32 <= length:
        write_row(words, row, read_memory_word(data, start))
        return
    for limb in range(4):
        value = _ZERO
        for index in range(8):
            position = start + 8 * (3 - limb) + index
            byte_value = data[np.uint64(position)] if position < length else np.uint8(0)
            value = (value << _BYTE_BITS) | np.uint64(byte_value)
        words[np.uint64(row), limb] = value


@kernel
def copy_padded(memory, destination, data, offset, size):
    """memory[destination : destination + size] = data from word `offset`, zero past its end.
    The caller has paid for and grown memory to cover the destination region."""
    length = data.size
    available = 0
    start = 0
    if fits_u64(offset) and offset[0] < np.uint64(length):
        start = np.int64(offset[0])
        available = min(size, length - start)
    target = np.uint64(destination)
    for index in range(available):
        memory[target + np.uint64(index)] = data[np.uint64(start + index)]
    for index in range(available, size):
        memory[target + np.uint64(index)] = 0


@kernel
def move_memory(memory, destination, source, size):
    """MCOPY's copy: as if through a buffer, whatever the overlap."""
    target = np.uint64(destination)
    origin = np.uint64(source)
    if destination <= source:
        for index in range(size):
            memory[target + np.uint64(index)] = memory[origin + np.uint64(index)]
    else:
        for index in range(size - 1, -1, -1):
            memory[target + np.uint64(index)] = memory[origin + np.uint64(index)]


# --- Storage, in the state's native table (jitvm.evm.storage_native) -------------------------------
# A slot the table does not hold (and a change when its journal is full) is left to the host, which
# adds it: the kernel only marks which instruction it left (registers[PENDING], the slot in PENDING_KEY).


@kernel
def take_pending(words, control, sp):
    """The host has served the SLOAD or SSTORE the kernel left it (and the table holds the slot now)."""
    control[REGISTERS_ROW, PENDING] = PENDING_NONE


@kernel
def table_sload(cells, registers, key, gas_left):
    """SLOAD of `key` from the storage table (which may add the slot: STORAGE_COMPLETE): (cost
    beyond the static gas, value, done). Not done
    (nothing changed) when the host must serve it; done with a cost above gas_left means out of gas."""
    if registers[STORAGE_CELLS] == 0:
        return 0, ZERO_WORD, False
    entry = find(cells, registers[STORAGE_ACCOUNT], key)
    if entry < 0:  # a cold slot: zero, and added here, if the table holds all of the account's storage
        if registers[STORAGE_COMPLETE] == 0 or not has_entry_room(cells) or not has_journal_room(cells):
            return 0, ZERO_WORD, False
        if _COLD_SLOAD_SURCHARGE > gas_left:
            return _COLD_SLOAD_SURCHARGE, ZERO_WORD, True  # out of gas: the slot is not added
        entry = insert(cells, registers[STORAGE_ACCOUNT], key)
    cost = 0
    if is_cold(cells, entry):
        if not has_journal_room(cells):
            return 0, ZERO_WORD, False
        cost = _COLD_SLOAD_SURCHARGE
        if cost > gas_left:
            return cost, ZERO_WORD, True
        warm(cells, entry)
    return cost, value_of(cells, entry), True


@kernel
def native_extcodesize(cells, registers, word, gas_left):
    """EXTCODESIZE of the account whose address is the low 160 bits of `word`, if the callee table
    holds it (jitvm.evm.callee_table: no precompile, no delegation; its code size, 0 for one
    without code) and the storage table its warmth: (the cold surcharge, 0 if warm; the size;
    True), with the account warmed and journaled if it was cold and the surcharge fits `gas_left`
    (reference environment._access_account warms, then charges: a frame that runs out of gas
    there fails, and its failure undoes the warming anyway). (0, 0, False): the host serves it."""
    if registers[CALLEE_CELLS] == 0 or registers[STORAGE_CELLS] == 0:
        return 0, 0, False
    callees = callee_cells(registers[CALLEE_CELLS], registers[CALLEE_ROWS])
    callee = find_callee(callees, word)
    if callee < 0:
        return 0, 0, False
    warmth = warmth_entry(cells, np.int64(callees[callee, ACCOUNT_INDEX]))
    if warmth < 0:
        return 0, 0, False
    size = np.int64(callees[callee, CODE_SIZE])
    if not is_cold(cells, warmth):
        return 0, size, True
    if _COLD_ACCOUNT_SURCHARGE <= gas_left:
        if not has_journal_room(cells):
            return 0, 0, False
        warm(cells, warmth)
    return _COLD_ACCOUNT_SURCHARGE, size, True


@kernel
def sstore_cost_and_refund(original, current, new):
    """storage.sstore_cost_and_refund for a warm slot (the same rules, on words)."""
    if equal(original, current) and not equal(current, new):
        cost = _SSTORE_SET if is_zero(original) else _SSTORE_RESET
    else:
        cost = _WARM_ACCESS
    refund = 0
    if not equal(current, new):
        if not is_zero(original) and not is_zero(current) and is_zero(new):
            refund += _SSTORE_CLEAR_REFUND
        if not is_zero(original) and is_zero(current):
            refund -= _SSTORE_CLEAR_REFUND
        if equal(original, new):
            refund += (_SSTORE_SET if is_zero(original) else _SSTORE_RESET) - _WARM_ACCESS
    return cost, refund


@kernel
def native_sstore(cells, control, key, new, gas_left):
    """SSTORE of a slot the storage table holds (or may add), in a frame that may write, with more
    than the stipend left: (cost, done). Not done (nothing changed) when the host must serve it; done with a
    cost above gas_left means out of gas."""
    registers = control[REGISTERS_ROW]
    if (registers[STORAGE_CELLS] == 0 or registers[STATIC_FRAME] != 0
            or (gas_left <= _SSTORE_STIPEND_GUARD and registers[GAS_RESERVE] == 0)):
        return 0, False
    if not has_journal_room(cells):
        return 0, False
    entry = find(cells, registers[STORAGE_ACCOUNT], key)
    if entry < 0:  # a cold slot: zero, and added here, if the table holds all of the account's storage
        if registers[STORAGE_COMPLETE] == 0 or not has_entry_room(cells):
            return 0, False
        cost = sstore_cost_and_refund(ZERO_WORD, ZERO_WORD, new)[0] + _COLD_SLOAD
        if cost > gas_left:
            return cost, True  # out of gas: the slot is not added
        entry = insert(cells, registers[STORAGE_ACCOUNT], key)
    cost, refund = sstore_cost_and_refund(original_of(cells, entry), value_of(cells, entry), new)
    if is_cold(cells, entry):
        cost += _COLD_SLOAD
    if cost <= gas_left:
        registers[REFUND] += refund
        registers[NATIVE_WRITES] += 1
        store(cells, entry, new)
    return cost, True


@kernel
def log_fits(control, size):
    """Whether a LOG with `size` data bytes can go into the native buffer."""
    registers = control[REGISTERS_ROW]
    return (registers[STATIC_FRAME] == 0 and registers[LOGS] < LOG_LIMIT and fits_u64(size)
            and size[0] <= np.uint64(LOG_DATA_BYTES - registers[LOG_BYTES]))


@kernel
def buffer_log(words, control, memory, start, count, topics, first_topic, step, topic_count):
    """Append a log: `topic_count` topics from the rows topics[first_topic], topics[first_topic +
    step]... (the stack order), data memory[start : start + count]. log_fits said it fits; its gas
    is paid."""
    registers = control[REGISTERS_ROW]
    index = registers[LOGS]
    used = registers[LOG_BYTES]
    for topic in range(topic_count):
        write_row(words, LOG_TOPICS + 4 * index + topic, read_row(topics, first_topic + step * topic))
    control[LOG_TOPIC_COUNTS, index] = topic_count
    control[LOG_STARTS, index] = used
    control[LOG_SIZES, index] = count
    control[LOG_ACCOUNTS, index] = registers[STORAGE_ACCOUNT]
    if count:
        data = words.reshape(-1).view(np.uint8)
        first = np.uint64(LOG_DATA * 32 + used)
        origin = np.uint64(start)
        for offset in range(count):
            data[first + np.uint64(offset)] = memory[origin + np.uint64(offset)]
    registers[LOGS] = index + 1
    registers[LOG_BYTES] = used + count
    registers[NATIVE_WRITES] += 1


# --- The loop ------------------------------------------------------------------------------------


@kernel
def run_kernel(code, data, words, memory, control):
    """Run from registers[PC] until the frame ends, needs the host or a larger memory, or has used
    up registers[STEPS]; record which in registers[EXIT]. The stack is words[0 : 1024].

    The code array is padded with zeros, and pc never passes the padding (jumps land inside the
    code, immediates end within 32 bytes of it), so running off the end reads STOP.
    """
    registers = control[REGISTERS_ROW]
    pc = registers[PC]
    gas_left = registers[GAS]
    sp = registers[SP]
    msize = registers[MSIZE]
    steps = registers[STEPS]
    code_size = code.shape[1] - CODE_PADDING
    calldata = data[: registers[CALLDATA_SIZE]]
    returndata = data[registers[CALLDATA_SIZE]:]
    if registers[PENDING] != PENDING_NONE:
        take_pending(words, control, sp)
    cells = table_cells(registers[STORAGE_CELLS], registers[STORAGE_ROWS])
    exit_kind = EXIT_DONE
    status = _SUCCESS
    out_offset = 0
    out_size = 0
    needed_memory = 0
    op = 0
    while True:
        if steps == 0:
            exit_kind = EXIT_STEP
            break
        steps -= 1
        op = np.int64(code[CODE_ROW, np.uint64(pc)])
        handler = control[HANDLER, op]
        if handler == UNDEFINED:
            status = _INVALID_OPCODE
            break
        if sp < control[MIN_HEIGHT, op]:
            status = _STACK_UNDERFLOW
            break
        if sp > control[MAX_HEIGHT, op]:
            status = _STACK_OVERFLOW
            break
        gas_at_op = gas_left
        cost = control[STATIC_GAS, op]
        if cost > gas_left:
            status = _OUT_OF_GAS
            break
        gas_left -= cost
        next_pc = pc + 1

        # One switch on the handler id; LLVM compiles the chain into a jump table.
        if handler == PUSH:
            size = control[IMMEDIATE, op]
            write_row(words, sp, read_immediate(code, next_pc, size))
            next_pc += size
        elif handler == DUP:
            copy_row(words, sp - control[MIN_HEIGHT, op], sp)
        elif handler == SWAP:
            swap_rows(words, sp - 1, sp - control[MIN_HEIGHT, op])
        elif handler == POP or handler == JUMPDEST:
            pass
        elif handler == JUMP:
            destination = read_row(words, sp - 1)
            if (not fits_u64(destination) or destination[0] >= np.uint64(code_size)
                    or code[JUMPDEST_ROW, np.int64(destination[0])] == 0):
                status = _INVALID_JUMP
                break
            next_pc = np.int64(destination[0])
        elif handler == JUMPI:
            if not is_zero(read_row(words, sp - 2)):
                destination = read_row(words, sp - 1)
                if (not fits_u64(destination) or destination[0] >= np.uint64(code_size)
                        or code[JUMPDEST_ROW, np.int64(destination[0])] == 0):
                    status = _INVALID_JUMP
                    break
                next_pc = np.int64(destination[0])
        elif handler == ADD:
            write_row(words, sp - 2, add(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == AND:
            write_row(words, sp - 2, and_(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == SUB:
            write_row(words, sp - 2, sub(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == LT:
            write_row(words, sp - 2, lt(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == GT:
            write_row(words, sp - 2, gt(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == EQ:
            write_row(words, sp - 2, eq(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == ISZERO:
            write_row(words, sp - 1, iszero(read_row(words, sp - 1)))
        elif handler == MUL:
            write_row(words, sp - 2, mul(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == OR:
            write_row(words, sp - 2, or_(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == XOR:
            write_row(words, sp - 2, xor(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == SHR:
            write_row(words, sp - 2, shr(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == SHL:
            write_row(words, sp - 2, shl(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == DIV:
            write_row(words, sp - 2, div(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == NOT:
            write_row(words, sp - 1, not_(read_row(words, sp - 1)))
        elif handler == SLT:
            write_row(words, sp - 2, slt(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == SGT:
            write_row(words, sp - 2, sgt(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == MOD:
            write_row(words, sp - 2, mod(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == BYTE:
            write_row(words, sp - 2, byte(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == SAR:
            write_row(words, sp - 2, sar(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == CLZ:
            write_row(words, sp - 1, clz(read_row(words, sp - 1)))
        elif handler == SDIV:
            write_row(words, sp - 2, sdiv(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == SMOD:
            write_row(words, sp - 2, smod(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == SIGNEXTEND:
            write_row(words, sp - 2, signextend(read_row(words, sp - 1), read_row(words, sp - 2)))
        elif handler == ADDMOD:
            write_row(words, sp - 3, addmod(read_row(words, sp - 1), read_row(words, sp - 2),
                                              read_row(words, sp - 3)))
        elif handler == MULMOD:
            write_row(words, sp - 3, mulmod(read_row(words, sp - 1), read_row(words, sp - 2),
                                              read_row(words, sp - 3)))
        elif handler == ENVIRONMENT:
            copy_row(words, ENV_START + op, sp)
        elif handler == MLOAD or handler == MSTORE or handler == MSTORE8:
            offset = read_row(words, sp - 1)
            width = 1 if handler == MSTORE8 else 32
            inside = min(msize, memory.size) - width
            if fits_u64(offset) and inside >= 0 and offset[0] <= np.uint64(inside):
                cost, new_size = 0, msize  # inside the memory paid for: no expansion to price
            else:
                cost, new_size = expansion(msize, offset, _WORD_OF_1 if handler == MSTORE8 else _WORD_OF_32)
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            if new_size > memory.size:
                exit_kind, needed_memory, gas_left, steps = EXIT_GROW, new_size, gas_at_op, steps + 1
                break
            gas_left -= cost
            msize = new_size
            start = np.int64(offset[0])
            if handler == MLOAD:
                write_row(words, sp - 1, read_memory_word(memory, start))
            elif handler == MSTORE:
                write_memory_word(memory, start, read_row(words, sp - 2))
            else:
                memory[np.uint64(start)] = np.uint8(words[np.uint64(sp - 2), 0] & _BYTE_MASK)
        elif handler == SLOAD:
            key = read_row(words, sp - 1)
            cost, value, done = table_sload(cells, registers, key, gas_left)
            if not done:
                write_row(words, PENDING_KEY, key)
                registers[PENDING] = PENDING_SLOAD
                pc = next_pc
                exit_kind = EXIT_HOST
                break
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            gas_left -= cost
            write_row(words, sp - 1, value)  # known: no host needed
        elif handler == SSTORE:
            cost, done = native_sstore(cells, control, read_row(words, sp - 1), read_row(words, sp - 2), gas_left)
            if not done:  # the host serves it, and the kernel caches the slot on its return
                registers[PENDING] = PENDING_SSTORE
                pc = next_pc
                exit_kind = EXIT_HOST
                break
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            gas_left -= cost
        elif handler == LOG:
            offset = read_row(words, sp - 1)
            size = read_row(words, sp - 2)
            if not log_fits(control, size):
                pc = next_pc
                exit_kind = EXIT_HOST
                break
            count = np.int64(size[0])
            cost = _LOG_DATA_BYTE * count
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            gas_left -= cost
            cost, new_size = expansion(msize, offset, size)
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            if new_size > memory.size:
                exit_kind, needed_memory, gas_left, steps = EXIT_GROW, new_size, gas_at_op, steps + 1
                break
            gas_left -= cost
            msize = new_size
            buffer_log(words, control, memory, np.int64(offset[0]) if count else 0, count, words, sp - 3, -1,
                       control[MIN_HEIGHT, op] - 2)
        elif handler == TLOAD:
            if registers[STORAGE_CELLS] == 0:
                pc = next_pc
                exit_kind = EXIT_HOST
                break
            write_row(words, sp - 1, transient_load(cells, registers[STORAGE_ACCOUNT], read_row(words, sp - 1)))
        elif handler == TSTORE:
            if (registers[STORAGE_CELLS] == 0 or registers[STATIC_FRAME] != 0
                    or not transient_store(cells, registers[STORAGE_ACCOUNT], read_row(words, sp - 1),
                                           read_row(words, sp - 2))):
                pc = next_pc
                exit_kind = EXIT_HOST
                break
        elif handler == CALL_FAMILY:
            # The instruction's first rule, the memory expansion for the further of its input and
            # output regions (reference.instructions.system._call); the host does the rest.
            first = sp - 3 - (control[MIN_HEIGHT, op] - 6)  # CALL and CALLCODE have a value word
            args_offset, args_size = read_row(words, first), read_row(words, first - 1)
            returns_offset, returns_size = read_row(words, first - 2), read_row(words, first - 3)
            args_cost, args_end = expansion(msize, args_offset, args_size)
            returns_cost, returns_end = expansion(msize, returns_offset, returns_size)
            cost = max(args_cost, returns_cost)  # the cost grows with the end: the further one's
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            new_size = max(args_end, returns_end)
            if new_size > memory.size:
                exit_kind, needed_memory, gas_left, steps = EXIT_GROW, new_size, gas_at_op, steps + 1
                break
            gas_left -= cost
            msize = new_size
            requested = read_row(words, sp - 1)
            registers[CALL_GAS] = (np.int64(requested[0]) if fits_u64(requested) and requested[0] < _CALL_GAS_LIMIT
                                   else -1)
            empty = is_zero(args_size)
            registers[CALL_ARGS_OFFSET] = 0 if empty else np.int64(args_offset[0])
            registers[CALL_ARGS_SIZE] = 0 if empty else np.int64(args_size[0])
            empty = is_zero(returns_size)
            registers[CALL_RETURNS_OFFSET] = 0 if empty else np.int64(returns_offset[0])
            registers[CALL_RETURNS_SIZE] = 0 if empty else np.int64(returns_size[0])
            registers[PENDING] = PENDING_CALL
            pc = next_pc
            exit_kind = EXIT_HOST
            break
        elif handler == EXTCODESIZE:
            cost, size, done = native_extcodesize(cells, registers, words[sp - 1], gas_left)
            if not done:
                pc = next_pc
                exit_kind = EXIT_HOST
                break
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            gas_left -= cost
            write_row(words, sp - 1, (np.uint64(size), _ZERO, _ZERO, _ZERO))
        elif handler == HOST:
            pc = next_pc
            exit_kind = EXIT_HOST
            break
        elif handler == PUSH0:
            write_row(words, sp, ZERO_WORD)
        elif handler == EXP:
            exponent = read_row(words, sp - 2)
            cost = _EXP_BYTE * np.int64(exp_byte_length(exponent))
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            gas_left -= cost
            write_row(words, sp - 2, exp(read_row(words, sp - 1), exponent))
        elif handler == CALLDATALOAD:
            offset = read_row(words, sp - 1)
            inside = calldata.size - 32
            if fits_u64(offset) and inside >= 0 and offset[0] <= np.uint64(inside):
                write_row(words, sp - 1, read_memory_word(calldata, np.int64(offset[0])))
            else:  # reaches past the end: zero padding
                load_padded(words, sp - 1, calldata, offset)
        elif handler == KECCAK256:
            offset = read_row(words, sp - 1)
            size = read_row(words, sp - 2)
            cost = per_word_cost(size, _KECCAK256_WORD)
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            gas_left -= cost
            cost, new_size = expansion(msize, offset, size)
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            if new_size > memory.size:
                exit_kind, needed_memory, gas_left, steps = EXIT_GROW, new_size, gas_at_op, steps + 1
                break
            gas_left -= cost
            msize = new_size
            if is_zero(size):
                write_row(words, sp - 2, keccak256_word(memory, 0, 0))
            else:
                write_row(words, sp - 2, keccak256_word(memory, np.int64(offset[0]), np.int64(size[0])))
        elif handler == CALLDATACOPY or handler == CODECOPY or handler == RETURNDATACOPY or handler == MCOPY:
            destination = read_row(words, sp - 1)
            source = read_row(words, sp - 2)
            size = read_row(words, sp - 3)
            cost = per_word_cost(size, _COPY_WORD)
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            gas_left -= cost
            if handler == RETURNDATACOPY:
                length = np.uint64(returndata.size)
                if (not (fits_u64(source) and fits_u64(size)) or source[0] > length
                        or size[0] > length - source[0]):
                    status = _RETURNDATA_OUT_OF_BOUNDS
                    break
            if handler == MCOPY:
                # Expanding for the further of the two regions covers both.
                furthest = source if unsigned_less(destination, source) else destination
                cost, new_size = expansion(msize, furthest, size)
            else:
                cost, new_size = expansion(msize, destination, size)
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            if new_size > memory.size:
                exit_kind, needed_memory, gas_left, steps = EXIT_GROW, new_size, gas_at_op, steps + 1
                break
            gas_left -= cost
            msize = new_size
            if not is_zero(size):
                start = np.int64(destination[0])
                count = np.int64(size[0])
                if handler == CALLDATACOPY:
                    copy_padded(memory, start, calldata, source, count)
                elif handler == CODECOPY:
                    copy_padded(memory, start, code[CODE_ROW, :code_size], source, count)
                elif handler == RETURNDATACOPY:
                    copy_padded(memory, start, returndata, source, count)
                else:
                    move_memory(memory, start, np.int64(source[0]), count)
        elif handler == RETURN or handler == REVERT:
            offset = read_row(words, sp - 1)
            size = read_row(words, sp - 2)
            cost, new_size = expansion(msize, offset, size)
            if cost > gas_left:
                status = _OUT_OF_GAS
                break
            if new_size > memory.size:
                exit_kind, needed_memory, gas_left, steps = EXIT_GROW, new_size, gas_at_op, steps + 1
                break
            gas_left -= cost
            msize = new_size
            if not is_zero(size):
                out_offset = np.int64(offset[0])
                out_size = np.int64(size[0])
            status = _SUCCESS if handler == RETURN else _REVERT
            sp -= 2
            pc = next_pc
            break
        elif handler == STOP:
            pc = next_pc
            break
        elif handler == CALLDATASIZE:
            write_row(words, sp, (np.uint64(calldata.size), _ZERO, _ZERO, _ZERO))
        elif handler == CODESIZE:
            write_row(words, sp, (np.uint64(code_size), _ZERO, _ZERO, _ZERO))
        elif handler == RETURNDATASIZE:
            write_row(words, sp, (np.uint64(returndata.size), _ZERO, _ZERO, _ZERO))
        elif handler == PC_:
            write_row(words, sp, (np.uint64(pc), _ZERO, _ZERO, _ZERO))
        elif handler == MSIZE_:
            write_row(words, sp, (np.uint64(msize), _ZERO, _ZERO, _ZERO))
        elif handler == GAS_:
            write_row(words, sp, (np.uint64(gas_left) + np.uint64(registers[GAS_RESERVE]), _ZERO, _ZERO, _ZERO))
        else:  # INVALID
            status = _INVALID_OPCODE
            break
        sp += control[STACK_CHANGE, op]
        pc = next_pc

    registers[PC] = pc
    registers[GAS] = gas_left
    registers[SP] = sp
    registers[MSIZE] = msize
    registers[EXIT] = exit_kind
    registers[STATUS] = status
    registers[OPCODE] = op
    registers[OUT_OFFSET] = out_offset
    registers[OUT_SIZE] = out_size
    registers[STEPS] = steps
    registers[NEEDED_MEMORY] = needed_memory

