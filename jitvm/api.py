"""`jitvm.EVM`: a drop-in for pyrevm's `EVM` (0.3.x) that runs on jitvm's engines.

Code written against pyrevm keeps working after `from jitvm import EVM, AccountInfo, BlockEnv, TxEnv`:
addresses are hex strings, balances and storage are ints, `message_call` returns the output bytes and
raises RuntimeError on a revert or a halt, `deploy` returns the new address, and `result` describes
the last execution. What a call does is what pyrevm does:

- `message_call` and `deploy` are transactions that buy no gas: the caller needs a balance of
  gas * gas_price + value, but pays only the value; the coinbase earns nothing; BASEFEE reads 0 and
  GASLIMIT reads the EVM's `gas_limit`. A call leaves the caller's nonce alone; a deploy increments it
  (also when the deployment fails). `gas_used` is transaction-level: intrinsic gas included, refund
  taken off.
- Checks, in pyrevm's order: the gas against the EVM's gas limit, the intrinsic gas, a caller without
  code (EIP-3607), the nonce only if `set_tx_env` gave one, then the balance.

Where pyrevm departs from the Ethereum specification, jitvm follows the specification (see
docs/pyrevm-compat.md): every call starts with cold accounts and slots, its own original storage
values and empty transient storage, whatever earlier calls, `storage()` reads or
`insert_account_storage` did; `spec_id` selects the fork's rules; `get_code` returns the code without
padding; and `revert` also undoes direct edits (`set_balance`, `insert_account_*`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from jitvm.evm import gas as gas_rules
from jitvm.evm.addresses import create_address
from jitvm.evm.context import BlockEnv as _JitBlockEnv
from jitvm.evm.context import ExecutionContext
from jitvm.evm.context import TxEnv as _JitTxEnv
from jitvm.evm import DEFAULT_FORK
from jitvm.evm.delegation import DESIGNATOR_SIZE, delegated_address
from jitvm.evm.forks import get_fork
from jitvm.evm.memory_budget import DEFAULT_MEMORY_LIMIT, MemoryBudgetExceeded
from jitvm.evm.message import Message, Status
from jitvm.evm.state import Account, State
from jitvm.evm.transaction import (
    Transaction,
    delete_destroyed_accounts,
    execute,
    gas_after_refund,
    intrinsic_gas,
    root_message,
    run_call_frame,
)
from jitvm.hashing import EMPTY_KECCAK256, keccak256

__all__ = [
    "EVM", "AccountInfo", "BlockEnv", "TxEnv", "CfgEnv", "Env", "ExecutionResult", "Log",
    "JournalCheckpoint", "TransactionError", "ExecutionReverted", "ExecutionHalted", "fake_exponential",
]

UINT64_MAX = (1 << 64) - 1
WORD = 32
ZERO_ADDRESS = bytes(20)

# pyrevm's spec ids (revm's SpecId names, any case) -> the jitvm fork that runs them. LATEST is the
# fork mainnet runs (jitvm.evm.DEFAULT_FORK, Osaka); pyrevm 0.3's LATEST is Cancun, so code compared
# with pyrevm names CANCUN (docs/pyrevm-compat.md).
SPEC_IDS = {"LATEST": DEFAULT_FORK, "OSAKA": "Osaka", "PRAGUE": "Prague", "CANCUN": "Cancun",
            "SHANGHAI": "Shanghai", "MERGE": "Paris", "PARIS": "Paris"}

# revm's names for how an execution halted (HaltReason, as pyrevm 0.3.7 spells them).
HALT_REASONS = {
    Status.OUT_OF_GAS: "OutOfGas(Basic)",
    Status.STACK_UNDERFLOW: "StackUnderflow",
    Status.STACK_OVERFLOW: "StackOverflow",
    Status.INVALID_OPCODE: "OpcodeNotFound",
    Status.INVALID_JUMP: "InvalidJump",
    Status.STATIC_STATE_CHANGE: "StateChangeDuringStaticCall",
    Status.RETURNDATA_OUT_OF_BOUNDS: "OutOfOffset",
    Status.ADDRESS_COLLISION: "CreateCollision",
    Status.INVALID_CONTRACT_PREFIX: "CreateContractStartingWithEF",
    Status.CODE_SIZE_LIMIT: "CreateContractSizeLimit",
    Status.INITCODE_SIZE_LIMIT: "CreateInitCodeSizeLimit",
    Status.PRECOMPILE_FAILURE: "PrecompileError",
}
INVALID_FE = 0xFE  # revm names the designated INVALID opcode apart from undefined ones

_ADDRESS_CACHE: dict[str, bytes] = {}
_ADDRESS_CACHE_LIMIT = 1 << 16


def _address(text) -> bytes:
    """pyrevm's address argument: 40 hex digits, with or without 0x. TypeError otherwise."""
    if type(text) is str:
        cached = _ADDRESS_CACHE.get(text)
        if cached is not None:
            return cached
    elif isinstance(text, (bytes, bytearray)) and len(text) == 20:
        return bytes(text)
    else:
        raise TypeError(f"an address is a hex string, not {type(text).__name__}")
    digits = text[2:] if text.startswith("0x") else text
    if len(digits) != 40:
        raise TypeError(f"invalid string length: {text!r}")
    try:
        address = bytes.fromhex(digits)
    except ValueError:
        raise TypeError(f"invalid hex address: {text!r}") from None
    if len(_ADDRESS_CACHE) >= _ADDRESS_CACHE_LIMIT:
        _ADDRESS_CACHE.clear()
    _ADDRESS_CACHE[text] = address
    return address


