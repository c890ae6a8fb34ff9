"""The native child frame (docs/native-calls.md, step 4): `run_frames`, which runs a frame like
`kernel.run_kernel` and, when the frame's CALL-family instruction enters a contract the callee
table holds, runs the child in native code too (and its children, down to the arena's levels).

Speculative: a child that needs anything native code cannot do (a host instruction, a storage slot
the table does not hold, more memory than its arena buffer, a log that does not fit its parent's
buffer, a CALL that is not eligible, ...) makes the driver undo everything it did since the
outermost native CALL began (the storage table's journal back to the mark taken there, and the
children's arena memory cleared) and return with that CALL handed to the host as before
(registers[PENDING] == PENDING_CALL): the host then serves it with the reference's rules, which
gives the same result.

Eligible: CALL, STATICCALL and DELEGATECALL; the callee held by the callee table
(jitvm.evm.callee_table: code known, or no code with a balance entry; not a precompile, not an
EIP-7702 delegation), its warmth entry in the storage table, below the depth limit. A CALL with a
value also needs a frame that is not static and the balances of the caller and the callee in the
storage table (jitvm.evm.balance_table: both linked, so both accounts exist), and a callee that is
alive (code, or a balance above zero: no new-account charge on any fork); it then charges the value
(9,000), adds the stipend, and moves the value journaled (docs/native-values.md). A call into an
account without code, or one whose caller's balance is below the value, ends without a child frame. Gas is exact for any gas a native frame may have
(a frame's gas beyond NATIVE_GAS_LIMIT is in its GAS_RESERVE register); the reserve of the frame
Python runs stays as Python set it, so a child whose end would change it (one that fails with
nearly all of jitvm.EVM's default gas) goes back to Python. In the reference's order
(reference.instructions.system._call, execution.run_child): cold or warm access and the value
(charged, the callee warmed, journaled), the 63/64 rule, the stipend, the balance check, the value
moved (after the child's mark: a failing child undoes it), the child's frame from the arena (jitvm.evm.baseline.frame_arena) with its calldata,
environment words and registers; at the child's end, its gas left, refund and logs to the parent
on success, its storage changes undone on failure, its output as the parent's return data and into
the parent's output region, and 1 or 0 pushed.

The frame Python runs is level 0: its return data, once a native child has set it, is in the
arena's level-0 data buffer (after a copy of the frame's calldata), and registers[NATIVE_RETURN_DATA]
holds its size plus one, for Python to take (BaselineEngine._execute). Children run at levels 1 and
up. Nothing here allocates (the object code links without Numba's allocator): every array is a view
of memory Python allocated (the arena, the callee table's code rows, the storage table).
"""

import numpy as np
from numba import carray, types
from numba.extending import intrinsic

from jitvm.evm import gas
from jitvm.evm.baseline.frame_arena import (
    CONTROL_AT,
    DATA_AT,
    DATA_BYTES,
    DIRECTORY_COLUMNS,
    LEVELS,
    MEMORY_AT,
    MEMORY_BYTES,
    WORDS_AT,
)
from jitvm.evm.baseline.kernel import run_kernel
from jitvm.evm.baseline.layout import (
    ADDRESS_ROW,
    ARENA,
    CALL_ARGS_OFFSET,
    CALL_ARGS_SIZE,
    CALL_RETURNS_OFFSET,
    CALL_RETURNS_SIZE,
    CALLDATA_SIZE,
    CALLEE_CELLS,
    CALLEE_ROWS,
    CALLER_ROW,
    CALLVALUE_ROW,
    CHILD_MARK,
    CODE_AT,
    CODE_LENGTH,
    CODE_PADDING,
    CONTROL_ROWS,
    DEPTH,
    ENV_START,
    EXIT,
    EXIT_DONE,
    EXIT_HOST,
    GAS,
    GAS_RESERVE,
    LIMBS,
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
    MIN_HEIGHT,
    MIXED_LOGS,
    MSIZE,
    NATIVE_GAS_LIMIT,
    NATIVE_RETURN_DATA,
    NATIVE_WRITES,
    OPCODE,
    OUT_OFFSET,
    OUT_SIZE,
    PARENT_GAS,
    PENDING,
    PENDING_CALL,
    PENDING_NONE,
    REFUND,
    REGISTERS_ROW,
    SP,
    STATIC_FRAME,
    STATUS,
    STEPS,
    STORAGE_ACCOUNT,
    STORAGE_CELLS,
    STORAGE_COMPLETE,
    STORAGE_ROWS,
    UNLIMITED_STEPS,
    WORD_ROWS,
)
from jitvm.evm.callee_native import callee_cells, find_callee
from jitvm.evm.balance_native import can_receive, covers, is_zero, journal_room, move
from jitvm.evm.callee_table import ACCOUNT_INDEX, BALANCE_ENTRY, CODE_ADDRESS, CODE_SIZE, PRECOMPILE_RANGE
from jitvm.evm.message import Status
from jitvm.evm.opcodes import opcode_table
from jitvm.evm.storage_layout import HEADER, JOURNAL_LENGTH
from jitvm.evm.storage_native import has_journal_room, is_cold, table_cells, undo_to, warm, warmth_entry
from jitvm.jit.numba_cache import cached_njit

