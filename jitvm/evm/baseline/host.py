"""The Python side of the baseline engine: what serves the instructions the kernel hands back.

The kernel leaves for every instruction that reaches the host (storage, balances, other accounts'
code, block hashes, logs, calls, creates, SELFDESTRUCT), after it has checked the stack and charged
the static gas. Those instructions are served by the reference interpreter's own functions
(jitvm.evm.reference.instructions), run on a `NativeFrame`: a view of the kernel's buffers shaped
like the reference's Frame (`stack.pop()` / `stack.append()` on the limb array, `memory` on the
uint8 buffer, `gas_left`, `return_data`, ...). So the state-touching semantics, including the order
of every gas charge and check in CALL and CREATE, are not restated here: they are the reference's,
by construction. The same view serves the EIP-3155 tracer.
"""

from __future__ import annotations

import struct
from functools import cache

import numpy as np

from jitvm.evm.gas import COLD_SLOAD_SURCHARGE, MEMORY_LIMIT
from jitvm.evm.baseline.layout import (
    ACCOUNT_MNEMONICS,
    CALLEE_CELLS,
    CALLEE_ROWS,
    GAS_RESERVE,
    LOG_ACCOUNTS,
    LOG_BYTES,
    LOG_DATA,
    LOG_SIZES,
    LOG_TOPIC_COUNTS,
    LOG_TOPICS,
    LOGS,
    MIXED_LOGS,
    MSIZE,
    NATIVE_GAS_LIMIT,
    NATIVE_WRITES,
    PC,
    STORAGE_CELLS,
    STORAGE_ROWS,
    PENDING_KEY,
    REFUND,
    STORAGE_MNEMONICS,
    TRANSIENT_MNEMONICS,
    WORD_BYTES,
    handler_of,
)
from jitvm.evm.logs import NativeLogBatch
from jitvm.evm.memory_budget import take_memory
from jitvm.evm.opcodes import opcode_table
from jitvm.evm.reference.frame import ExceptionalHalt
from jitvm.evm.reference.instructions.storage import sstore as _reference_sstore


class NativeStack:
    """The kernel's stack (the first 1024 rows of `words`) as the list the reference instructions
    pop and append."""

    __slots__ = ("_bytes", "_limbs", "height")

    def __init__(self, words: np.ndarray):
        self._bytes = memoryview(words).cast("B")
        self._limbs = self._bytes.cast("Q")  # the same rows as 64-bit limbs, least significant first
        self.height = 0

    @property
    def words_bytes(self) -> memoryview:
        """Every row of `words`, as bytes."""
        return self._bytes

    def pop(self) -> int:
        self.height -= 1
        start = self.height * WORD_BYTES
        return int.from_bytes(self._bytes[start : start + WORD_BYTES], "little")

    def pop_many(self, count: int) -> list[int]:
        """The top `count` words, top first, popped (the CALL family's arguments). A word whose upper
        limbs are zero, as offsets, sizes and most gas and values are, is read as its low limb."""
        height = self.height = self.height - count
        limbs = self._limbs
        words = []
        for at in range(4 * (height + count - 1), 4 * height - 1, -4):
            if limbs[at + 1] or limbs[at + 2] or limbs[at + 3]:
                words.append(int.from_bytes(self._bytes[at * 8 : at * 8 + WORD_BYTES], "little"))
            else:
                words.append(limbs[at])
        return words

    def append(self, value: int) -> None:
        start = self.height * WORD_BYTES
        self._bytes[start : start + WORD_BYTES] = int(value).to_bytes(WORD_BYTES, "little")
        self.height += 1

    def write_row(self, row: int, value: int) -> None:
        """Store `value` in any row of `words` (the environment rows, for instance)."""
        self._bytes[row * WORD_BYTES : (row + 1) * WORD_BYTES] = value.to_bytes(WORD_BYTES, "little")

    def __len__(self) -> int:
        return self.height

    def __getitem__(self, index: int) -> int:
        row = range(self.height)[index]
        return int.from_bytes(self._bytes[row * WORD_BYTES : (row + 1) * WORD_BYTES], "little")

    def __iter__(self):
        for row in range(self.height):
            yield self[row]


