"""py-evm on jitvm's engines: py-evm keeps its chain, state and journal; jitvm runs the code.

py-evm applies a transaction as: the executor validates it and buys the gas, the computation class's
`apply_message` / `apply_create_message` snapshot the state, move the value, and call
`apply_computation`, which interprets the code opcode by opcode in Python, recursing through the same
class methods for every CALL and CREATE; the executor then refunds, pays the coinbase and deletes
self-destructed accounts.

`JitvmComputation.apply_computation` replaces only the interpretation. It hands the message to jitvm's
frame driver (`execute_message`) with `PyEvmHost` as the host: jitvm's `State` interface implemented
on py-evm's state, so every read and write — balances, nonces, code, storage, transient storage, warm
accounts and slots, snapshots and reverts — goes through py-evm's journaled `StateAPI`. Nested calls
and creates run inside jitvm (its driver, its precompiles); what py-evm's executor needs afterwards
(gas left, refund, output, error, logs, accounts to delete) is put on the computation it returns.
py-evm's own steps around the top frame (value transfer, contract nonce, code deposit, the executor)
stay py-evm's.

    from eth.vm.forks.cancun import CancunVM
    from jitvm.evm.pyevm_backend import jitvm_vm

    FastCancunVM = jitvm_vm(CancunVM, engine="auto")   # use it wherever CancunVM was configured
    chain = build(MiningChain, cancun_at(0), on_jitvm("auto"), genesis(...))   # or a whole chain

Forks: Paris, Shanghai and Cancun VMs (the forks jitvm executes).
"""

from __future__ import annotations

from typing import Any

from eth.exceptions import (
    ContractCreationCollision,
    FullStack,
    InsufficientStack,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfBoundsRead,
    OutOfGas,
    ReservedBytesInCode,
    Revert,
    VMError,
    WriteProtection,
)

from jitvm.evm import gas
from jitvm.evm.context import BlockEnv, ExecutionContext, TxEnv
from jitvm.evm.execution import execute_message
from jitvm.evm.forks import get_fork
from jitvm.evm.message import Message, Status

WORD = 32
BLANK_ROOT_HASH = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")

# How a jitvm frame's status reads as a py-evm error (its class decides whether the gas burns).
PYEVM_ERRORS: dict[Status, type[VMError]] = {
    Status.REVERT: Revert,
    Status.OUT_OF_GAS: OutOfGas,
    Status.STACK_UNDERFLOW: InsufficientStack,
    Status.STACK_OVERFLOW: FullStack,
    Status.INVALID_OPCODE: InvalidInstruction,
    Status.INVALID_JUMP: InvalidJumpDestination,
    Status.STATIC_STATE_CHANGE: WriteProtection,
    Status.RETURNDATA_OUT_OF_BOUNDS: OutOfBoundsRead,
    Status.ADDRESS_COLLISION: ContractCreationCollision,
    Status.INVALID_CONTRACT_PREFIX: ReservedBytesInCode,
    Status.CODE_SIZE_LIMIT: OutOfGas,
    Status.INITCODE_SIZE_LIMIT: OutOfGas,
    Status.PRECOMPILE_FAILURE: OutOfGas,
}