kernel = cached_njit(__name__, error_model="numpy")

_BY_NAME = opcode_table("Cancun").by_name
_CALL, _DELEGATECALL, _STATICCALL = (_BY_NAME[name].byte for name in ("CALL", "DELEGATECALL", "STATICCALL"))
_SUCCESS = int(Status.SUCCESS)
_REVERT = int(Status.REVERT)
_COLD_SURCHARGE = gas.COLD_ACCOUNT_SURCHARGE
_CALL_VALUE = gas.CALL_VALUE
_STIPEND = gas.CALL_STIPEND
# What _start_child did: left the instruction to the host, started a child frame, or finished the
# instruction without one (a callee without code, or a balance below the value).
_HOST, _CHILD, _NO_CHILD = 0, 1, 2
_DEPTH_LIMIT = gas.CALL_DEPTH_LIMIT
_REGISTERS_USED = 48  # the registers a child frame starts with cleared (layout's are all below)
_LOW_32 = np.uint64(0xFFFFFFFF)
_NATIVE_GAS_MAX = np.uint64(NATIVE_GAS_LIMIT - 1)  # registers[GAS] stays below NATIVE_GAS_LIMIT
_ZERO = np.uint64(0)
_ONE = np.uint64(1)


def _pointer_to(element):
    @intrinsic
    def as_pointer(typingctx, address):
        """An integer address as a pointer to `element`s."""
        if not isinstance(address, types.Integer):
            return None
        signature = types.CPointer(element)(address)

        def codegen(context, builder, sig, args):
            return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

        return signature, codegen

    return as_pointer


_bytes_at = _pointer_to(types.uint8)
_words_at = _pointer_to(types.uint64)
_int64s_at = _pointer_to(types.int64)


# Every array the driver passes run_kernel is made here from an address (carray), so that the kernel
# is compiled once, for arrays of these types, whatever arrays Python passed.

@kernel
def _code_array(address, size):
    return carray(_bytes_at(address), (2, size + CODE_PADDING))


@kernel
def _bytes_array(address, size):
    return carray(_bytes_at(address), size)


@kernel
def _words_array(address):
    return carray(_words_at(address), (WORD_ROWS, LIMBS))


@kernel
def _control_array(address):
    return carray(_int64s_at(address), (CONTROL_ROWS, 256))


@kernel
def _copy_word(source, source_row, target, target_row):
    for limb in range(LIMBS):
        target[target_row, limb] = source[source_row, limb]


@kernel
def _clear_memory(memory, size):
    for at in range(size):
        memory[at] = 0


@kernel
def _eligible_callee(words, registers, callees):
    """The callee table row of the CALL-family instruction registers[OPCODE] begins, or -1 if it
    is not one native code runs (see the module)."""
    op = registers[OPCODE]
    if op != _CALL and op != _DELEGATECALL and op != _STATICCALL:
        return -1
    if registers[DEPTH] + 1 > _DEPTH_LIMIT:
        return -1
    sp = registers[SP]
    if (words[sp - 2, 0] < np.uint64(PRECOMPILE_RANGE) and words[sp - 2, 1] == _ZERO
            and (words[sp - 2, 2] & _LOW_32) == _ZERO):
        return -1
    return find_callee(callees, words[sp - 2])


@kernel
def _has_value(words, registers):
    """Whether the CALL-family instruction registers[OPCODE] begins is a CALL with a value."""
    if registers[OPCODE] != _CALL:
        return False
    sp = registers[SP]
    for limb in range(LIMBS):
        if words[sp - 3, limb] != _ZERO:
            return True
    return False


