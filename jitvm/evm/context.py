"""The host: everything an engine may consult or change while it runs a frame.

An engine sees the world only through an `ExecutionContext`: the journaled `State` (accounts,
storage, transient storage, warm sets, logs, refunds), the block and transaction environment, and the
fork. It asks for a child frame by yielding a `Message` to the driver (jitvm.evm.execution), which
runs the child on whatever engine is configured and sends back its `FrameResult`. The reference
interpreter and the native engines use this same context, so state effects are identical by
construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jitvm.evm.forks import DEFAULT_FORK, Fork, get_fork
from jitvm.evm.memory_budget import DEFAULT_MEMORY_LIMIT
from jitvm.evm.state import State
from jitvm.hashing import keccak256

if TYPE_CHECKING:
    from jitvm.evm.engines import Engine


@dataclass(slots=True)
class BlockEnv:
    coinbase: bytes = bytes(20)
    number: int = 1
    timestamp: int = 1
    gas_limit: int = 30_000_000
    base_fee: int = 7
    prev_randao: int = 0
    excess_blob_gas: int = 0
    chain_id: int = 1
    # Known hashes of recent blocks; a missing one reads as keccak256 of the decimal number, the
    # convention state-test tools use.
    block_hashes: dict[int, bytes] = field(default_factory=dict)

    def block_hash(self, number: int) -> bytes:
        known = self.block_hashes.get(number)
        return known if known is not None else keccak256(str(number).encode())


@dataclass(slots=True)
class TxEnv:
    origin: bytes = bytes(20)
    gas_price: int = 0
    blob_hashes: tuple[bytes, ...] = ()


@dataclass(slots=True)
class ExecutionContext:
    state: State
    block: BlockEnv = field(default_factory=BlockEnv)
    tx: TxEnv = field(default_factory=TxEnv)
    fork: Fork = field(default_factory=lambda: get_fork(DEFAULT_FORK))
    engine: "Engine" = None  # None (the default) is replaced by the reference interpreter's engine
    tracer: Any = None  # an EIP-3155 tracer (jitvm.evm.trace), or None
    # Bytes of EVM memory the transaction's frames may still take (jitvm.evm.execution.take_memory).
    memory_left: int = DEFAULT_MEMORY_LIMIT

    def __post_init__(self):
        if self.engine is None:
            from jitvm.evm.engines import reference_engine

            self.engine = reference_engine()
