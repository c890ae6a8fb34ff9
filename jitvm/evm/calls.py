"""Running code directly: one message call into a contract on a small default state, without a
transaction around it. This is what `jitvm run` and the benchmarks use; gas figures are the gas
charged inside the call (no intrinsic transaction gas), as the benchmark fixtures give them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from jitvm.evm.context import BlockEnv, ExecutionContext, TxEnv
from jitvm.evm.execution import execute_message
from jitvm.evm.forks import DEFAULT_FORK, Fork, get_fork
from jitvm.evm.message import Message, Status
from jitvm.evm.state import Account, Log, State

CONTRACT_ADDRESS = bytes.fromhex("00000000000000000000000000000000c0de0001")
CALLER_ADDRESS = bytes.fromhex("00000000000000000000000000000000ca11e401")
CALLER_BALANCE = 10**30
DEFAULT_GAS = 30_000_000


@dataclass(slots=True)
class CallOutcome:
    status: Status
    output: bytes
    gas_used: int
    gas_left: int
    logs: list[Log] = field(default_factory=list)
    state: State | None = None

    @property
    def is_success(self) -> bool:
        return self.status is Status.SUCCESS


@cache
def _warm_at_start(fork: Fork) -> frozenset[bytes]:
    """The caller, the contract and the precompiles (EIP-2929): one frozenset per fork, which the
    storage table recognises (StorageTable.warm_at_start)."""
    return frozenset((CALLER_ADDRESS, CONTRACT_ADDRESS, *(number.to_bytes(20, "big") for number in fork.precompiles)))


# The block of calls given none. One object for them all: engines keep what they derive from a
# block (the baseline's environment rows) while the same BlockEnv object runs, and a BlockEnv is
# never edited once it runs.
_DEFAULT_BLOCK = BlockEnv()


def default_state(code: bytes) -> State:
    return State({
        CALLER_ADDRESS: Account(balance=CALLER_BALANCE),
        CONTRACT_ADDRESS: Account(nonce=1, code=code),
    })


def call_code(
    code: bytes,
    calldata: bytes = b"",
    gas: int = DEFAULT_GAS,
    value: int = 0,
    engine=None,
    fork: Fork | str = DEFAULT_FORK,
    state: State | None = None,
    block: BlockEnv | None = None,
    tracer=None,
) -> CallOutcome:
    """Call the contract at CONTRACT_ADDRESS holding `code` (on `state`, or a fresh default state)."""
    fork = get_fork(fork) if isinstance(fork, str) else fork
    state = state if state is not None else default_state(code)
    state.begin_transaction()
    state.warm_at_start(_warm_at_start(fork))
    ctx = ExecutionContext(
        state=state,
        block=block or _DEFAULT_BLOCK,
        tx=TxEnv(origin=CALLER_ADDRESS, gas_price=0),
        fork=fork,
        engine=engine,
        tracer=tracer,
    )
    message = Message(CALLER_ADDRESS, CONTRACT_ADDRESS, CONTRACT_ADDRESS, value, calldata, gas, 0, code)
    result = execute_message(message, ctx)
    if tracer is not None:
        tracer.end_transaction(result, gas - result.gas_left)
    return CallOutcome(result.status, result.output, gas - result.gas_left, result.gas_left, list(state.logs), state)