@kernel
def _value_entries(words, callees, callee, cells):
    """For a CALL with a value into callee table row `callee`: the balance entries of the caller
    (the frame's own account) and of the callee, or (-1, -1) if the host must serve it: a balance
    Python keeps, or a callee without code whose balance is zero (it may be dead: the host decides
    the new-account charge)."""
    caller = find_callee(callees, words[ADDRESS_ROW])
    if caller < 0 or callees[caller, BALANCE_ENTRY] == _ZERO or callees[callee, BALANCE_ENTRY] == _ZERO:
        return -1, -1
    source = np.int64(callees[caller, BALANCE_ENTRY]) - 1
    target = np.int64(callees[callee, BALANCE_ENTRY]) - 1
    if callees[callee, CODE_SIZE] == _ZERO and is_zero(cells, target):
        return -1, -1
    return source, target


@kernel
def _fits_at_top(registers, gas_total):
    """Whether the frame Python runs can take a gas total of `gas_total` without changing the
    reserve Python holds (layout.GAS_RESERVE)."""
    reserve = np.uint64(registers[GAS_RESERVE])
    return gas_total >= reserve and gas_total - reserve <= _NATIVE_GAS_MAX


@kernel
def _finish_without_child(words, control, gas_total, success, top):
    """End the CALL-family instruction the frame handed over without a child frame: its gas total
    afterwards is `gas_total`, 1 or 0 pushed (the caller resets its return data)."""
    registers = control[REGISTERS_ROW]
    if top:
        registers[GAS] = np.int64(gas_total - np.uint64(registers[GAS_RESERVE]))
    else:
        native_gas = min(gas_total, _NATIVE_GAS_MAX)
        registers[GAS] = np.int64(native_gas)
        registers[GAS_RESERVE] = np.int64(gas_total - native_gas)
    sp = registers[SP] - control[MIN_HEIGHT, registers[OPCODE]] + 1
    words[sp - 1, 0] = _ONE if success else _ZERO
    for limb in range(1, LIMBS):
        words[sp - 1, limb] = _ZERO
    registers[SP] = sp
    registers[PENDING] = PENDING_NONE


