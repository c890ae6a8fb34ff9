"""What the baseline kernel works on: five numpy arrays, so entering it again is one cheap call.

Numba's dispatcher checks and unboxes every array argument (about half a microsecond each), so the
frame's state is packed into as few arrays as its element types allow:

    code     uint8[2, len + 33]   row CODE_ROW: the code, padded with zeros so PUSH32 at the very end
                                  reads zeros; row JUMPDEST_ROW: 1 where a JUMPDEST may be jumped to.
                                  Read-only, shared by every frame that runs the same code.
    data     uint8[n]             the calldata followed by the return data of the last call
                                  (registers[CALLDATA_SIZE] splits them). Read-only; rebuilt after calls.
    words    uint64[WORD_ROWS, 4] 256-bit words, four little-endian limbs a row
                                  (jitvm.evm.limbs.uint256): the stack, then per opcode byte the word an
                                  environment opcode (CALLER...) pushes, then the slot of an SLOAD left
                                  to the host, then the log buffer.
    memory   uint8[capacity]      zero past the frame's memory size. The kernel never reallocates it:
                                  it returns EXIT_GROW and the engine passes a larger one.
    control  int64[CONTROL_ROWS, 256]  row REGISTERS_ROW: pc, gas left, stack height, memory size and
                                  how the kernel returned; then the fork's dispatch table (below);
                                  then the log buffer's topic counts, data starts, sizes and accounts.

The dispatch table is derived from the opcode table, one row per fact: each opcode's handler (how
the kernel runs it), the stack height it needs, the height it allows, its stack change, its static
gas and its immediate size. Nothing here states an opcode fact of its own; the handlers come from
the table's flags and mnemonics.

Storage is not in these arrays: it is the state's native storage table (jitvm.evm.storage_table),
shared by every frame and transaction, which native code finds through the STORAGE_* registers.
"""

from __future__ import annotations

import sys
from functools import cache, lru_cache

import numpy as np

from jitvm.evm.jumpdests import jumpdest_positions
from jitvm.evm.opcodes import STACK_LIMIT, opcode_table

assert sys.byteorder == "little", "words are read as little-endian bytes"

WORD_BYTES = 32
LIMBS = 4
CODE_PADDING = WORD_BYTES + 1  # the longest immediate, plus one so pc == len(code) reads as STOP

# -- code ------------------------------------------------------------------------------------------
CODE_ROW, JUMPDEST_ROW = 0, 1

# -- words -----------------------------------------------------------------------------------------
STACK_START = 0
ENV_START = STACK_START + STACK_LIMIT  # + opcode byte
PENDING_KEY = ENV_START + 256  # the slot of the SLOAD the host is serving
# The native log buffer: the logs a frame emitted since the host last took them (host.flush_native).
LOG_LIMIT = 64  # logs
LOG_DATA_BYTES = 4096  # their data in all; a LOG that does not fit is served by the host
LOG_TOPICS = PENDING_KEY + 1  # + 4 * log + topic
LOG_DATA = LOG_TOPICS + 4 * LOG_LIMIT  # the data bytes of every buffered log, one after another
WORD_ROWS = LOG_DATA + LOG_DATA_BYTES // 32

# -- control: registers, dispatch table, log buffer ------------------------------------------------
REGISTERS_ROW = 0
HANDLER, MIN_HEIGHT, MAX_HEIGHT, STACK_CHANGE, STATIC_GAS, IMMEDIATE = range(1, 7)
# Per buffered log: its topic count, and where its data starts in LOG_DATA and how long it is.
LOG_TOPIC_COUNTS, LOG_STARTS, LOG_SIZES = 7, 8, 9
# Per buffered log: the storage table's index of the account that emitted it (the emitting frame's
# registers[STORAGE_ACCOUNT]): a native child's logs join its parent's buffer (frame_driver), and
# host.flush_native names each log's address from it.
LOG_ACCOUNTS = 10
CONTROL_ROWS = LOG_ACCOUNTS + 1

# Registers (columns of the registers row).
(PC, GAS, SP, MSIZE, EXIT, STATUS, OPCODE, OUT_OFFSET, OUT_SIZE, STEPS, CALLDATA_SIZE, NEEDED_MEMORY,
 PENDING, GAS_RESERVE, STATIC_FRAME, NATIVE_WRITES, REFUND, LOGS, LOG_BYTES,
 STORAGE_CELLS, STORAGE_ROWS, STORAGE_ACCOUNT,
 CALL_GAS, CALL_ARGS_OFFSET, CALL_ARGS_SIZE, CALL_RETURNS_OFFSET, CALL_RETURNS_SIZE,
 STORAGE_COMPLETE) = range(28)
