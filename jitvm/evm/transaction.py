"""Applying one transaction to the state, in the steps the specification takes:

1. `validate`: may it run at all (intrinsic gas, nonce, fees, balance, fork rules)? The state is untouched.
2. `buy_gas` and `warm_at_start`: the nonce and the fees up front; the accounts that start warm; then
   `authorize`: the EIP-7702 authorizations of a set-code transaction (Prague).
3. `execute`: the root frame (`root_message`) and everything it calls.
4. `gas_after_refund` (with the EIP-7623 calldata floor from Prague), the fees settled, then
   `delete_destroyed_accounts`.

`apply_transaction` composes them as a block does. `jitvm.EVM` (pyrevm's rules: its own checks and
errors, no fees) composes the same steps 3 and 4 around its own checks, so the shared rules live here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jitvm.evm import gas
from jitvm.evm.addresses import create_address
from jitvm.evm.context import BlockEnv, ExecutionContext, TxEnv
from jitvm.evm.delegation import Authorization, apply_authorizations, delegated_address
from jitvm.evm.engines import start_runner
from jitvm.evm.execution import continue_message, execute_message
from jitvm.evm.forks import Fork
from jitvm.evm.memory_budget import DEFAULT_MEMORY_LIMIT, MemoryBudgetExceeded
from jitvm.evm.message import FrameResult, Message, Status
from jitvm.evm.state import Log, State

MAX_NONCE = (1 << 64) - 1


@dataclass(slots=True)
class Transaction:
    sender: bytes
    to: bytes | None  # None creates a contract
    nonce: int = 0
    gas_limit: int = 21000
    value: int = 0
    data: bytes = b""
    gas_price: int | None = None  # legacy and EIP-2930 transactions
    max_fee_per_gas: int | None = None  # EIP-1559 and blob transactions
    max_priority_fee_per_gas: int | None = None
    access_list: tuple[tuple[bytes, tuple[int, ...]], ...] | None = None
    blob_hashes: tuple[bytes, ...] | None = None  # EIP-4844
    max_fee_per_blob_gas: int | None = None
    authorizations: tuple[Authorization, ...] | None = None  # EIP-7702

    @property
    def tx_type(self) -> int:
        if self.authorizations is not None:
            return 4
        if self.blob_hashes is not None:
            return 3
        if self.max_fee_per_gas is not None:
            return 2
        if self.access_list is not None:
            return 1
        return 0


class InvalidTransaction(Exception):
    """The transaction cannot be included; the state is left untouched."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(slots=True)
class TransactionResult:
    status: Status
    gas_used: int  # after the refund, what the sender pays for
    gas_refunded: int
    output: bytes
    logs: list[Log] = field(default_factory=list)
    contract_address: bytes | None = None

    @property
    def is_success(self) -> bool:
        return self.status is Status.SUCCESS


def intrinsic_gas(tx: Transaction, fork: Fork) -> int:
    zero_bytes = tx.data.count(0)
    cost = gas.TX_BASE + gas.TX_DATA_ZERO * zero_bytes + gas.TX_DATA_NONZERO * (len(tx.data) - zero_bytes)
    if tx.to is None:
        cost += gas.TX_CREATE
        if fork.at_least("Shanghai"):
            cost += gas.initcode_cost(len(tx.data))
    for _, keys in tx.access_list or ():
        cost += gas.TX_ACCESS_LIST_ADDRESS + gas.TX_ACCESS_LIST_STORAGE_KEY * len(keys)
    cost += gas.PER_EMPTY_ACCOUNT_COST * len(tx.authorizations or ())
    return cost


def calldata_floor(tx: Transaction, fork: Fork) -> int:
    """The least gas the transaction pays, whatever it uses and is refunded (EIP-7623, Prague on)."""
    return gas.calldata_floor(tx.data) if fork.at_least("Prague") else 0


@dataclass(slots=True)
class GasPurchase:
    """What validation decided a valid transaction pays: its intrinsic gas, the price of each unit of
    gas (base fee plus the priority fee it gets), its blob fee and the least gas it pays (EIP-7623)."""

    intrinsic: int
    gas_price: int
    blob_fee: int
    floor: int = 0