def checksum_address(address: bytes) -> str:
    """EIP-55 mixed-case hex, as revm prints addresses (log addresses, account dictionaries)."""
    digits = address.hex()
    digest = keccak256(digits.encode()).hex()
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(digits, digest))


def fake_exponential(factor: int, numerator: int, denominator: int) -> int:
    """EIP-4844's integer approximation of factor * e ** (numerator / denominator)."""
    return gas_rules.fake_exponential(factor, numerator, denominator)


# -- pyrevm's value types ---------------------------------------------------------------------------


class AccountInfo:
    """An account's balance, nonce and code (pyrevm.AccountInfo). `code` is None for no code."""

    __slots__ = ("balance", "nonce", "code", "_code_hash")

    def __init__(self, balance: int | None = None, nonce: int = 0, code_hash: bytes | None = None,
                 code: bytes | None = None):
        self.balance = balance or 0
        self.nonce = nonce
        self.code = bytes(code) if code else None
        self._code_hash = code_hash

    @property
    def code_hash(self) -> bytes:
        if self.code:
            return keccak256(self.code)
        return self._code_hash or EMPTY_KECCAK256

    def __eq__(self, other) -> bool:
        return (isinstance(other, AccountInfo) and (self.balance, self.nonce, self.code)
                == (other.balance, other.nonce, other.code))

    def __repr__(self) -> str:
        code = "None" if self.code is None else "0x" + self.code.hex()
        return (f"AccountInfo(balance={self.balance}, nonce={self.nonce}, "
                f"code_hash=0x{self.code_hash.hex()}, code={code})")


class BlockEnv:
    """The block a call runs in (pyrevm.BlockEnv). Unset fields read as revm's defaults."""

    __slots__ = ("number", "coinbase", "timestamp", "difficulty", "prevrandao", "basefee", "gas_limit",
                 "excess_blob_gas")

    def __init__(self, number: int | None = None, coinbase: str | None = None, timestamp: int | None = None,
                 difficulty: int | None = None, prevrandao: bytes | None = None, basefee: int | None = None,
                 gas_limit: int | None = None, excess_blob_gas: int | None = None):
        self.number = number or 0
        self.coinbase = coinbase or "0x" + ZERO_ADDRESS.hex()
        self.timestamp = 1 if timestamp is None else timestamp
        self.difficulty = difficulty or 0
        self.prevrandao = prevrandao if prevrandao is not None else bytes(WORD)
        self.basefee = basefee or 0
        self.gas_limit = UINT64_MAX if gas_limit is None else gas_limit
        self.excess_blob_gas = excess_blob_gas or 0

    @property
    def blob_gasprice(self) -> int:
        return gas_rules.blob_base_fee(self.excess_blob_gas, get_fork("Cancun").blob_schedule.base_fee_update_fraction)