class PyEvmHost:
    """jitvm's `State` interface (jitvm.evm.state) over a py-evm `StateAPI`.

    World state, transient storage and the warm sets live in py-evm's journal. The transaction's
    substate that py-evm keeps on computation objects instead — logs, the refund counter, the accounts
    created and those to delete — lives here, with a journal of its own; a snapshot is the pair of
    positions, so `revert` rolls back both together.
    """

    def __init__(self, state, created=()):
        self._state = state
        self._journal: list[tuple] = []
        self.logs: list[tuple[bytes, tuple[int, ...], bytes]] = []
        self.refund = 0
        self.created: set[bytes] = set(created)
        self.to_delete: set[bytes] = set()

    # -- journal --------------------------------------------------------------------------------

    def snapshot(self):
        return self._state.snapshot(), len(self._journal)

    def revert(self, snapshot) -> None:
        pyevm_snapshot, position = snapshot
        self._state.revert(pyevm_snapshot)
        journal = self._journal
        while len(journal) > position:
            entry = journal.pop()
            kind = entry[0]
            if kind == "log":
                self.logs.pop()
            elif kind == "refund":
                self.refund = entry[1]
            elif kind == "created":
                self.created.discard(entry[1])
            elif kind == "delete":
                self.to_delete.discard(entry[1])

    # -- reading accounts -------------------------------------------------------------------------

    def exists(self, address: bytes) -> bool:
        return self._state.account_exists(address)

    def is_alive(self, address: bytes) -> bool:
        state = self._state
        return state.account_exists(address) and not state.account_is_empty(address)

    def balance(self, address: bytes) -> int:
        return self._state.get_balance(address)

    def nonce(self, address: bytes) -> int:
        return self._state.get_nonce(address)

    def code(self, address: bytes) -> bytes:
        return self._state.get_code(address)

    def code_hash(self, address: bytes) -> bytes:
        """EXTCODEHASH: zero for accounts that do not exist or are empty."""
        if not self.is_alive(address):
            return bytes(WORD)
        return self._state.get_code_hash(address)

    def has_code_or_nonce_or_storage(self, address: bytes) -> bool:
        if self._state.has_code_or_nonce(address):
            return True
        # EIP-7610's storage condition, from the account's committed storage root (py-evm itself
        # checks code and nonce only).
        account_db = getattr(self._state, "_account_db", None)
        storage_root = getattr(account_db, "_get_storage_root", None)
        return storage_root is not None and storage_root(address) != BLANK_ROOT_HASH

    # -- writing accounts -------------------------------------------------------------------------

    def _drop_if_empty(self, address: bytes) -> None:
        """Remove an account a balance or code change left empty, as jitvm's State does (EIP-161)."""
        state = self._state
        if state.account_exists(address) and state.account_is_empty(address):
            state.delete_account(address)

    def set_balance(self, address: bytes, balance: int) -> None:
        self._state.set_balance(address, balance)
        self._drop_if_empty(address)

    def add_balance(self, address: bytes, amount: int) -> None:
        self.set_balance(address, self._state.get_balance(address) + amount)

    def transfer(self, sender: bytes, recipient: bytes, value: int) -> None:
        self.set_balance(sender, self._state.get_balance(sender) - value)
        self.add_balance(recipient, value)

    def increment_nonce(self, address: bytes) -> None:
        self._state.increment_nonce(address)

    def set_code(self, address: bytes, code: bytes) -> None:
        self._state.set_code(address, code)
        self._drop_if_empty(address)

    def destroy_account(self, address: bytes) -> None:
        self._state.delete_account(address)

    def destroy_storage(self, address: bytes) -> None:
        self._state.delete_storage(address)

    # -- storage ----------------------------------------------------------------------------------

    def get_storage(self, address: bytes, key: int) -> int:
        return self._state.get_storage(address, key)

    def original_storage(self, address: bytes, key: int) -> int:
        """The slot's value when the transaction began (zero for accounts created in it)."""
        if address in self.created:
            return 0
        return self._state.get_storage(address, key, from_journal=False)

    def set_storage(self, address: bytes, key: int, value: int) -> None:
        self._state.set_storage(address, key, value)

    def get_transient(self, address: bytes, key: int) -> int:
        return int.from_bytes(self._state.get_transient_storage(address, key), "big")

    def set_transient(self, address: bytes, key: int, value: int) -> None:
        self._state.set_transient_storage(address, key, value.to_bytes(WORD, "big"))

    # -- substate ---------------------------------------------------------------------------------

    def warm_address(self, address: bytes) -> bool:
        """Mark `address` accessed; True if it was cold (EIP-2929)."""
        state = self._state
        if state.is_address_warm(address):
            return False
        state.mark_address_warm(address)
        return True

    def warm_slot(self, address: bytes, key: int) -> bool:
        state = self._state
        if state.is_storage_warm(address, key):
            return False
        state.mark_storage_warm(address, key)
        return True

    def add_log(self, address: bytes, topics: tuple[int, ...], data: bytes) -> None:
        self.logs.append((address, tuple(topics), bytes(data)))
        self._journal.append(("log",))

    def add_native_logs(self, batch) -> None:
        for log in batch.build():
            self.add_log(log.address, log.topics, log.data)

    def add_refund(self, amount: int) -> None:
        self._journal.append(("refund", self.refund))
        self.refund += amount

    def mark_created(self, address: bytes) -> None:
        if address not in self.created:
            self.created.add(address)
            self._journal.append(("created", address))

    def mark_for_deletion(self, address: bytes) -> None:
        if address not in self.to_delete:
            self.to_delete.add(address)
            self._journal.append(("delete", address))