@kernel
def _start_child(words, memory, control, child_words, child_control, child_data, callees, callee, cells, warmth,
                 top):
    """Begin the child frame of the CALL-family instruction the parent (`words`, `memory`,
    `control`) handed over, on the arena level of the child_* arrays, in the reference's order
    (system._call, execution.run_child): charge the access (and warm the callee) and the value,
    take the 63/64 rule's gas, add the stipend, check the balance, move the value, then fill the
    child's registers, environment and calldata. Returns _CHILD; _NO_CHILD if the instruction ended
    without a child (a balance below the value, or a callee without code); _HOST (nothing changed)
    if the host must do it. `top`: the parent is the frame Python runs."""
    registers = control[REGISTERS_ROW]
    op = registers[OPCODE]
    sp = registers[SP]
    args_size = registers[CALL_ARGS_SIZE]
    if args_size > DATA_BYTES:
        return _HOST
    has_value = _has_value(words, registers)
    source, target = np.int64(-1), np.int64(-1)
    if has_value:
        if registers[STATIC_FRAME] != 0:
            return _HOST  # (the host ends the frame as the reference does)
        source, target = _value_entries(words, callees, callee, cells)
        if source < 0 or not can_receive(cells, target, words[sp - 3]):
            return _HOST
    codeless = callees[callee, CODE_SIZE] == _ZERO
    # Gas as unsigned totals: a frame's gas is registers[GAS] plus its reserve's 64 bits (layout).
    gas_left = np.uint64(registers[GAS]) + np.uint64(registers[GAS_RESERVE])
    cold = is_cold(cells, warmth)
    extra = np.uint64(_COLD_SURCHARGE if cold else 0) + np.uint64(_CALL_VALUE if has_value else 0)
    if extra > gas_left or not journal_room(cells, (1 if cold else 0) + (2 if has_value else 0)):
        return _HOST  # (out of gas: the host ends the frame exactly as the reference does)
    stipend = np.uint64(_STIPEND if has_value else 0)
    if top and (codeless or has_value):  # it may end here: the frame's gas and return data must fit
        if registers[CALLDATA_SIZE] > DATA_BYTES or not _fits_at_top(registers, gas_left - extra + stipend):
            return _HOST
    if cold:
        warm(cells, warmth)
    gas_left -= extra
    available = gas_left - gas_left // np.uint64(64)
    requested = words[sp - 1]
    if requested[1] != _ZERO or requested[2] != _ZERO or requested[3] != _ZERO or requested[0] > available:
        child_gas = available
    else:
        child_gas = requested[0]
    if has_value and not covers(cells, source, words[sp - 3]):  # the call never starts; its gas comes back
        _finish_without_child(words, control, gas_left + stipend, False, top)
        return _NO_CHILD
    mark = np.int64(cells[HEADER, JOURNAL_LENGTH])
    if has_value:
        move(cells, source, target, words[sp - 3])
    if codeless:  # nothing to run: it succeeds with all its gas
        _finish_without_child(words, control, gas_left + stipend, True, top)
        return _NO_CHILD
    child_registers = child_control[REGISTERS_ROW]
    for column in range(_REGISTERS_USED):
        child_registers[column] = 0
    child_registers[PARENT_GAS] = np.int64(gas_left - child_gas)  # (the bits of a uint64)
    child_registers[CHILD_MARK] = mark
    child_gas += stipend
    native_gas = min(child_gas, _NATIVE_GAS_MAX)
    child_registers[GAS] = np.int64(native_gas)
    child_registers[GAS_RESERVE] = np.int64(child_gas - native_gas)
    child_registers[STEPS] = UNLIMITED_STEPS
    child_registers[CALLDATA_SIZE] = args_size
    child_registers[STATIC_FRAME] = 1 if op == _STATICCALL or registers[STATIC_FRAME] != 0 else 0
    child_registers[STORAGE_CELLS] = registers[STORAGE_CELLS]
    child_registers[STORAGE_ROWS] = registers[STORAGE_ROWS]
    child_registers[CALLEE_CELLS] = registers[CALLEE_CELLS]
    child_registers[CALLEE_ROWS] = registers[CALLEE_ROWS]
    child_registers[ARENA] = registers[ARENA]
    child_registers[DEPTH] = registers[DEPTH] + 1
    child_registers[CODE_AT] = np.int64(callees[callee, CODE_ADDRESS])
    child_registers[CODE_LENGTH] = np.int64(callees[callee, CODE_SIZE])
    for env_row in range(ENV_START, ENV_START + 256):
        _copy_word(words, env_row, child_words, env_row)
    if op == _DELEGATECALL:  # the callee's code as ours, in our caller's name: the rows and storage stay
        child_registers[STORAGE_ACCOUNT] = registers[STORAGE_ACCOUNT]
        child_registers[STORAGE_COMPLETE] = registers[STORAGE_COMPLETE]
    else:
        child_registers[STORAGE_ACCOUNT] = np.int64(callees[callee, ACCOUNT_INDEX])
        child_registers[STORAGE_COMPLETE] = 0
        _copy_word(words, ADDRESS_ROW, child_words, CALLER_ROW)
        child_words[ADDRESS_ROW, 0] = words[sp - 2, 0]
        child_words[ADDRESS_ROW, 1] = words[sp - 2, 1]
        child_words[ADDRESS_ROW, 2] = words[sp - 2, 2] & _LOW_32
        child_words[ADDRESS_ROW, 3] = _ZERO
        for limb in range(LIMBS):
            child_words[CALLVALUE_ROW, limb] = words[sp - 3, limb] if has_value else _ZERO
    offset = registers[CALL_ARGS_OFFSET]
    for at in range(args_size):
        child_data[at] = memory[offset + at]
    return _CHILD