# Native child frames (jitvm.evm.baseline.frame_driver, docs/native-calls.md): the frame's call depth,
# the arena's directory address (0: no native children), the callee table's address and rows, and
# NATIVE_RETURN_DATA: 0, or the size plus one of the return data a native child left in the arena's
# level-0 data buffer (after the frame's calldata). PARENT_GAS, CHILD_MARK, CODE_AT and CODE_LENGTH
# are the driver's own, in the registers of arena frames only.
(DEPTH, ARENA, CALLEE_CELLS, CALLEE_ROWS, NATIVE_RETURN_DATA,
 PARENT_GAS, CHILD_MARK, CODE_AT, CODE_LENGTH) = range(28, 37)
# MIXED_LOGS: 1 when the log buffer holds logs of other accounts than the frame's (a native child's,
# joined by frame_driver): host.flush_native then names each log's address from LOG_ACCOUNTS.
MIXED_LOGS = 37
# CALL_GAS...CALL_RETURNS_SIZE: the arguments of the CALL-family instruction the kernel handed to the
# host with registers[PENDING] == PENDING_CALL (its memory expansion already charged): the gas asked
# for (-1 when it does not fit 62 bits: the host reads the word), and the input and output regions
# (offset 0 for an empty region). The arguments stay on the stack.
# STORAGE_CELLS, STORAGE_ROWS: the address and row count of the state's storage table
# (jitvm.evm.storage_table), 0 when the host has none; STORAGE_ACCOUNT: the frame's account's index
# in it (host.NativeFrame.store and BaselineEngine._run_native set them); STORAGE_COMPLETE: 1 when
# the table holds every slot of that account's storage, so a slot it does not hold is zero and
# native code adds it itself (StorageTable.frame_account).
# STATIC_FRAME: 1 in a STATICCALL frame (the kernel leaves SSTORE and LOG to the host there).
# NATIVE_WRITES counts the SSTOREs and LOGs the kernel ran since the host last took them: REFUND (the
# refund counter's change), LOGS buffered logs using LOG_BYTES data bytes.
# A frame's gas beyond NATIVE_GAS_LIMIT is held in registers[GAS_RESERVE], out of the kernel's reach,
# so that registers[GAS] always leaves int64 room for any cost; GAS pushes the sum (host.NativeFrame).
NATIVE_GAS_LIMIT = 1 << 60
# Frames with more gas run on the reference. jitvm.EVM's default gas limit (pyrevm's, 2**64 - 1) is
# below it: registers[GAS_RESERVE] holds the reserve's 64 bits, and GAS adds them modulo 2**64.
MAX_NATIVE_GAS = (1 << 64) - 1

# How the kernel returned (registers[EXIT]).
EXIT_DONE = 0  # the frame ended: registers[STATUS] is a Status; output at OUT_OFFSET, OUT_SIZE
EXIT_HOST = 1  # the instruction registers[OPCODE] needs the host; checks done, static gas charged,
#                pc already past it
EXIT_STEP = 2  # the step budget (registers[STEPS]) ran out: tracing runs one instruction per entry
EXIT_GROW = 3  # memory must hold registers[NEEDED_MEMORY] bytes, already paid for: pass a larger
#                buffer and enter again; the instruction has not started (pc and gas are before it)
UNLIMITED_STEPS = 1 << 62

# registers[PENDING]: which storage instruction the kernel left to the host (an SLOAD leaves its slot in PENDING_KEY).
PENDING_NONE, PENDING_SLOAD, PENDING_SSTORE = 0, 1, 2
PENDING_CALL = 3  # a CALL-family instruction whose arguments are in CALL_GAS... (host.serve_call)

# -- the dispatch table ----------------------------------------------------------------------------