class PyEvmBlockEnv(BlockEnv):
    """The block as py-evm's state describes it; BLOCKHASH asks py-evm for the ancestor's hash."""

    __slots__ = ("_state",)

    @classmethod
    def of(cls, state) -> "PyEvmBlockEnv":
        context = state.execution_context
        block = cls(
            coinbase=state.coinbase,
            number=state.block_number,
            timestamp=state.timestamp,
            gas_limit=state.gas_limit,
            base_fee=state.base_fee,
            prev_randao=int.from_bytes(state.mix_hash, "big"),
            excess_blob_gas=getattr(context, "excess_blob_gas", None) or 0,
            chain_id=context.chain_id,
        )
        block._state = state
        return block

    def block_hash(self, number: int) -> bytes:
        return self._state.get_ancestor_hash(number) or bytes(WORD)


def _fork_of(computation_class) -> str:
    """The jitvm fork matching a py-evm computation class (the newest it derives from)."""
    from eth.vm.forks.cancun.computation import CancunComputation
    from eth.vm.forks.paris.computation import ParisComputation
    from eth.vm.forks.prague.computation import PragueComputation
    from eth.vm.forks.shanghai.computation import ShanghaiComputation

    if issubclass(computation_class, PragueComputation):
        raise TypeError(f"{computation_class.__name__}: jitvm executes Paris, Shanghai and Cancun only")
    for base, name in ((CancunComputation, "Cancun"), (ShanghaiComputation, "Shanghai"),
                       (ParisComputation, "Paris")):
        if issubclass(computation_class, base):
            return name
    raise TypeError(f"{computation_class.__name__}: jitvm executes Paris, Shanghai and Cancun only")


class JitvmComputationMixin:
    """Put before a py-evm computation class: its `apply_computation` runs on a jitvm engine.

    `jitvm_engine` names the engine ('reference', 'baseline', 'jit', 'auto'); `jitvm_fork` is derived
    from the py-evm class it is combined with.
    """

    jitvm_engine: str = "auto"
    jitvm_fork: str = "Cancun"

    @classmethod
    def apply_computation(cls, state, message, transaction_context, parent_computation=None):
        from jitvm.evm.engines import get_engine

        computation = cls(state, message, transaction_context)
        computation.contracts_created = [message.storage_address] if message.is_create else []
        gas_available = message.gas
        if message.is_create and computation.is_origin_computation:
            # py-evm charges a creating transaction's EIP-3860 initcode cost here, not as intrinsic gas.
            initcode_cost = gas.initcode_cost(len(message.code)) if cls.jitvm_fork != "Paris" else 0
            if initcode_cost > gas_available:
                computation.error = OutOfGas("EIP-3860 initcode cost")
                return computation
            gas_available -= initcode_cost

        host = PyEvmHost(state, created=computation.contracts_created)
        ctx = ExecutionContext(
            state=host,
            block=PyEvmBlockEnv.of(state),
            tx=TxEnv(
                origin=transaction_context.origin,
                gas_price=transaction_context.gas_price,
                blob_hashes=_blob_hashes(transaction_context) if cls.jitvm_fork == "Cancun" else (),
            ),
            fork=get_fork(cls.jitvm_fork),
            engine=get_engine(cls.jitvm_engine),
        )
        # py-evm has moved the value and, for a creation, set up the new account and will deposit the
        # code: jitvm runs the frame (and everything it calls) only.
        frame = Message(
            caller=message.sender,
            target=message.storage_address,
            code_address=message.code_address,
            value=message.value,
            data=bytes(message.data),
            gas=gas_available,
            depth=message.depth,
            code=bytes(message.code),
            is_static=message.is_static,
            should_transfer_value=False,
        )
        result = execute_message(frame, ctx)
        _record(computation, result, host, gas_available)
        return computation