@kernel
def _join_logs(parent_words, parent_control, child_words, child_control):
    """Append the child's buffered logs, with the account each came from (LOG_ACCOUNTS), to the
    parent's buffer (MIXED_LOGS set if one is not the parent's); False (nothing changed) if they do
    not fit."""
    parent, child = parent_control[REGISTERS_ROW], child_control[REGISTERS_ROW]
    logs, used = parent[LOGS], parent[LOG_BYTES]
    child_logs, child_bytes = child[LOGS], child[LOG_BYTES]
    if logs + child_logs > LOG_LIMIT or used + child_bytes > LOG_DATA_BYTES:
        return False
    for log in range(child_logs):
        for topic in range(4):
            _copy_word(child_words, LOG_TOPICS + 4 * log + topic, parent_words, LOG_TOPICS + 4 * (logs + log) + topic)
        parent_control[LOG_TOPIC_COUNTS, logs + log] = child_control[LOG_TOPIC_COUNTS, log]
        parent_control[LOG_STARTS, logs + log] = used + child_control[LOG_STARTS, log]
        parent_control[LOG_SIZES, logs + log] = child_control[LOG_SIZES, log]
        parent_control[LOG_ACCOUNTS, logs + log] = child_control[LOG_ACCOUNTS, log]
        if child_control[LOG_ACCOUNTS, log] != parent[STORAGE_ACCOUNT]:
            parent[MIXED_LOGS] = 1
    for at in range(child_bytes):  # byte by byte through the rows (a reshape may allocate)
        target, source = LOG_DATA * 32 + used + at, LOG_DATA * 32 + at
        limb_shift = np.uint64(8 * (source % 8))
        byte = (child_words[source // 32, (source % 32) // 8] >> limb_shift) & np.uint64(0xFF)
        target_shift = np.uint64(8 * (target % 8))
        row, limb = target // 32, (target % 32) // 8
        parent_words[row, limb] = (parent_words[row, limb] & ~(np.uint64(0xFF) << target_shift)) | (byte << target_shift)
    parent[LOGS] = logs + child_logs
    parent[LOG_BYTES] = used + child_bytes
    parent[NATIVE_WRITES] += child[NATIVE_WRITES]
    return True


@kernel
def run_frames(code, data, words, memory, control):
    """kernel.run_kernel, with the CALL-family children the module describes run natively."""
    registers = control[REGISTERS_ROW]
    if registers[ARENA] == 0:
        run_kernel(code, data, words, memory, control)
        return
    top_code = _code_array(code.ctypes.data, code.shape[1] - CODE_PADDING)
    top_data = _bytes_array(data.ctypes.data, data.size)
    top_words = _words_array(words.ctypes.data)
    top_memory = _bytes_array(memory.ctypes.data, memory.size)
    top_control = _control_array(control.ctypes.data)
    directory = carray(_words_at(registers[ARENA]), (LEVELS, DIRECTORY_COLUMNS))
    callees = callee_cells(registers[CALLEE_CELLS], registers[CALLEE_ROWS])
    cells = table_cells(registers[STORAGE_CELLS], registers[STORAGE_ROWS])
    level = 0
    outer_mark = 0
    level_code, level_data = top_code, top_data
    level_words, level_memory, level_control = top_words, top_memory, top_control
    while True:
        run_kernel(level_code, level_data, level_words, level_memory, level_control)
        level_registers = level_control[REGISTERS_ROW]
        exit_kind = level_registers[EXIT]
        if exit_kind == EXIT_HOST and level_registers[PENDING] == PENDING_CALL and level + 1 < LEVELS:
            callee = _eligible_callee(level_words, level_registers, callees)
            warmth = -1 if callee < 0 else warmth_entry(cells, np.int64(callees[callee, ACCOUNT_INDEX]))
            if warmth >= 0:
                mark = np.int64(cells[HEADER, JOURNAL_LENGTH])
                child = level + 1
                child_words = _words_array(directory[child, WORDS_AT])
                child_control = _control_array(directory[child, CONTROL_AT])
                child_data = _bytes_array(directory[child, DATA_AT], DATA_BYTES)
                started = _start_child(level_words, level_memory, level_control, child_words, child_control,
                                       child_data, callees, callee, cells, warmth, level == 0)
                if started == _NO_CHILD:  # the instruction ended here: the frame's return data is empty
                    calldata_size = level_registers[CALLDATA_SIZE]
                    level_data = _bytes_array(directory[level, DATA_AT], calldata_size)
                    if level == 0:
                        for at in range(calldata_size):  # (the same bytes if a native child ran before)
                            level_data[at] = top_data[at]
                        top_data = level_data
                        registers[NATIVE_RETURN_DATA] = 1
                    continue
                if started == _CHILD:
                    if level == 0:
                        outer_mark = mark
                    level = child
                    level_code = _code_array(callees[callee, CODE_ADDRESS],
                                             np.int64(callees[callee, CODE_SIZE]))
                    level_data = _bytes_array(directory[child, DATA_AT], level_registers[CALL_ARGS_SIZE])
                    level_words, level_control = child_words, child_control
                    level_memory = _bytes_array(directory[child, MEMORY_AT], MEMORY_BYTES)
                    continue
        if level == 0:
            return
        # A child stopped: it ended, or it needs the host (then everything goes back to the mark).
        child_registers = level_registers
        child_words, child_control, child_memory = level_words, level_control, level_memory
        parent = level - 1
        if parent == 0:
            parent_words, parent_memory, parent_control = top_words, top_memory, top_control
            parent_data_at = directory[0, DATA_AT]
        else:
            parent_words = _words_array(directory[parent, WORDS_AT])
            parent_memory = _bytes_array(directory[parent, MEMORY_AT], MEMORY_BYTES)
            parent_control = _control_array(directory[parent, CONTROL_AT])
            parent_data_at = directory[parent, DATA_AT]
        parent_registers = parent_control[REGISTERS_ROW]
        status = child_registers[STATUS]
        returned = status == _SUCCESS or status == _REVERT
        output_size = child_registers[OUT_SIZE] if exit_kind == EXIT_DONE and returned else 0
        calldata_size = parent_registers[CALLDATA_SIZE]
        ended = exit_kind == EXIT_DONE and calldata_size + output_size <= DATA_BYTES
        # The parent's gas afterwards: what it kept plus what the child returns. Python holds the
        # reserve of the frame it runs (level 0), so there only registers[GAS] may change.
        parent_gas = np.uint64(child_registers[PARENT_GAS])
        if returned:
            parent_gas += np.uint64(child_registers[GAS]) + np.uint64(child_registers[GAS_RESERVE])
        if parent == 0:
            parent_reserve = np.uint64(parent_registers[GAS_RESERVE])
            if parent_gas < parent_reserve or parent_gas - parent_reserve > _NATIVE_GAS_MAX:
                ended = False
            else:
                parent_gas -= parent_reserve
        else:
            parent_reserve = parent_gas - min(parent_gas, _NATIVE_GAS_MAX)
            parent_gas -= parent_reserve
        if ended and status == _SUCCESS and child_registers[LOGS] != 0:
            ended = _join_logs(parent_words, parent_control, child_words, child_control)  # the last that may fail
        if not ended:
            undo_to(cells, outer_mark)
            for active in range(1, level + 1):
                active_control = _control_array(directory[active, CONTROL_AT])
                _clear_memory(_bytes_array(directory[active, MEMORY_AT], MEMORY_BYTES),
                              active_control[REGISTERS_ROW, MSIZE])
            return
        if status != _SUCCESS:
            undo_to(cells, child_registers[CHILD_MARK])
        parent_registers[GAS] = np.int64(parent_gas)
        parent_registers[GAS_RESERVE] = np.int64(parent_reserve)
        if status == _SUCCESS and child_registers[REFUND] != 0:
            parent_registers[REFUND] += child_registers[REFUND]
            parent_registers[NATIVE_WRITES] += 1
        # The output: the parent's return data (after its calldata), and into its output region.
        parent_data = _bytes_array(parent_data_at, calldata_size + output_size)
        if parent == 0:
            for at in range(calldata_size):  # (the same bytes if a native child ran before)
                parent_data[at] = top_data[at]
        out_offset = child_registers[OUT_OFFSET]
        for at in range(output_size):
            parent_data[calldata_size + at] = child_memory[out_offset + at]
        returns_offset = parent_registers[CALL_RETURNS_OFFSET]
        for at in range(min(output_size, parent_registers[CALL_RETURNS_SIZE])):
            parent_memory[returns_offset + at] = child_memory[out_offset + at]
        _clear_memory(child_memory, child_registers[MSIZE])
        sp = parent_registers[SP] - parent_control[MIN_HEIGHT, parent_registers[OPCODE]] + 1
        parent_words[sp - 1, 0] = _ONE if status == _SUCCESS else _ZERO
        for limb in range(1, LIMBS):
            parent_words[sp - 1, limb] = _ZERO
        parent_registers[SP] = sp
        parent_registers[PENDING] = PENDING_NONE
        level = parent
        level_words, level_memory, level_control, level_data = parent_words, parent_memory, parent_control, parent_data
        if parent == 0:
            registers[NATIVE_RETURN_DATA] = output_size + 1
            level_code = top_code
            top_data = parent_data
        else:
            level_code = _code_array(parent_registers[CODE_AT], parent_registers[CODE_LENGTH])