# Handlers: the kernel's dispatch is one switch on the HANDLER row, a dense id per way of running
# an opcode. Families share a handler that reads its size from the table (PUSHn's immediate size,
# DUPn's and SWAPn's inputs); opcodes whose word is fixed for the frame share ENVIRONMENT; the host
# serves HOST. Every other opcode the kernel implements has a handler of its own name.
FAMILY_HANDLERS = ("UNDEFINED", "HOST", "ENVIRONMENT", "PUSH", "DUP", "SWAP")
# Opcodes whose value is fixed for the frame: each pushes its row of the environment words.
ENVIRONMENT_MNEMONICS = (
    "ADDRESS", "ORIGIN", "CALLER", "CALLVALUE", "GASPRICE", "COINBASE", "TIMESTAMP", "NUMBER",
    "PREVRANDAO", "GASLIMIT", "CHAINID", "BASEFEE", "BLOBBASEFEE",
)
# Host instructions the table does not flag as touching state: they read the transaction's lists.
EXTRA_HOST_MNEMONICS = ("BLOBHASH",)
# Host instructions the kernel looks at first: SLOAD of a cached slot never leaves it, and both
# leave their slot for the cache.
STORAGE_MNEMONICS = ("SLOAD", "SSTORE")
# TLOAD and TSTORE run on the storage table's transient entries; the host serves what they cannot.
TRANSIENT_MNEMONICS = ("TLOAD", "TSTORE")
# LOG0-LOG4 share a handler that buffers the log natively when it fits (else the host serves it).
LOG_MNEMONICS = ("LOG0", "LOG1", "LOG2", "LOG3", "LOG4")
# The CALL family shares a handler: the kernel reads the arguments and charges the memory expansion
# (the first of the instruction's rules), then hands the rest to the host (registers CALL_GAS...).
CALL_MNEMONICS = ("CALL", "CALLCODE", "DELEGATECALL", "STATICCALL")
# Account reads the kernel answers for the accounts the callee table holds (the host serves the rest):
# EXTCODESIZE (kernel.native_extcodesize, docs/native-calls.md).
ACCOUNT_MNEMONICS = ("EXTCODESIZE",)
# Opcodes the kernel implements one by one, most frequent first (kernel.run_kernel handles each).
OWN_HANDLERS = (
    "POP", "JUMPDEST", "JUMP", "JUMPI", "ADD", "MLOAD", "MSTORE", "AND", "SUB", "LT", "ISZERO", "MUL",
    "GT", "EQ", "OR", "XOR", "SHR", "SHL", "DIV", "NOT", "SLT", "SGT", "MOD", "EXP", "CALLDATALOAD",
    "MSTORE8", "BYTE", "SAR", "SDIV", "SMOD", "ADDMOD", "MULMOD", "SIGNEXTEND", "KECCAK256", "PUSH0",
    "CALLDATASIZE", "CALLDATACOPY", "CODESIZE", "CODECOPY", "RETURNDATASIZE", "RETURNDATACOPY", "MCOPY",
    "PC", "MSIZE", "GAS", "STOP", "RETURN", "REVERT", "INVALID", "CLZ",
)
HANDLERS = (FAMILY_HANDLERS + STORAGE_MNEMONICS + TRANSIENT_MNEMONICS + ("LOG",) + OWN_HANDLERS + ("CALL",)
            + ACCOUNT_MNEMONICS)
HANDLER_ID = {name: index for index, name in enumerate(HANDLERS)}
# Instructions with these flags reach state or start frames: the host serves them.
HOST_FLAGS = frozenset({"reads_state", "writes_state", "subcall"})


def handler_of(opcode) -> str:
    """Which of HANDLERS runs one opcode of the table."""
    name = opcode.mnemonic
    if name in STORAGE_MNEMONICS or name in TRANSIENT_MNEMONICS or name in OWN_HANDLERS or name in ACCOUNT_MNEMONICS:
        return name
    if name in LOG_MNEMONICS:
        return "LOG"
    if name in CALL_MNEMONICS:
        return "CALL"
    if opcode.flags & HOST_FLAGS or name in EXTRA_HOST_MNEMONICS:
        return "HOST"
    if name in ENVIRONMENT_MNEMONICS:
        return "ENVIRONMENT"
    if opcode.immediate_size:
        return "PUSH"
    if name.startswith("DUP"):
        return "DUP"
    if name.startswith("SWAP"):
        return "SWAP"
    raise LookupError(f"the baseline kernel has no way to run {name}")


