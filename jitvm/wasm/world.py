"""The state a Wasm contract VM runs against: accounts with balances, ESDT balances, storage, code and
an owner. It belongs to the host; a contract instance never holds state between calls."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jitvm.wasm.nft import NftMetadata


@dataclass(slots=True)
class Account:
    nonce: int = 0
    balance: int = 0
    code: bytes = b""
    owner: bytes = b""
    code_metadata: bytes = b""
    username: bytes = b""
    storage: dict[bytes, bytes] = field(default_factory=dict)
    esdt: dict[tuple[bytes, int], int] = field(default_factory=dict)  # (token id, nonce) -> amount
    esdt_roles: dict[bytes, set[bytes]] = field(default_factory=dict)  # token id -> roles held
    esdt_frozen: set[bytes] = field(default_factory=set)  # token ids this account may not send
    esdt_last_nonce: dict[bytes, int] = field(default_factory=dict)  # token id -> last NFT nonce it created
    esdt_metadata: dict[tuple[bytes, int], "NftMetadata"] = field(default_factory=dict)  # of the NFTs it holds
    async_call_data: bytes = b""  # the data of the last asynchronous call sent to it from another shard


def move_esdt(source: Account, target: Account, token: bytes, nonce: int, amount: int) -> None:
    """Move `amount` of a token instance (the caller checked the balance); an NFT's metadata goes
    with it."""
    source.esdt[(token, nonce)] -= amount
    target.esdt[(token, nonce)] = target.esdt.get((token, nonce), 0) + amount
    metadata = source.esdt_metadata.get((token, nonce))
    if metadata is not None and (token, nonce) not in target.esdt_metadata:
        target.esdt_metadata[(token, nonce)] = copy.deepcopy(metadata)


@dataclass(slots=True)
class BlockInfo:
    nonce: int = 0
    round: int = 0
    epoch: int = 0
    timestamp: int = 0
    random_seed: bytes = bytes(48)


@dataclass
class World:
    accounts: dict[bytes, Account] = field(default_factory=dict)
    # Where a deployment lands: (creator, creator's nonce) -> the new contract's address.
    new_addresses: dict[tuple[bytes, int], bytes] = field(default_factory=dict)
    current_block: BlockInfo = field(default_factory=BlockInfo)
    previous_block: BlockInfo = field(default_factory=BlockInfo)
    number_of_shards: int = 3

    def account(self, address: bytes) -> Account:
        """The account at `address`, created empty on first use."""
        found = self.accounts.get(address)
        if found is None:
            found = self.accounts[address] = Account()
        return found

    def snapshot(self) -> dict[bytes, Account]:
        return copy.deepcopy(self.accounts)

    def restore(self, snapshot: dict[bytes, Account]) -> None:
        self.accounts = snapshot

    def shard_of(self, address: bytes) -> int:
        """The shard of an address as MultiversX's scenario world computes it: its last byte modulo
        the number of shards."""
        return address[-1] % self.number_of_shards if address else 0