class TxEnv:
    """Transaction fields a call takes from the environment (pyrevm.TxEnv).

    `message_call` / `deploy` override caller, to, value, data, gas limit and gas price; the nonce (checked
    when set), access list and blob hashes come from here.
    """

    __slots__ = ("caller", "gas_limit", "gas_price", "gas_priority_fee", "to", "value", "data", "chain_id",
                 "nonce", "salt", "access_list", "blob_hashes", "max_fee_per_blob_gas")

    def __init__(self, caller: str | None = None, gas_limit: int | None = None, gas_price: int | None = None,
                 gas_priority_fee: int | None = None, to: str | None = None, value: int | None = None,
                 data: bytes | None = None, chain_id: int | None = None, nonce: int | None = None,
                 salt: int | None = None, access_list: list[tuple[str, list[int]]] | None = None,
                 blob_hashes: list[bytes] | None = None, max_fee_per_blob_gas: int | None = None):
        self.caller = caller or "0x" + ZERO_ADDRESS.hex()
        self.gas_limit = UINT64_MAX if gas_limit is None else gas_limit
        self.gas_price = gas_price or 0
        self.gas_priority_fee = gas_priority_fee
        self.to = to
        self.value = value or 0
        self.data = bytes(data or b"")
        self.chain_id = chain_id
        self.nonce = nonce
        self.salt = salt
        self.access_list = list(access_list or [])
        self.blob_hashes = list(blob_hashes or [])
        self.max_fee_per_blob_gas = max_fee_per_blob_gas


class CfgEnv:
    __slots__ = ("chain_id", "limit_contract_code_size", "perf_analyse_created_bytecodes")

    def __init__(self, chain_id: int | None = None, limit_contract_code_size: int | None = None,
                 perf_analyse_created_bytecodes: str | None = None):
        self.chain_id = 1 if chain_id is None else chain_id
        self.limit_contract_code_size = limit_contract_code_size
        self.perf_analyse_created_bytecodes = perf_analyse_created_bytecodes or "Analyse"


class Env:
    __slots__ = ("cfg", "block", "tx")

    def __init__(self, cfg: CfgEnv | None = None, block: BlockEnv | None = None, tx: TxEnv | None = None):
        self.cfg = cfg or CfgEnv()
        self.block = block or BlockEnv()
        self.tx = tx or TxEnv()


class Log:
    """A log as pyrevm shows it: checksummed address, topics as 0x-hex, `data` = (topic bytes, data)."""

    __slots__ = ("_address", "_topics", "_data")

    def __init__(self, address: bytes, topics: tuple, data: bytes):
        self._address = address
        self._topics = tuple(t if isinstance(t, bytes) else t.to_bytes(WORD, "big") for t in topics)
        self._data = bytes(data)

    @property
    def address(self) -> str:
        return checksum_address(self._address)

    @property
    def topics(self) -> list[str]:
        return ["0x" + topic.hex() for topic in self._topics]

    @property
    def data(self) -> tuple[list[bytes], bytes]:
        return list(self._topics), self._data

    def __eq__(self, other) -> bool:
        return isinstance(other, Log) and (self._address, self._topics, self._data) == (
            other._address, other._topics, other._data)

    def __repr__(self) -> str:
        return f"Log(address={self.address}, topics={self.topics}, data=0x{self._data.hex()})"


class ExecutionResult:
    """How the last `message_call` or `deploy` ended (pyrevm.ExecutionResult), plus its `output`."""

    __slots__ = ("is_success", "is_halt", "reason", "gas_used", "gas_refunded", "_logs", "output")

    def __init__(self, is_success: bool, is_halt: bool, reason: str, gas_used: int, gas_refunded: int,
                 logs: list | None = None, output: bytes = b""):
        self.is_success = is_success
        self.is_halt = is_halt
        self.reason = reason
        self.gas_used = gas_used
        self.gas_refunded = gas_refunded
        self._logs = logs if logs is not None else []  # pyrevm Logs, or the State's, converted when read
        self.output = output

    @property
    def logs(self) -> list[Log]:
        """The logs as pyrevm shows them, made from the State's records on first reading (a call that
        emits thousands of logs pays for the objects only if someone looks)."""
        logs = self._logs
        if logs and not isinstance(logs[0], Log):
            logs = self._logs = [Log(log.address, log.topics, log.data) for log in logs]
        return logs

    @logs.setter
    def logs(self, logs: list[Log]) -> None:
        self._logs = logs

    def __repr__(self) -> str:
        return (f"ExecutionResult(is_success={self.is_success}, is_halt={self.is_halt}, reason={self.reason!r}, "
                f"gas_used={self.gas_used}, gas_refunded={self.gas_refunded}, logs={len(self.logs)})")


@dataclass(frozen=True, slots=True)
class JournalCheckpoint:
    """What `snapshot()` returns and `revert()` takes. `journal_i` is the journal position."""

    log_i: int
    journal_i: int
    serial: int = field(default=0, repr=False)


