"""One running contract call as the hooks see it: its input, its managed-type handle tables
(BigInts and ManagedBuffers live here, in the host, never in the instance), its results and logs,
and access to the instance's memory and gas counter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jitvm.wasm.outcome import LogEntry, execution_failed, out_of_gas

if TYPE_CHECKING:
    from jitvm.wasm.vm import WasmVM
    from jitvm.wasm.world import World


@dataclass(slots=True)
class CallInput:
    caller: bytes
    recipient: bytes
    function: str
    arguments: list[bytes] = field(default_factory=list)
    value: int = 0  # EGLD
    esdt: list[tuple[bytes, int, int]] = field(default_factory=list)  # (token id, nonce, amount)
    gas: int = 0
    read_only: bool = False


@dataclass(slots=True)
class PendingCall:
    """An asynchronous call a frame asked for, run after the frame returns. `legacy` (asyncCall):
    the frame stopped there and `callBack` gets the outcome; otherwise a promise with its own
    success and error callbacks and a closure they can read."""

    destination: bytes
    value: int
    function: str
    arguments: list[bytes]
    gas: int
    legacy: bool
    success_callback: str = ""
    error_callback: str = ""
    callback_gas: int = 0
    closure: bytes = b""
    call_type: bytes = b"AsyncCall"  # how its transfer log names it


@dataclass(slots=True)
class Transaction:
    """What every frame of one transaction shares: the return data (every frame's `finish` values,
    in order; a caller may clean it), the logs in the order they were written, and the
    asynchronous calls waiting to run. `storage_cache` holds the (address, key) pairs of storage
    the transaction has already read or written: MultiversX charges those again at the cached price."""

    return_data: list[bytes] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    storage_cache: set[tuple[bytes, bytes]] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)  # messages of inner calls that failed
    committed: dict | None = None  # the accounts as they were before the transaction (what built-ins see)
    hash: bytes = bytes(32)


class Frame:
    __slots__ = ("vm", "world", "input", "bigints", "bigfloats", "buffers", "maps", "tx", "caller", "store", "pending",
                 "closure", "back_transfers", "sent_back", "gas_counter", "memory")

    def __init__(self, vm: "WasmVM", world: "World", call: CallInput, store, tx: Transaction,
                 closure: bytes | None = None):
        self.vm = vm
        self.world = world
        self.input = call
        self.bigints: dict[int, int] = {}
        self.buffers: dict[int, bytes] = {}
        self.maps: dict[int, dict[bytes, bytes]] = {}
        self.bigfloats: dict = {}  # handle -> jitvm.wasm.bigfloat.BigFloat
        self.tx = tx
        self.caller = None  # the wasmtime Caller of the hook being served
        self.store = store
        self.gas_counter = None  # the instance's gas counter (GasCounter) and memory, once instantiated
        self.memory = None
        self.pending: list[PendingCall] = []
        self.closure = closure  # a promise callback's closure (None: this frame is no callback)
        self.back_transfers: tuple[int, list] = (0, [])  # what synchronous callees sent back
        self.sent_back: tuple[int, list] = (0, [])  # what this frame sent back to its caller

    @property
    def results(self) -> list[bytes]:
        return self.tx.return_data

    @property
    def logs(self) -> list[LogEntry]:
        return self.tx.logs

    # -- memory ------------------------------------------------------------------------------------

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise execution_failed("mem load: bad bounds")
        memory = self._memory()
        if offset + length > memory.data_len(self.store):
            raise execution_failed("mem load: bad bounds")
        return bytes(memory.read(self.store, offset, offset + length))

    def write(self, offset: int, data: bytes) -> None:
        memory = self._memory()
        if offset < 0 or offset + len(data) > memory.data_len(self.store):
            raise execution_failed("mem store: bad bounds")
        if data:
            memory.write(self.store, data, offset)

    def _memory(self):
        if self.memory is None:
            raise execution_failed("the contract exports no memory")
        return self.memory

    # -- gas ---------------------------------------------------------------------------------------

    def gas_left(self) -> int:
        return self.gas_counter.get()

    def use_gas(self, amount: int) -> None:
        if amount <= 0:
            return
        counter = self.gas_counter
        left = counter.get()
        if left < amount:
            counter.set(0)
            raise out_of_gas()
        counter.set(left - amount)

    def set_gas_left(self, amount: int) -> None:
        self.gas_counter.set(amount)

    # -- managed types -----------------------------------------------------------------------------

    def bigint(self, handle: int) -> int:
        try:
            return self.bigints[handle]
        except KeyError:
            raise execution_failed("no bigInt under the given handle") from None

    def buffer(self, handle: int) -> bytes:
        try:
            return self.buffers[handle]
        except KeyError:
            raise execution_failed("no managed buffer under the given handle") from None

    def new_bigint(self, value: int) -> int:
        return _insert(self.bigints, value)

    def new_buffer(self, value: bytes) -> int:
        return _insert(self.buffers, value)

    def buffer_vector(self, handle: int) -> list[bytes]:
        """A managed vector of buffers: the buffer holds their handles, 4 bytes big-endian each."""
        raw = self.buffer(handle)
        if len(raw) % 4:
            raise execution_failed("invalid managed vector of buffers")
        return [self.buffer(int.from_bytes(raw[i:i + 4], "big", signed=True)) for i in range(0, len(raw), 4)]

    def store_buffer_vector(self, handle: int, items: list[bytes]) -> None:
        handles = [self.new_buffer(item) for item in items]
        self.buffers[handle] = b"".join(h.to_bytes(4, "big", signed=True) for h in handles)


def _insert(table: dict, value) -> int:
    # As the MultiversX VM allocates: the table's size, or the next free number after it.
    handle = len(table)
    while handle in table:
        handle += 1
    table[handle] = value
    return handle