def validate(tx: Transaction, state: State, block: BlockEnv, fork: Fork) -> GasPurchase:
    """Step 1. Raise InvalidTransaction unless `tx` may run on `state`; the state is not changed.
    The checks come in the order of the execution specification, which names the first that fails."""
    tx_type = tx.tx_type
    if tx_type not in fork.transaction_types:
        raise InvalidTransaction(f"TYPE_{tx_type}_TX_PRE_FORK", f"type {tx_type} is not accepted in {fork.name}")
    intrinsic = intrinsic_gas(tx, fork)
    floor = calldata_floor(tx, fork)
    if intrinsic > tx.gas_limit:
        raise InvalidTransaction("INTRINSIC_GAS_TOO_LOW", f"needs {intrinsic}, limit {tx.gas_limit}")
    if floor > tx.gas_limit:
        raise InvalidTransaction("INTRINSIC_GAS_BELOW_FLOOR_GAS_COST", f"needs {floor}, limit {tx.gas_limit}")
    if tx.nonce >= MAX_NONCE:
        raise InvalidTransaction("NONCE_IS_MAX")
    if tx.to is None and fork.at_least("Shanghai") and len(tx.data) > gas.MAX_INITCODE_SIZE:
        raise InvalidTransaction("INITCODE_SIZE_EXCEEDED", f"{len(tx.data)} bytes")
    if fork.at_least("Osaka") and tx.gas_limit > gas.MAX_TRANSACTION_GAS:
        raise InvalidTransaction("GAS_LIMIT_EXCEEDS_MAXIMUM", f"{tx.gas_limit} > {gas.MAX_TRANSACTION_GAS}")
    if tx.gas_limit > block.gas_limit:
        raise InvalidTransaction("GAS_ALLOWANCE_EXCEEDED", f"{tx.gas_limit} > block limit {block.gas_limit}")
    blob_gas = gas.GAS_PER_BLOB * len(tx.blob_hashes or ())
    if blob_gas > fork.max_blob_gas_per_block:
        raise InvalidTransaction("TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED", f"{len(tx.blob_hashes)} blobs")

    if tx.max_fee_per_gas is not None:
        if tx.max_fee_per_gas < tx.max_priority_fee_per_gas:
            raise InvalidTransaction("PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS")
        if tx.max_fee_per_gas < block.base_fee:
            raise InvalidTransaction("INSUFFICIENT_MAX_FEE_PER_GAS")
        priority_fee = min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - block.base_fee)
        gas_price = block.base_fee + priority_fee
        max_fee = tx.gas_limit * tx.max_fee_per_gas
    else:
        if tx.gas_price < block.base_fee:
            raise InvalidTransaction("INSUFFICIENT_MAX_FEE_PER_GAS", "gas price below base fee")
        gas_price = tx.gas_price
        max_fee = tx.gas_limit * tx.gas_price

    blob_fee = 0
    if tx_type == 3:
        if not tx.blob_hashes:
            raise InvalidTransaction("TYPE_3_TX_ZERO_BLOBS")
        if len(tx.blob_hashes) > fork.max_blobs_per_transaction:  # EIP-7594 (Osaka)
            raise InvalidTransaction("TYPE_3_TX_BLOB_COUNT_EXCEEDED", f"{len(tx.blob_hashes)} blobs")
        if any(h[:1] != bytes([gas.VERSIONED_HASH_VERSION_KZG]) for h in tx.blob_hashes):
            raise InvalidTransaction("TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH")
        blob_price = fork.blob_base_fee(block.excess_blob_gas)
        if tx.max_fee_per_blob_gas < blob_price:
            raise InvalidTransaction("INSUFFICIENT_MAX_FEE_PER_BLOB_GAS")
        max_fee += blob_gas * tx.max_fee_per_blob_gas
        blob_fee = blob_gas * blob_price
    if tx_type in (3, 4) and tx.to is None:
        raise InvalidTransaction(f"TYPE_{tx_type}_TX_CONTRACT_CREATION")
    if tx_type == 4 and not tx.authorizations:
        raise InvalidTransaction("TYPE_4_EMPTY_AUTHORIZATION_LIST")

    sender_nonce = state.nonce(tx.sender)
    if sender_nonce != tx.nonce:
        raise InvalidTransaction("NONCE_MISMATCH_TOO_LOW" if sender_nonce > tx.nonce else "NONCE_MISMATCH_TOO_HIGH")
    if state.balance(tx.sender) < max_fee + tx.value:
        raise InvalidTransaction("INSUFFICIENT_ACCOUNT_FUNDS")
    sender_code = state.code(tx.sender)
    if sender_code and not (fork.at_least("Prague") and delegated_address(sender_code) is not None):
        raise InvalidTransaction("SENDER_NOT_EOA")  # EIP-3607; a delegated account may send (EIP-7702)
    return GasPurchase(intrinsic, gas_price, blob_fee, floor)


