"""What a block does besides its transactions: system calls into contracts and the requests they yield.

- Before the transactions: the parent block's hash goes into the history contract (EIP-2935, Prague)
  and the parent beacon block root into the beacon roots contract (EIP-4788, Cancun).
- After them (Prague, EIP-7685): the deposit requests read from the deposit contract's logs (EIP-6110),
  then the withdrawal (EIP-7002) and consolidation (EIP-7251) requests the system dequeues from their
  contracts. A block's requests are listed by type; their commitment is `requests_hash`.

A system call is a message from SYSTEM_ADDRESS with SYSTEM_TRANSACTION_GAS, no value and no fees. The
request contracts are called "checked": one without code, or a call that fails, makes the block
invalid (`InvalidBlock`, worded as the execution specification words it).
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256

from jitvm.evm.context import BlockEnv, ExecutionContext, TxEnv
from jitvm.evm.execution import execute_message
from jitvm.evm.forks import Fork
from jitvm.evm.message import FrameResult, Message
from jitvm.evm.state import Log, State

SYSTEM_ADDRESS = bytes.fromhex("fffffffffffffffffffffffffffffffffffffffe")
SYSTEM_TRANSACTION_GAS = 30_000_000
BEACON_ROOTS_ADDRESS = bytes.fromhex("000f3df6d732807ef1319fb7b8bb8522d0beac02")  # EIP-4788
HISTORY_STORAGE_ADDRESS = bytes.fromhex("0000f90827f1c53a10cb7a02335b175320002935")  # EIP-2935
WITHDRAWAL_REQUEST_ADDRESS = bytes.fromhex("00000961ef480eb55e80d19ad83579a64c007002")  # EIP-7002
CONSOLIDATION_REQUEST_ADDRESS = bytes.fromhex("0000bbddc7ce488642fb579f8b00f3a590007251")  # EIP-7251
DEPOSIT_CONTRACT_ADDRESS = bytes.fromhex("00000000219ab540356cbb839cbe05303d7705fa")  # EIP-6110 (mainnet)
DEPOSIT_EVENT_TOPIC = int("649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5", 16)

DEPOSIT_REQUEST_TYPE, WITHDRAWAL_REQUEST_TYPE, CONSOLIDATION_REQUEST_TYPE = b"\x00", b"\x01", b"\x02"

# The DepositEvent's data: five dynamic `bytes` fields (pubkey, withdrawal credentials, amount,
# signature, index), ABI-encoded: five offsets, then each field as a length word and its bytes padded
# to words. A deposit request is the five fields' bytes concatenated.
DEPOSIT_EVENT_SIZE = 576
DEPOSIT_FIELDS = (  # (name, offset of its length word, size)
    ("pubkey", 160, 48),
    ("withdrawal credentials", 256, 32),
    ("amount", 320, 8),
    ("signature", 384, 96),
    ("index", 512, 8),
)
WORD = 32


class InvalidBlock(Exception):
    """The block cannot be valid (a system contract missing or failing, a malformed deposit log)."""


def system_call(state: State, block: BlockEnv, fork: Fork, address: bytes, data: bytes, engine=None) -> FrameResult:
    """Run the code at `address` as the system, in a transaction of its own."""
    state.begin_transaction()
    ctx = ExecutionContext(state=state, block=block, tx=TxEnv(origin=SYSTEM_ADDRESS, gas_price=block.base_fee),
                           fork=fork, engine=engine)
    message = Message(SYSTEM_ADDRESS, address, address, 0, data, SYSTEM_TRANSACTION_GAS, 0, state.code(address),
                      should_transfer_value=False)
    return execute_message(message, ctx)


def checked_system_call(state: State, block: BlockEnv, fork: Fork, address: bytes, engine=None) -> bytes:
    """A system call the block depends on: InvalidBlock unless the contract exists and succeeds."""
    if not state.code(address):
        raise InvalidBlock(f"System contract address {address.hex()} does not contain code")
    result = system_call(state, block, fork, address, b"", engine)
    if not result.status.is_success:
        raise InvalidBlock(f"System contract ({address.hex()}) call failed: {result.status.name}")
    return result.output


def before_transactions(state: State, block: BlockEnv, fork: Fork, parent_beacon_block_root: bytes | None,
                        engine=None) -> None:
    """The system calls that open a block: the parent hash (Prague), the parent beacon root (Cancun)."""
    if fork.at_least("Prague"):
        system_call(state, block, fork, HISTORY_STORAGE_ADDRESS, block.block_hashes.get(block.number - 1, bytes(WORD)),
                    engine)
    if fork.at_least("Cancun") and parent_beacon_block_root is not None:
        system_call(state, block, fork, BEACON_ROOTS_ADDRESS, parent_beacon_block_root, engine)


@dataclass(slots=True)
class Requests:
    """The block's requests so far, each its type byte then its data (EIP-7685), and why the block is
    invalid if it is."""

    items: list[bytes]
    invalid: str | None = None

    @property
    def hash(self) -> bytes:
        return requests_hash(self.items)


def requests_hash(requests: list[bytes]) -> bytes:
    """EIP-7685's commitment: sha256 of the concatenated sha256 of each request."""
    outer = sha256()
    for request in requests:
        outer.update(sha256(request).digest())
    return outer.digest()


def deposit_request(data: bytes) -> bytes:
    """The request of one DepositEvent's data; InvalidBlock if it is not laid out as the contract does."""
    if len(data) != DEPOSIT_EVENT_SIZE:
        raise InvalidBlock("Invalid deposit event data length")
    for position, (name, offset, _) in enumerate(DEPOSIT_FIELDS):
        if int.from_bytes(data[position * WORD : (position + 1) * WORD], "big") != offset:
            raise InvalidBlock(f"Invalid {name} offset in deposit log")
    request = b""
    for name, offset, size in DEPOSIT_FIELDS:
        if int.from_bytes(data[offset : offset + WORD], "big") != size:
            raise InvalidBlock(f"Invalid {name} size in deposit log")
        request += data[offset + WORD : offset + WORD + size]
    return request


def after_transactions(state: State, block: BlockEnv, fork: Fork, logs: list[Log], engine=None) -> Requests:
    """The block's requests (Prague): deposits from `logs`, then the withdrawal and consolidation
    queues. An invalid block keeps the requests gathered before the step that failed."""
    requests = Requests([])
    try:
        deposits = b"".join(deposit_request(log.data) for log in logs
                            if log.address == DEPOSIT_CONTRACT_ADDRESS and log.topics
                            and _topic(log.topics[0]) == DEPOSIT_EVENT_TOPIC)
        if deposits:
            requests.items.append(DEPOSIT_REQUEST_TYPE + deposits)
        for request_type, address in ((WITHDRAWAL_REQUEST_TYPE, WITHDRAWAL_REQUEST_ADDRESS),
                                      (CONSOLIDATION_REQUEST_TYPE, CONSOLIDATION_REQUEST_ADDRESS)):
            output = checked_system_call(state, block, fork, address, engine)
            if output:
                requests.items.append(request_type + output)
    except InvalidBlock as exc:
        requests.invalid = str(exc)
    return requests


def _topic(topic) -> int:
    return topic if isinstance(topic, int) else int.from_bytes(topic, "big")