def _blob_hashes(transaction_context) -> tuple[bytes, ...]:
    try:
        return tuple(transaction_context.blob_versioned_hashes)
    except NotImplementedError:  # a pre-Cancun context (titanoboa builds one for every fork): no blobs
        return ()


def _record(computation, result, host: PyEvmHost, gas_available: int) -> None:
    """Put a jitvm frame's outcome on the py-evm computation the executor reads."""
    meter = computation._gas_meter
    meter.gas_remaining = result.gas_left  # start_gas - this includes a creation's initcode cost
    if result.status is Status.SUCCESS:
        meter.gas_refunded = host.refund
        computation.output = result.output
        context = computation.transaction_context
        computation._log_entries = [(context.get_next_log_counter(), address, topics, data)
                                    for address, topics, data in host.logs]
        computation.accounts_to_delete = sorted(host.to_delete)
        return
    error_class = PYEVM_ERRORS[result.status]
    if result.status is Status.REVERT:
        computation.output = result.output
        computation.error = Revert(result.output)  # as py-evm's REVERT raises it: tools read the reason there
        return
    computation.error = error_class(result.status.name.lower())


def jitvm_computation(computation_class, engine: str = "auto") -> type:
    """`computation_class` with its code run by the jitvm engine called `engine`."""
    return type(
        f"Jitvm{computation_class.__name__}",
        (JitvmComputationMixin, computation_class),
        {"jitvm_engine": engine, "jitvm_fork": _fork_of(computation_class)},
    )


def jitvm_vm(vm_class, engine: str = "auto") -> type:
    """`vm_class` (CancunVM, ShanghaiVM, ParisVM) whose state runs computations on jitvm."""
    state_class = vm_class._state_class
    computation_class = jitvm_computation(state_class.computation_class, engine)
    return vm_class.configure(
        __name__=f"Jitvm{vm_class.__name__}",
        _state_class=state_class.configure(__name__=f"Jitvm{state_class.__name__}",
                                           computation_class=computation_class),
    )


def jitvm_chain(chain_class, engine: str = "auto") -> Any:
    """A configured py-evm chain class whose VMs from Paris on run on jitvm."""
    if not chain_class.vm_configuration:
        raise ValueError(f"{chain_class.__name__} has no VM configuration yet (configure its forks first)")
    configuration = tuple(
        (block, jitvm_vm(vm_class, engine) if _runs_on_jitvm(vm_class) else vm_class)
        for block, vm_class in chain_class.vm_configuration
    )
    return chain_class.configure(__name__=f"Jitvm{chain_class.__name__}", vm_configuration=configuration)


def on_jitvm(engine: str = "auto"):
    """A step for py-evm's chain builder, after the fork steps:

        build(MiningChain, cancun_at(0), on_jitvm("auto"), genesis(...))
    """
    return lambda chain_class: jitvm_chain(chain_class, engine)


def _runs_on_jitvm(vm_class) -> bool:
    try:
        _fork_of(vm_class._state_class.computation_class)
    except TypeError:
        return False
    return True