def buy_gas(state: State, tx: Transaction, purchase: GasPurchase) -> None:
    """Step 2. Open the transaction's journal, bump the sender's nonce and take the gas and blob fees
    up front (what is not used comes back in `settle`)."""
    state.begin_transaction()
    sender = tx.sender
    state.increment_nonce(sender)
    state.set_balance(sender, state.balance(sender) - tx.gas_limit * purchase.gas_price - purchase.blob_fee)


def warm_at_start(state: State, tx: Transaction, block: BlockEnv, fork: Fork) -> None:
    """The accounts and slots that start the transaction warm (EIP-2929, EIP-2930, EIP-3651)."""
    state.warm_address(tx.sender)
    state.warm_addresses.update(fork.precompile_accounts)
    if fork.at_least("Shanghai"):
        state.warm_address(block.coinbase)
    for address, keys in tx.access_list or ():
        state.warm_address(address)
        for key in keys:
            state.warm_slot(address, key)


def authorize(state: State, tx: Transaction, block: BlockEnv) -> None:
    """Step 2b (EIP-7702). Apply a set-code transaction's authorizations, before its call and outside
    it: a failing call keeps them, and the refund they earn."""
    if tx.authorizations:
        state.add_refund(apply_authorizations(state, tx.authorizations, block.chain_id))


def root_message(tx: Transaction, state: State, call_gas: int, fork: Fork, is_static: bool = False) -> Message:
    """The transaction's first frame: a call into `tx.to`, or the creation of a contract at the
    address the sender's nonce (before the transaction) gives. The target starts warm, and so does
    the account its code delegates to (EIP-7702), whose code the call runs."""
    if tx.to is None:
        target = create_address(tx.sender, tx.nonce)
        message = Message(tx.sender, target, target, tx.value, b"", call_gas, 0, tx.data, is_create=True)
    else:
        target = tx.to
        code = state.code(target)
        delegate = delegated_address(code) if fork.at_least("Prague") else None
        if delegate is None:
            message = Message(tx.sender, target, target, tx.value, tx.data, call_gas, 0, code, is_static=is_static)
        else:
            state.warm_address(delegate)
            message = Message(tx.sender, target, delegate, tx.value, tx.data, call_gas, 0, state.code(delegate),
                              is_static=is_static, disable_precompiles=True)
    state.warm_address(target)
    return message


def execute(message: Message, ctx: ExecutionContext) -> FrameResult:
    """Step 3. Run the root frame and everything it calls. A creation whose address is taken fails
    at once; a call into an account with no code (and no precompile) only moves its value, which is
    what the frame driver would do, without the cost of starting it."""
    state = ctx.state
    if message.is_create:
        if state.has_code_or_nonce_or_storage(message.target):
            return FrameResult.failure(Status.ADDRESS_COLLISION)
    elif message.disable_precompiles or message.code_address not in ctx.fork.precompile_accounts:
        if not message.code:
            if message.value:
                state.transfer(message.caller, message.target, message.value)
            return FrameResult(Status.SUCCESS, message.gas)
        return run_call_frame(message, ctx, state.snapshot())
    return execute_message(message, ctx)