@cache
def dispatch_table(fork: str) -> np.ndarray:
    """int64[CONTROL_ROWS, 256] with the fork's table rows filled in (read-only; frames copy it)."""
    table = opcode_table(fork)
    rows = np.zeros((CONTROL_ROWS, 256), dtype=np.int64)
    rows[MAX_HEIGHT, :] = STACK_LIMIT
    for opcode in table.by_byte:
        if opcode is None:
            continue
        byte = opcode.byte
        rows[HANDLER, byte] = HANDLER_ID[handler_of(opcode)]
        rows[MIN_HEIGHT, byte] = opcode.inputs
        rows[MAX_HEIGHT, byte] = STACK_LIMIT - max(0, opcode.stack_change)
        rows[STACK_CHANGE, byte] = opcode.stack_change
        rows[STATIC_GAS, byte] = opcode.static_gas
        rows[IMMEDIATE, byte] = opcode.immediate_size
    rows.setflags(write=False)
    return rows


# -- code and data ---------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def code_rows(code: bytes) -> np.ndarray:
    """The `code` array of `code`: read-only, shared by every frame that runs it."""
    rows = np.zeros((2, len(code) + CODE_PADDING), dtype=np.uint8)
    rows[CODE_ROW, : len(code)] = np.frombuffer(code, dtype=np.uint8)
    rows[JUMPDEST_ROW, jumpdest_positions(code)] = 1
    rows.setflags(write=False)
    return rows


@lru_cache(maxsize=1024)
def code_rows_at(code: bytes) -> tuple[np.ndarray, int]:
    """code_rows(code) and its address, cached together (the address is only valid while the
    array is alive, so they must not be cached apart)."""
    rows = code_rows(code)
    return rows, rows.ctypes.data


@lru_cache(maxsize=256)
def calldata_at(calldata: bytes) -> tuple[np.ndarray, int]:
    """data_bytes(calldata, b"") and its address, cached together (a contract called again and
    again with the same input, as in a benchmark, skips building the array)."""
    data = data_bytes(calldata, b"")
    return data, data.ctypes.data


def data_bytes(calldata: bytes, return_data: bytes) -> np.ndarray:
    """The `data` array: calldata then return data, read-only."""
    return np.frombuffer(calldata + return_data if return_data else bytes(calldata), dtype=np.uint8)


# -- words -----------------------------------------------------------------------------------------


def word_row(value: int) -> np.ndarray:
    """The four little-endian limbs of `value` (modulo 2**256) as a uint64[4] row."""
    return np.frombuffer((value % (1 << 256)).to_bytes(WORD_BYTES, "little"), dtype=np.uint64)


_BY_NAME = opcode_table("Cancun").by_name
ADDRESS_ROW = ENV_START + _BY_NAME["ADDRESS"].byte
CALLER_ROW = ENV_START + _BY_NAME["CALLER"].byte
CALLVALUE_ROW = ENV_START + _BY_NAME["CALLVALUE"].byte
ORIGIN_ROW = ENV_START + _BY_NAME["ORIGIN"].byte
GASPRICE_ROW = ENV_START + _BY_NAME["GASPRICE"].byte


def environment_rows(ctx) -> np.ndarray:
    """uint64[256, 4]: the block's and transaction's words by opcode byte (a frame adds its own).
    Shared and read-only: one per distinct environment."""
    block, tx = ctx.block, ctx.tx
    return _environment_rows((
        ("ORIGIN", int.from_bytes(tx.origin, "big")),
        ("GASPRICE", tx.gas_price),
        ("COINBASE", int.from_bytes(block.coinbase, "big")),
        ("TIMESTAMP", block.timestamp),
        ("NUMBER", block.number),
        ("PREVRANDAO", block.prev_randao),
        ("GASLIMIT", block.gas_limit),
        ("CHAINID", block.chain_id),
        ("BASEFEE", block.base_fee),
        ("EXCESS_BLOB_GAS", block.excess_blob_gas),
        ("BLOB_FEE_FRACTION", ctx.fork.blob_schedule.base_fee_update_fraction),
    ))


@lru_cache(maxsize=64)
def _environment_rows(values: tuple) -> np.ndarray:
    from jitvm.evm import gas

    words = dict(values)
    words["BLOBBASEFEE"] = gas.blob_base_fee(words.pop("EXCESS_BLOB_GAS"), words.pop("BLOB_FEE_FRACTION"))
    env = np.zeros((256, LIMBS), dtype=np.uint64)
    for name, value in words.items():
        env[_BY_NAME[name].byte] = word_row(value)
    env.setflags(write=False)
    return env


# -- buffers ---------------------------------------------------------------------------------------


ROW_BYTES = 256 * 8  # one row of `control`
REGISTER_BYTES = 40 * 8  # the registers in use (the rest of their row is never read)
assert STORAGE_COMPLETE < 32
_ZERO_REGISTERS = bytes(REGISTER_BYTES)