class NativeMemory:
    """The kernel's memory buffer (zero past `size`) as the bytearray the reference helpers use:
    len(), extend() with zeros, and slice reads and writes inside the expanded region."""

    __slots__ = ("buffer", "size", "address")

    def __init__(self, buffer: np.ndarray, address: int | None = None):
        self.buffer = buffer
        self.size = 0
        self.address = buffer.ctypes.data if address is None else address  # for native code

    def __len__(self) -> int:
        return self.size

    def extend(self, zeros: bytes) -> None:
        new_size = self.size + len(zeros)
        self.reserve(new_size)
        self.size = new_size

    def reserve(self, capacity: int) -> None:
        """Make the buffer hold at least `capacity` bytes (at least doubling it, up to MEMORY_LIMIT)."""
        if capacity > self.buffer.size:
            grown = np.zeros(max(capacity, min(2 * self.buffer.size, MEMORY_LIMIT)), dtype=np.uint8)
            grown[: self.size] = self.buffer[: self.size]
            self.buffer = grown
            self.address = grown.ctypes.data

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, _ = key.indices(self.size)
            return self.buffer[start:stop].tobytes()
        return int(self.buffer[range(self.size)[key]])

    def __setitem__(self, key, data) -> None:
        if isinstance(key, slice):
            start, stop, _ = key.indices(self.size)
            if stop - start != len(data):
                raise ValueError("memory writes may not change the memory size")
            # Through a memoryview: numpy's slice assignment of a new array costs several times more
            # (a CALL's output is written here once per child frame).
            memoryview(self.buffer)[start:stop] = data if type(data) is bytes else bytes(data)
        else:
            self.buffer[range(self.size)[key]] = data


_FOUR_REGISTERS = struct.Struct("=4q")
_unpack_four, _pack_four = _FOUR_REGISTERS.unpack_from, _FOUR_REGISTERS.pack_into

# The registers `load` and `store` move, in this order.
assert (PC, MSIZE) == (0, 3), "PC, GAS, SP, MSIZE are the first four registers"