def run_call_frame(message: Message, ctx: ExecutionContext, snapshot: int) -> FrameResult:
    """Step 3 for a call into code (not a precompile): the frame driver's steps for a root frame
    (execution._enter and _leave), with the frame started here (engine.start_frame) and the driver
    taking over only if it calls out. `snapshot` is the state's before the value transfer."""
    state = ctx.state
    if message.value:
        state.transfer(message.caller, message.target, message.value)
    engine = ctx.engine
    start_frame = getattr(engine, "start_frame", None)  # an engine with only run_frame: the generic start
    frame = start_frame(message, ctx) if start_frame is not None else start_runner(engine.run_frame(message, ctx))
    if type(frame) is tuple:  # it asked for a child frame: the driver finishes it
        return continue_message(frame[0], snapshot, message, frame[1], ctx)
    if frame.status is not _SUCCESS:
        state.revert(snapshot)
    return frame


def gas_after_refund(state: State, gas_limit: int, result: FrameResult, floor: int = 0) -> tuple[int, int]:
    """Step 4a. (gas used, refund): the gas the transaction used, less the refund it earned, capped
    at a fifth of the gas used (EIP-3529), and never below `floor` (EIP-7623). A failed root frame
    has reset the refund to what it was before the frame (the authorizations' refund, or 0)."""
    gas_used = gas_limit - result.gas_left
    refund = state.refund
    if refund:
        refund = min(gas_used // gas.REFUND_QUOTIENT, refund)
        gas_used -= refund
    return max(gas_used, floor), refund


def delete_destroyed_accounts(state: State) -> None:
    """Step 4c. Remove the accounts that self-destructed in this transaction (EIP-6780: those it
    created). Last of all, after the fees are paid, as the specification orders it."""
    for address in state.to_delete:
        state.destroy_account(address)


def apply_transaction(
    state: State,
    block: BlockEnv,
    tx: Transaction,
    fork: Fork,
    engine=None,
    tracer=None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> TransactionResult:
    """Execute `tx` on `state` (changed in place). Raises InvalidTransaction, leaving `state` as it was.

    A call tree whose frames together need more EVM memory than `memory_limit` bytes cannot run:
    everything it did is undone and the transaction ends as an exceptional halt that uses all its
    gas (OUT_OF_GAS, as revm halts on its memory limit); its fees are paid as for any halt."""
    purchase = validate(tx, state, block, fork)
    buy_gas(state, tx, purchase)
    warm_at_start(state, tx, block, fork)
    authorize(state, tx, block)
    ctx = ExecutionContext(
        state=state,
        block=block,
        tx=TxEnv(origin=tx.sender, gas_price=purchase.gas_price, blob_hashes=tuple(tx.blob_hashes or ())),
        fork=fork,
        engine=engine,
        tracer=tracer,
        memory_left=memory_limit,
    )
    message = root_message(tx, state, tx.gas_limit - purchase.intrinsic, fork)
    before_execution = state.snapshot()
    try:
        result = execute(message, ctx)
    except (MemoryBudgetExceeded, MemoryError):
        state.revert(before_execution)
        result = FrameResult.failure(Status.OUT_OF_GAS)
    gas_used, refund = gas_after_refund(state, tx.gas_limit, result, purchase.floor)
    if tracer is not None:
        tracer.end_transaction(result, gas_used)  # as geth reports it: intrinsic gas in, refund out
    # Step 4b: the unused gas goes back to the sender, the priority fee to the coinbase.
    state.add_balance(tx.sender, (tx.gas_limit - gas_used) * purchase.gas_price)
    state.add_balance(block.coinbase, gas_used * (purchase.gas_price - block.base_fee))
    delete_destroyed_accounts(state)
    return TransactionResult(
        status=result.status,
        gas_used=gas_used,
        gas_refunded=refund,
        output=result.output,
        logs=list(state.logs),
        contract_address=message.target if message.is_create and result.status is Status.SUCCESS else None,
    )


_SUCCESS = Status.SUCCESS