# -- errors (RuntimeError, as pyrevm raises) ---------------------------------------------------------


class TransactionError(RuntimeError):
    """The call or deployment is not a valid transaction; nothing ran and nothing changed."""


class ExecutionReverted(RuntimeError):
    """The execution ended in REVERT. `output` is the revert data; `result` the ExecutionResult."""

    def __init__(self, result: ExecutionResult):
        super().__init__(f"Revert {{ gas_used: {result.gas_used}, output: 0x{result.output.hex()} }}")
        self.result = result
        self.output = result.output


class ExecutionHalted(RuntimeError):
    """The execution halted exceptionally (out of gas, invalid opcode...): all its gas is gone."""

    def __init__(self, result: ExecutionResult):
        super().__init__(f"Halt {{ reason: {result.reason}, gas_used: {result.gas_used} }}")
        self.result = result
        self.reason = result.reason


# -- the state, kept across calls -------------------------------------------------------------------

# Journal entries that undo world-state changes; the rest undo the substate of one transaction.
_STATE_ENTRY_KINDS = frozenset({"account", "storage", "balance", "nonce"})
_SETTLED = ("settled",)  # an undo entry of a finished transaction's substate, now meaningless


class SessionState(State):
    """A `State` whose journal outlives transactions while a user snapshot is held.

    `State.begin_transaction` drops the journal, which is right for one transaction. Here a snapshot may
    span many calls, so while one is held the journal is kept, and the finished transaction's substate
    entries (warm marks, logs, refunds...) become no-ops: only world-state changes are undone across
    calls.
    """

    def __init__(self):
        self.pinned = False  # a user snapshot is outstanding
        self._settled_upto = 0  # journal entries before this index hold only world-state changes
        super().__init__()

    def begin_transaction(self, warm_addresses=()) -> int | None:
        if not self.pinned:  # (EVM._transact calls State.begin_transaction itself then)
            self._settled_upto = 0
            return State.begin_transaction(self, warm_addresses)
        journal = self._journal
        for position in range(self._settled_upto, len(journal)):
            if journal[position][0] not in _STATE_ENTRY_KINDS:
                journal[position] = _SETTLED
        self._journal = []
        State.begin_transaction(self, warm_addresses)
        self._journal = journal
        self._settled_upto = len(journal)
        return None

    def put_account(self, address: bytes, nonce: int, balance: int, code: bytes) -> None:
        """Replace an account's nonce, balance and code, keeping its storage (undoable)."""
        previous = self.accounts.get(address)
        storage = dict(previous.storage) if previous is not None else {}
        self._journal.append(("account", address, previous))
        self.accounts[address] = Account(nonce, balance, code, storage)
        self.callees.forget(address)


# -- the EVM ----------------------------------------------------------------------------------------