class FrameBuffers:
    """The writable arrays of one running frame, reused by later frames once it ends."""

    __slots__ = ("words", "_memory", "control", "table", "environment", "words_address", "control_address",
                 "memory_address", "memory_bytes", "stack", "control_bytes", "registers", "frame", "counted",
                 "rows_for", "arrays", "tx_rows")

    def __init__(self, memory_capacity: int):
        self.words = np.zeros((WORD_ROWS, LIMBS), dtype=np.uint64)
        self.memory = np.zeros(memory_capacity, dtype=np.uint8)
        self.table = None  # the dispatch table `control` holds (compared by identity: tables are cached)
        self.environment = None  # which environment_rows `words` holds
        self.control = np.zeros((CONTROL_ROWS, 256), dtype=np.int64)
        # Native code takes raw addresses; reading one from numpy costs about a microsecond.
        self.words_address = self.words.ctypes.data
        self.control_address = self.control.ctypes.data
        # `control` as bytes: registers are read and written with struct, much faster than numpy
        # indexing for a handful of scalars.
        self.control_bytes = memoryview(self.control).cast("B")
        self.registers = self.control_bytes[:ROW_BYTES].cast("q")  # the registers row as int64s
        from jitvm.evm.baseline.host import NativeStack

        self.stack = NativeStack(self.words)  # the stack view of `words`, reused by every frame
        self.frame = None  # the NativeFrame view of these buffers, made by the first frame that runs on them
        self.counted = None  # what a JitEngine counts this frame into when its pool takes the buffers back
        self.rows_for = None  # the Message whose ADDRESS, CALLER and CALLVALUE rows `words` holds
        self.arrays = None  # (code_rows, calldata_at) of rows_for's code and data (BaselineEngine.start_frame)
        self.tx_rows = None  # the transaction whose ORIGIN and GASPRICE rows `words` holds (BaselineEngine._set_up)

    @property
    def memory(self) -> np.ndarray:
        return self._memory

    @memory.setter
    def memory(self, buffer: np.ndarray) -> None:
        if getattr(self, "_memory", None) is not buffer:
            self._memory = buffer
            self.memory_address = buffer.ctypes.data
            self.memory_bytes = memoryview(buffer)  # zeroed through this: cheaper than numpy for a few bytes

    def prepare(self, fork: str, environment: np.ndarray) -> None:
        """Load the fork's dispatch table and the environment words, and clear the registers."""
        control = self.control
        table = dispatch_table(fork)
        if self.table is not table:
            control[:] = table
            self.table = table
        if self.environment is not environment:
            self.words[ENV_START : ENV_START + 256] = environment
            self.environment = environment
            self.rows_for = None  # the frame's own rows are zero in `environment`
            self.tx_rows = None  # and its ORIGIN and GASPRICE rows another transaction's, maybe
        self.control_bytes[:REGISTER_BYTES] = _ZERO_REGISTERS


ZERO_MEMORY = memoryview(bytes(4096))  # BufferPool.INITIAL_MEMORY zero bytes


class BufferPool:
    """Free FrameBuffers. A nested call takes one; the frame returns it with its memory zeroed again
    (only the part it used), so the kernel may assume memory past the frame's size reads zero."""

    INITIAL_MEMORY = 4096
    LARGEST_KEPT_MEMORY = 1 << 20  # a frame that grew more gets a fresh small buffer next time

    def __init__(self):
        self._free: list[FrameBuffers] = []

    def take(self) -> FrameBuffers:
        return self._free.pop() if self._free else FrameBuffers(self.INITIAL_MEMORY)

    def give_back(self, buffers: FrameBuffers, memory_size: int) -> None:
        counted = buffers.counted
        if counted is not None:  # a JitEngine's cold frame: its code's Heat counts it (here: no call more)
            buffers.counted = None
            frame = buffers.frame
            counted.steps += UNLIMITED_STEPS - buffers.registers[STEPS]  # the kernel counts down from there
            counted.gas += frame.message.gas - frame.gas_left
            counted.calls += 1
        if len(buffers.memory_bytes) > self.LARGEST_KEPT_MEMORY:
            buffers.memory = np.zeros(self.INITIAL_MEMORY, dtype=np.uint8)
        elif memory_size > len(ZERO_MEMORY):
            buffers.memory[:memory_size] = 0
        elif memory_size:
            buffers.memory_bytes[:memory_size] = ZERO_MEMORY[:memory_size]
        self._free.append(buffers)