class NativeFrame:
    """A frame running on the baseline engine, with the attributes of the reference's Frame.

    While the kernel runs, the registers hold pc, gas and the stack and memory sizes; while the host
    serves an instruction, these attributes do. `load` and `store` move them across.
    """

    __slots__ = (
        "message", "ctx", "state", "code", "pc", "stack", "memory", "gas_left", "return_data",
        "output", "running", "registers", "gas_reserve", "control", "halt", "words", "control_bytes",
        "storage_table",
    )

    def __init__(self, message, ctx, words: np.ndarray, memory_buffer: np.ndarray, control: np.ndarray,
                 memory_address: int | None = None, stack: NativeStack | None = None,
                 control_bytes: memoryview | None = None, registers: memoryview | None = None):
        self.stack = NativeStack(words) if stack is None else stack
        self.memory = NativeMemory(memory_buffer, memory_address)
        self.control = control
        self.words = words
        self.control_bytes = memoryview(control).cast("B") if control_bytes is None else control_bytes
        # The registers row as int64s: indexing a memoryview gives Python ints, and costs a fraction of
        # indexing the numpy row.
        self.registers = self.control_bytes[: control.shape[1] * 8].cast("q") if registers is None else registers
        self.start(message, ctx, memory_buffer, self.memory.address)

    def start(self, message, ctx, memory_buffer: np.ndarray, memory_address: int) -> None:
        """Begin `message`'s frame on this view's buffers (the engines keep one view per pooled set
        of buffers and start it again: cheaper than a new view per frame)."""
        self.message = message
        self.ctx = ctx
        self.state = ctx.state
        self.code = message.code
        self.pc = 0
        self.stack.height = 0
        memory = self.memory
        memory.buffer, memory.size, memory.address = memory_buffer, 0, memory_address
        self.gas_left = message.gas
        self.return_data = b""
        self.output = b""
        self.running = True
        self.gas_reserve = 0  # gas beyond NATIVE_GAS_LIMIT, kept out of registers[GAS]
        self.storage_table = None  # the state's native storage table (BaselineEngine._run_native sets it)

    def load(self) -> None:
        """Take pc, gas and sizes from the registers (the kernel has just returned)."""
        self.pc, gas, self.stack.height, self.memory.size = _unpack_four(self.control_bytes)
        self.gas_left = gas + self.gas_reserve

    def store(self) -> None:
        """Put pc, gas and sizes back into the registers (before entering the kernel). Gas beyond
        NATIVE_GAS_LIMIT goes to registers[GAS_RESERVE]: the kernel charges only what is below, so
        its int64 sums never overflow; no run between two host instructions can spend 2**60 gas,
        so it never runs out early (a larger single cost is memory past MEMORY_LIMIT: out of gas
        anyway)."""
        gas = self.gas_left
        if gas >= NATIVE_GAS_LIMIT or self.gas_reserve:
            self.gas_reserve = max(0, gas - (NATIVE_GAS_LIMIT - 1))
            reserve = self.gas_reserve  # below 2**64: stored as its 64 bits (GAS adds modulo 2**64)
            self.registers[GAS_RESERVE] = reserve - (1 << 64) if reserve >> 63 else reserve
            gas -= self.gas_reserve
        _pack_four(self.control_bytes, 0, self.pc, gas, self.stack.height, self.memory.size)
        self.store_table()

    def store_table(self) -> None:
        """Tell native code where the state's storage table and callee table are: Python may have
        grown them (new arrays) since native code last ran (the kernel's EXTCODESIZE reads the callee
        table of any frame that names one)."""
        table = self.storage_table
        if table is not None:
            registers = self.registers
            registers[STORAGE_CELLS] = table.address
            registers[STORAGE_ROWS] = table.rows
            if registers[CALLEE_CELLS]:
                callees = self.state.callees
                registers[CALLEE_CELLS], registers[CALLEE_ROWS] = callees.address, callees.rows


def grow_memory(frame: NativeFrame, needed: int) -> None:
    """Make the frame's memory buffer hold `needed` bytes (the kernel returned EXIT_GROW), taking
    the growth from the transaction's memory budget before allocating it."""
    memory = frame.memory
    if needed > memory.buffer.size:
        take_memory(frame.ctx, needed - memory.buffer.size)
    memory.reserve(needed)


def flush_native(frame: NativeFrame) -> None:
    """Give the state the refund and logs the kernel (or compiled code) made natively since the
    last flush (kernel.native_sstore, kernel.buffer_log), in the order the reference would have made
    them: the refund, then the logs (one batch of raw bytes, jitvm.evm.logs: the Log objects are
    made if someone reads them). (Storage writes and warmth are in the state's storage table
    already.)"""
    control = frame.control_bytes
    writes, refund, logs, log_bytes = _unpack_writes(control, _WRITES_AT)
    if not writes:
        return
    _pack_writes(control, _WRITES_AT, 0, 0, 0, 0)
    registers = frame.registers
    mixed = registers[MIXED_LOGS]
    if mixed:
        registers[MIXED_LOGS] = 0
    state = frame.state
    if refund:
        state.add_refund(refund)
    if not logs:
        return
    words = frame.stack._bytes  # (words_bytes, without the property's call)
    # NativeLogBatch(...) with its fields set here: a third cheaper than calling its __init__
    batch = _new_batch(NativeLogBatch)
    batch.address, batch.count, batch.data = frame.message.target, logs, bytes(words[_DATA_AT : _DATA_AT + log_bytes])
    if logs == 1 and not mixed:  # the usual case: its topics, its count as bytes, its data
        count = _unpack_count(control, _COUNTS_AT)[0]
        batch.topics, batch.counts = bytes(words[_TOPICS_AT : _TOPICS_AT + WORD_BYTES * count]), _COUNT_BYTES[count]
        batch.sizes = batch.addresses = None
    else:
        size = 8 * logs
        batch.topics = bytes(words[_TOPICS_AT : _TOPICS_AT + 4 * WORD_BYTES * logs])
        batch.counts, batch.sizes = bytes(control[_COUNTS_AT : _COUNTS_AT + size]), bytes(control[_SIZES_AT : _SIZES_AT + size])
        batch.addresses = log_addresses(frame, control[_ACCOUNTS_AT : _ACCOUNTS_AT + size]) if mixed else None
    state.add_native_logs(batch)