class EVM:
    """An in-memory EVM with pyrevm's interface, running on a jitvm engine.

    `engine` names the jitvm engine: 'auto' (the default: the reference for a short run, then the
    baseline interpreter, and the JIT for code that runs often), 'jit', 'baseline' or 'reference'; `fork_url` (state read from a node) is
    not supported. `memory_limit` is how many bytes of EVM memory the frames of one call may take
    in all (default: revm's, 2**32 - 1); a call that needs more halts with `OutOfGas(MemoryLimit)`
    and changes nothing.
    """

    def __init__(self, env: Env | None = None, fork_url: str | None = None, fork_block: str | None = None,
                 gas_limit: int = UINT64_MAX, tracing: bool = False, spec_id: str = "LATEST",
                 engine: str = "auto", memory_limit: int = DEFAULT_MEMORY_LIMIT):
        if fork_url is not None:
            raise NotImplementedError("jitvm.EVM runs on an in-memory state; fork_url is not supported")
        fork_name = SPEC_IDS.get(str(spec_id).upper())
        if fork_name is None:
            raise ValueError(f"spec_id {spec_id!r} is not executed by jitvm (supported: {', '.join(SPEC_IDS)})")
        from jitvm.evm.engines import get_engine

        self._fork = get_fork(fork_name)
        self._prague = self._fork.at_least("Prague")
        self._engine_name = engine
        self._engine = get_engine(engine)
        self._gas_limit = gas_limit
        self._memory_limit = memory_limit
        self.tracing = tracing
        self._state = SessionState()
        self._env = env or Env()
        self._checkpoints: list[JournalCheckpoint] = []
        self._serial = 0
        self._log_count = 0
        self._result: ExecutionResult | None = None
        # The last call's success, (reason, gas used, refund, logs, output), until `result` is read.
        self._pending_result: tuple | None = None
        # What every call starts with, rebuilt only when the environment changes.
        self._ctx = ExecutionContext(state=self._state, fork=self._fork, engine=self._engine)
        self._apply_env()

    # -- environment -------------------------------------------------------------------------------

    def _apply_env(self) -> None:
        block, tx, cfg = self._env.block, self._env.tx, self._env.cfg
        coinbase = _address(block.coinbase)
        self._ctx.block = _JitBlockEnv(
            coinbase=coinbase,
            number=block.number,
            timestamp=block.timestamp,
            gas_limit=self._gas_limit,  # GASLIMIT reads the EVM's gas limit, as in pyrevm
            base_fee=0,  # calls buy no gas, so the base fee is zero (pyrevm does the same)
            prev_randao=int.from_bytes(block.prevrandao, "big"),
            excess_blob_gas=block.excess_blob_gas,
            chain_id=cfg.chain_id,
        )
        warm = set(self._fork.precompile_accounts)
        if self._fork.at_least("Shanghai"):
            warm.add(coinbase)  # EIP-3651
        access_list = tuple(
            (_address(address), tuple(int(key) for key in keys)) for address, keys in tx.access_list
        )
        warm.update(address for address, _ in access_list)
        self._warm_at_start = frozenset(warm)
        self._warm_slots = frozenset((address, key) for address, keys in access_list for key in keys)
        blob_hashes = tuple(bytes(h) for h in tx.blob_hashes)
        self._max_blob_fee = gas_rules.GAS_PER_BLOB * len(blob_hashes) * (tx.max_fee_per_blob_gas or 0)
        self._ctx.tx = _JitTxEnv(blob_hashes=blob_hashes)
        # Only the fields intrinsic gas depends on change from call to call.
        self._intrinsic_probe = Transaction(ZERO_ADDRESS, None, access_list=access_list)
        # calldata -> (intrinsic gas, EIP-7623 floor) of a call carrying it
        self._intrinsic_cache: dict[bytes, tuple[int, int]] = {}
        # (sender, to) -> what calls from sender to `to` share (_plan)
        self._plans: dict[tuple[bytes, bytes], tuple] = {}
        self._warm_sets: dict[frozenset, frozenset] = {}  # see _warm_set

    def _plan(self, sender: bytes, to: bytes) -> tuple:
        """(the accounts a call from `sender` to `to` starts with warm (EIP-2929, EIP-3651, the
        access list), {calldata: the last such call's root Message}), kept until the environment
        changes. A Message is never changed once made, so a call with the same data, value, gas,
        static flag and code runs the same one again; one per calldata, so that calls of different
        functions between the same two accounts (a transfer, then an approve) keep theirs."""
        if len(self._plans) >= _PLANS_LIMIT:
            self._plans.clear()
        plan = self._plans[(sender, to)] = (self._warm_set(sender, to), {})
        return plan

    def _warm_set(self, sender: bytes, target: bytes) -> frozenset:
        """The accounts a transaction from `sender` to `target` starts with warm, as one frozenset
        object per set of accounts: the state's storage table remembers where a warm set's marks
        go by the set (StorageTable.next_epoch), and a lookup with an equal set that is another
        object compares all its twenty-odd addresses (a deployment's set, then the plan of calls
        into the deployed contract, hold the same accounts)."""
        warm = self._warm_at_start | {sender, target}
        known = self._warm_sets.get(warm)
        if known is not None:
            return known
        if len(self._warm_sets) >= _PLANS_LIMIT:
            self._warm_sets.clear()
        self._warm_sets[warm] = warm
        return warm

    @property
    def env(self) -> Env:
        return self._env

    def set_block_env(self, block: BlockEnv) -> None:
        self._env.block = block
        self._apply_env()

    def set_tx_env(self, tx: TxEnv) -> None:
        self._env.tx = tx
        self._apply_env()

    @property
    def engine(self) -> str:
        return self._engine_name

    # -- reading and editing accounts -------------------------------------------------------------

    def basic(self, address: str) -> AccountInfo:
        account = self._state.accounts.get(_address(address))
        if account is None:
            return AccountInfo()
        return AccountInfo(balance=account.balance, nonce=account.nonce, code=account.code)

    def get_code(self, address: str) -> bytes | None:
        """The account's code, None if it has none (pyrevm pads deployed code; jitvm does not)."""
        return self._state.code(_address(address)) or None

    def get_balance(self, address: str) -> int:
        return self._state.balance(_address(address))

    def set_balance(self, address: str, balance: int) -> None:
        target = _address(address)
        account = self._state.accounts.get(target)
        if account is None:
            self._state.put_account(target, 0, balance, b"")
        else:
            self._state.put_account(target, account.nonce, balance, account.code)

    def storage(self, address: str, index: int) -> int:
        """A storage slot's value. Unlike pyrevm, reading it does not make it warm for the next call."""
        return self._state.get_storage(_address(address), index)

    def insert_account_info(self, address: str, info: AccountInfo) -> None:
        """Set an account's balance, nonce and code; its storage stays."""
        self._state.put_account(_address(address), info.nonce, info.balance, info.code or b"")

    def insert_account_storage(self, address: str, index: int, value: int) -> int:
        """Set a storage slot. The slot is cold for the next call (pyrevm makes it warm). Returns 0."""
        target = _address(address)
        if target not in self._state.accounts:
            self._state.put_account(target, 0, 0, b"")
        self._state.set_storage(target, index, value)
        return 0

    def block_hash(self, number: int) -> bytes:
        return self._ctx.block.block_hash(number)

    def reset_transient_storage(self) -> None:
        """Kept for pyrevm code; transient storage is cleared after every call anyway (EIP-1153)."""
        self._state.transient.clear()

    # -- snapshots ---------------------------------------------------------------------------------

    def snapshot(self) -> JournalCheckpoint:
        """A point to `revert` to; everything after it, including direct edits, can be undone."""
        self._serial += 1
        checkpoint = JournalCheckpoint(self._log_count, self._state.snapshot(), self._serial)
        self._checkpoints.append(checkpoint)
        self._state.pinned = True
        return checkpoint

    def revert(self, checkpoint: JournalCheckpoint) -> None:
        """Undo everything since `checkpoint`; it and later checkpoints are used up."""
        if not self._checkpoints:
            raise OverflowError("No checkpoint to revert to")
        try:
            position = self._checkpoints.index(checkpoint)
        except ValueError:
            raise KeyError("Invalid checkpoint") from None
        self._state.revert(checkpoint.journal_i)
        del self._checkpoints[position:]
        self._unpin_if_done()

    def _unpin_if_done(self) -> None:
        """The state's journal is kept across transactions while a checkpoint is outstanding; once
        none is, it is not, and nothing of it counts as settled (SessionState.begin_transaction)."""
        state = self._state
        state.pinned = bool(self._checkpoints)
        if not state.pinned:
            state._settled_upto = 0

    def commit(self) -> None:
        """Keep the changes since the latest checkpoint, which can no longer be reverted to."""
        if self._checkpoints:
            self._checkpoints.pop()
        self._unpin_if_done()

    @property
    def checkpoint_ids(self) -> set[JournalCheckpoint]:
        return set(self._checkpoints)

    @property
    def journal_depth(self) -> int:
        return len(self._checkpoints)

    @property
    def journal_len(self) -> int:
        return self._state.snapshot()

    @property
    def journal_str(self) -> str:
        return repr(self._state._journal)

    @property
    def db_accounts(self) -> dict[str, AccountInfo]:
        return {checksum_address(address): AccountInfo(a.balance, a.nonce, code=a.code)
                for address, a in self._state.accounts.items()}

    journal_state = db_accounts

    # -- execution ---------------------------------------------------------------------------------

    @property
    def result(self) -> ExecutionResult | None:
        pending = self._pending_result
        if pending is not None:  # a success, made into an ExecutionResult when first asked for
            self._pending_result = None
            self._result = ExecutionResult(True, False, *pending)
        return self._result

    def message_call(self, caller: str, to: str, calldata: bytes | None = None, value: int | None = None,
                     gas: int | None = None, gas_price: int | None = None, is_static: bool = False) -> bytes:
        """Call `to` from `caller` as a transaction that buys no gas; the state changes stay.

        Returns the output; raises ExecutionReverted / ExecutionHalted (RuntimeErrors) on a revert or an
        exceptional halt, TransactionError if the call is not a valid transaction.
        """
        # _address(caller), _address(to), looking known strings up here first
        sender = _ADDRESS_CACHE.get(caller) if type(caller) is str else None
        target = _ADDRESS_CACHE.get(to) if type(to) is str else None
        return self._transact(_address(caller) if sender is None else sender,
                              _address(to) if target is None else target,
                              calldata if type(calldata) is bytes else bytes(calldata or b""), value or 0,
                              gas, gas_price or 0, is_static)

    def deploy(self, deployer: str, code: bytes, value: int | None = None, gas: int | None = None,
               gas_price: int | None = None, is_static: bool = False, _abi=None) -> str:
        """Run `code` as initcode in a contract-creating transaction; returns the new address (0x, lower case)."""
        sender = _address(deployer)
        address = create_address(sender, self._state.nonce(sender))
        self._transact(sender, None, bytes(code), value or 0, gas, gas_price or 0, False)
        return "0x" + address.hex()

    def _transact(self, sender: bytes, to: bytes | None, data: bytes, value: int, gas_limit: int | None,
                  gas_price: int, is_static: bool) -> bytes:
        """Validate and run one call or deployment; returns its output. This is the hot path: it
        reuses the context, the transaction probe and the warm set computed when the environment
        was set, and a successful call's ExecutionResult is made only if someone reads it."""
        state = self._state
        self._result = self._pending_result = None
        if gas_limit is None:
            gas_limit = self._gas_limit
        elif gas_limit > self._gas_limit:
            raise TransactionError("Transaction(CallerGasLimitMoreThanBlock)")
        known = self._intrinsic_cache.get(data) if to is not None else None
        if known is None:
            probe = self._intrinsic_probe
            probe.to = to
            probe.data = data
            known = (intrinsic_gas(probe, self._fork), gas_rules.calldata_floor(data) if self._prague else 0)
            if to is not None and len(data) <= _CACHED_CALLDATA_SIZE:
                if len(self._intrinsic_cache) >= _INTRINSIC_CACHE_LIMIT:
                    self._intrinsic_cache.clear()
                self._intrinsic_cache[data] = known
        intrinsic, floor = known
        if intrinsic > gas_limit:
            raise TransactionError(f"Initial gas spend is {intrinsic} but gas limit is {gas_limit}. "
                                   "Error: Transaction(CallGasCostMoreThanGasLimit)")
        if floor > gas_limit:  # EIP-7623, with revm's name for it
            raise TransactionError(f"Transaction(GasFloorMoreThanGasLimit {{ gas_floor: {floor}, "
                                   f"gas_limit: {gas_limit} }})")
        if to is None and len(data) > gas_rules.MAX_INITCODE_SIZE and self._fork.at_least("Shanghai"):
            raise TransactionError("Transaction(CreateInitCodeSizeLimit)")
        account = state.accounts.get(sender)
        if account is None:
            nonce = 0
        else:
            if account.code and not (self._prague and delegated_address(account.code) is not None):
                raise TransactionError("Transaction(RejectCallerWithCode)")  # EIP-3607, less EIP-7702
            nonce = account.nonce
        expected_nonce = self._env.tx.nonce
        if expected_nonce is not None and expected_nonce != nonce:
            kind = "NonceTooHigh" if expected_nonce > nonce else "NonceTooLow"
            raise TransactionError(f"Transaction({kind} {{ tx: {expected_nonce}, state: {nonce} }})")
        max_fee = gas_limit * gas_price + value + self._max_blob_fee
        # A balance is never negative, so a call that may cost nothing (no gas price, no value: most
        # calls through message_call) needs no look at it; reading it may mean a storage table read
        # (an account whose balance native code moves, Account.balance).
        if max_fee and (balance := 0 if account is None else account.balance) < max_fee:
            raise TransactionError(f"Transaction(LackOfFundForMaxFee {{ fee: {max_fee}, balance: {balance} }})")

        if to is None:
            target = create_address(sender, nonce)
            warm = self._warm_set(sender, target)
        else:
            target = to
            plan = self._plans.get((sender, to))
            if plan is None:
                plan = self._plan(sender, to)
            warm = plan[0]
        # SessionState.begin_transaction, which is State's while no checkpoint pins the journal
        start = state.begin_transaction(warm) if state.pinned else _begin_transaction(state, warm)
        if self._warm_slots:
            state.warm_slots.update(self._warm_slots)
            start = None
        if start is None:
            start = state.snapshot()
        ctx = self._ctx
        tx_env = ctx.tx
        tx_env.origin = sender
        tx_env.gas_price = gas_price
        tracer = ctx.tracer = _stdout_tracer() if self.tracing else None
        call_gas = gas_limit - intrinsic
        ctx.memory_left = self._memory_limit
        try:
            if to is None:
                state.increment_nonce(sender)  # kept even if the deployment fails
                message = Message(sender, target, target, value, b"", call_gas, 0, data, is_create=True)
                frame = execute(message, ctx)
            else:
                account = state.accounts.get(to)
                code = account.code if account else b""
                if not code:  # a precompile, or an account without code: transaction.execute
                    message = Message(sender, to, to, value, data, call_gas, 0, b"", is_static=is_static)
                    frame = execute(message, ctx)
                elif len(code) == DESIGNATOR_SIZE and self._prague and delegated_address(code) is not None:
                    # EIP-7702: follow the designator
                    message = root_message(Transaction(sender, to, value=value, data=data), state, call_gas,
                                           self._fork, is_static)
                    frame = execute(message, ctx)
                else:
                    # A call into code: its frame runs here, and the frame driver takes over only if
                    # it calls out (execution.execute_message's steps for a root frame).
                    messages = plan[1]  # calldata -> the last such call's Message
                    message = messages.get(data)
                    if (message is None or message.code is not code or message.gas != call_gas
                            or message.value != value or message.is_static != is_static):
                        message = Message(sender, to, to, value, data, call_gas, 0, code, is_static=is_static)
                        if len(data) <= _CACHED_CALLDATA_SIZE:  # what the plans hold stays small
                            if len(messages) >= _MESSAGES_PER_PLAN:
                                messages.clear()
                            messages[data] = message
                    frame = run_call_frame(message, ctx, start)
        except (MemoryBudgetExceeded, MemoryError):
            # Past the memory budget (or the machine's): the call cannot complete, and nothing it did stays.
            state.revert(start)
            result = self._result = ExecutionResult(False, True, "OutOfGas(MemoryLimit)", gas_limit, 0)
            raise ExecutionHalted(result) from None
        if tracer is not None:
            tracer.end_transaction(frame, gas_limit - frame.gas_left)
        gas_used, refund = gas_limit - frame.gas_left, 0
        if state.refund or gas_used < floor:  # else gas_after_refund gives the same
            gas_used, refund = gas_after_refund(state, gas_limit, frame, floor)
        if state.to_delete:
            delete_destroyed_accounts(state)
        logs = state.logs  # this transaction's list (begin_transaction starts a new one)
        log_count = len(logs)  # (one call into Logs: its truth is a Python method too)
        if log_count:
            self._log_count += log_count
        status = frame.status
        if status is _SUCCESS:
            # revm's Stop / Return / SelfDestruct: jitvm's status does not say which instruction ended
            # the frame, so a call with output returned and one without stopped. A deployment that
            # succeeds always reads as Return (revm sets it when it deposits the code).
            output = frame.output
            self._pending_result = ("Return" if output or to is None else "Stop", gas_used, refund,
                                    logs if log_count else None, output)
            return output
        if status is Status.REVERT:
            result = self._result = ExecutionResult(False, False, "Revert", gas_used, 0, [], frame.output)
            raise ExecutionReverted(result)
        reason = HALT_REASONS.get(status, status.name)
        if status is Status.PRECOMPILE_FAILURE and _precompile_price(self._fork, target, data) > call_gas:
            reason = "OutOfGas(Precompile)"  # revm tells a precompile's lack of gas from bad input
        elif status is Status.INVALID_OPCODE and INVALID_FE in message.code:
            # revm tells the designated INVALID from undefined opcodes; jitvm's status does not, so
            # this guesses from the top frame's code.
            reason = "InvalidFEOpcode"
        result = self._result = ExecutionResult(False, True, reason, gas_used, 0, [], b"")
        raise ExecutionHalted(result)

    def __repr__(self) -> str:
        return f"EVM(spec={self._fork.name}, engine={self._engine_name}, accounts={len(self._state.accounts)})"


_SUCCESS = Status.SUCCESS
_begin_transaction = State.begin_transaction
_CACHED_CALLDATA_SIZE = 1024  # intrinsic gas is memoized for calls with calldata up to this size
_INTRINSIC_CACHE_LIMIT = 4096
_PLANS_LIMIT = 4096
_MESSAGES_PER_PLAN = 16  # root Messages a plan keeps (by calldata)


def _precompile_price(fork, address: bytes, data: bytes) -> int:
    from jitvm.evm.precompiles.table import active_precompiles

    return active_precompiles(fork.name)[int.from_bytes(address, "big")].gas(data)


def _stdout_tracer():
    from jitvm.evm.trace import Eip3155Tracer

    return Eip3155Tracer(sys.stdout)