def log_addresses(frame: NativeFrame, accounts: memoryview) -> tuple[bytes, ...]:
    """The address of each buffered log, from its LOG_ACCOUNTS entry (`accounts`, int64s as bytes):
    the storage table's account indexes (native child frames of other accounts added logs)."""
    names = frame.storage_table.addresses
    return tuple(names[account] for account in accounts.cast("q"))


# Where flush_native copies the log buffer from: bytes into `words` and into `control` (rows of 256
# int64 registers).
_TOPICS_AT, _DATA_AT = LOG_TOPICS * WORD_BYTES, LOG_DATA * WORD_BYTES
_COUNTS_AT, _SIZES_AT, _ACCOUNTS_AT = (row * 256 * 8 for row in (LOG_TOPIC_COUNTS, LOG_SIZES, LOG_ACCOUNTS))
# (A batch needs no LOG_STARTS: the kernel and the native driver's _join_logs put the logs' data one
# after another, so log i's data starts at the sum of the sizes before it.)
_unpack_count = struct.Struct("=q").unpack_from
_new_batch = object.__new__
_COUNT_BYTES = tuple(count.to_bytes(8, "little") for count in range(5))  # a log's topic count as a batch's counts
# The native writes' registers, read and cleared at once.
assert (REFUND, LOGS, LOG_BYTES) == (NATIVE_WRITES + 1, NATIVE_WRITES + 2, NATIVE_WRITES + 3)
_WRITES_AT = NATIVE_WRITES * 8
_unpack_writes, _pack_writes = struct.Struct("=4q").unpack_from, struct.Struct("=4q").pack_into


def serve_sload(frame: NativeFrame) -> bool:
    """The kernel's SLOAD of a slot the storage table does not hold (registers[PENDING] is
    PENDING_SLOAD), as the reference's SLOAD does it (which adds the slot to the table). False if
    the cold access is not payable (the frame runs out of gas)."""
    words = frame.stack.words_bytes
    at = PENDING_KEY * WORD_BYTES
    key = int.from_bytes(words[at : at + WORD_BYTES], "little")
    state, target = frame.state, frame.message.target
    if state.warm_slot(target, key):
        if COLD_SLOAD_SURCHARGE > frame.gas_left:
            return False
        frame.gas_left -= COLD_SLOAD_SURCHARGE
    stack = frame.stack
    stack.height -= 1
    stack.append(state.get_storage(target, key))
    return True


def serve_sstore(frame: NativeFrame) -> bool:
    """The kernel's SSTORE of a slot the storage table does not hold, or that it could not write
    natively (registers[PENDING] is PENDING_SSTORE), by the reference's SSTORE. False if it halted
    (frame.halt says how). Native writes need not be taken first: storage is in the table, and
    refunds add up in any order."""
    try:
        _reference_sstore(frame)
    except ExceptionalHalt as halt:
        frame.halt = halt.status
        return False
    return True


@cache
def host_handlers(fork: str) -> tuple:
    """Per opcode byte, the reference function that serves it when the kernel hands it back."""
    from jitvm.evm.reference.instructions import IMPLEMENTATIONS

    handlers = [None] * 256
    for opcode in opcode_table(fork).by_byte:
        if opcode is not None and handler_of(opcode) in ("HOST", "LOG", "CALL", *STORAGE_MNEMONICS,
                                                         *TRANSIENT_MNEMONICS, *ACCOUNT_MNEMONICS):
            handlers[opcode.byte] = IMPLEMENTATIONS[opcode.mnemonic]
    return tuple(handlers)
