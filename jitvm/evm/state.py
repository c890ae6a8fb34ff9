"""World state with a journal, and the per-transaction substate (warm sets, transient storage, logs,
refund counter, created and self-destructed accounts).

Every change goes through a method that records how to undo it, so `snapshot()` is the journal length
and `revert(snapshot)` undoes back to it. Frames take a snapshot on entry; an exceptional halt or a
REVERT rolls back to it. All engines share this one implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jitvm.hashing import EMPTY_KECCAK256, keccak256

Address = bytes  # 20 bytes


@dataclass(slots=True)
class Account:
    nonce: int = 0
    balance: int = 0
    code: bytes = b""
    storage: dict[int, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """EIP-161: no nonce, no balance, no code (storage does not count)."""
        return self.nonce == 0 and self.balance == 0 and not self.code

    @property
    def code_hash(self) -> bytes:
        return keccak256(self.code) if self.code else EMPTY_KECCAK256

    def copy(self) -> "Account":
        return Account(self.nonce, self.balance, self.code, dict(self.storage))


@dataclass(slots=True)
class Log:
    address: Address
    topics: tuple[int, ...]
    data: bytes


class State:
    """Accounts plus the substate of the running transaction, all changes journaled."""

    def __init__(self, accounts: dict[Address, Account] | None = None):
        self.accounts: dict[Address, Account] = accounts if accounts is not None else {}
        self._journal: list[tuple] = []
        self.begin_transaction()

    # -- transaction substate ---------------------------------------------------------------------

    def begin_transaction(self) -> None:
        """Forget the substate of the previous transaction; its state changes stay."""
        self._journal.clear()
        self.warm_addresses: set[Address] = set()
        self.warm_slots: set[tuple[Address, int]] = set()
        self.transient: dict[tuple[Address, int], int] = {}
        self.logs: list[Log] = []
        self.refund = 0
        self.created: set[Address] = set()
        self.to_delete: set[Address] = set()
        self._original: dict[tuple[Address, int], int] = {}
        self._code_hashes: dict[bytes, bytes] = {}

    def snapshot(self) -> int:
        return len(self._journal)

    def revert(self, snapshot: int) -> None:
        journal = self._journal
        while len(journal) > snapshot:
            entry = journal.pop()
            kind = entry[0]
            if kind == "account":  # (kind, address, previous Account or None)
                if entry[2] is None:
                    self.accounts.pop(entry[1], None)
                else:
                    self.accounts[entry[1]] = entry[2]
            elif kind == "storage":  # (kind, address, key, previous value)
                storage = self.accounts[entry[1]].storage
                if entry[3]:
                    storage[entry[2]] = entry[3]
                else:
                    storage.pop(entry[2], None)
            elif kind == "balance":
                self.accounts[entry[1]].balance = entry[2]
            elif kind == "nonce":
                self.accounts[entry[1]].nonce = entry[2]
            elif kind == "warm_address":
                self.warm_addresses.discard(entry[1])
            elif kind == "warm_slot":
                self.warm_slots.discard(entry[1])
            elif kind == "transient":
                if entry[2]:
                    self.transient[entry[1]] = entry[2]
                else:
                    self.transient.pop(entry[1], None)
            elif kind == "log":
                self.logs.pop()
            elif kind == "refund":
                self.refund = entry[1]
            elif kind == "created":
                self.created.discard(entry[1])
            elif kind == "delete":
                self.to_delete.discard(entry[1])

    # -- reading accounts --------------------------------------------------------------------------

    def get(self, address: Address) -> Account | None:
        return self.accounts.get(address)

    def exists(self, address: Address) -> bool:
        return address in self.accounts

    def is_alive(self, address: Address) -> bool:
        """Exists and is not empty (EIP-161)."""
        account = self.accounts.get(address)
        return account is not None and not account.is_empty

    def balance(self, address: Address) -> int:
        account = self.accounts.get(address)
        return account.balance if account else 0

    def nonce(self, address: Address) -> int:
        account = self.accounts.get(address)
        return account.nonce if account else 0

    def code(self, address: Address) -> bytes:
        account = self.accounts.get(address)
        return account.code if account else b""

    def code_hash(self, address: Address) -> bytes:
        """EXTCODEHASH: zero for accounts that do not exist or are empty."""
        account = self.accounts.get(address)
        if account is None or account.is_empty:
            return bytes(32)
        code = account.code
        if not code:
            return EMPTY_KECCAK256
        digest = self._code_hashes.get(code)
        if digest is None:
            digest = self._code_hashes[code] = keccak256(code)
        return digest

    def has_code_or_nonce_or_storage(self, address: Address) -> bool:
        """Whether creating a contract at `address` collides with an existing one (EIP-684, EIP-7610)."""
        account = self.accounts.get(address)
        return account is not None and (account.nonce != 0 or bool(account.code) or bool(account.storage))

    # -- writing accounts --------------------------------------------------------------------------

    def _account_for_write(self, address: Address) -> Account:
        account = self.accounts.get(address)
        if account is None:
            account = self.accounts[address] = Account()
            self._journal.append(("account", address, None))
        return account

    def _drop_if_empty(self, address: Address) -> None:
        """After a balance or nonce change an empty account is removed (EIP-161 as the spec applies it)."""
        account = self.accounts.get(address)
        if account is not None and account.is_empty:
            self.destroy_account(address)

    def set_balance(self, address: Address, balance: int) -> None:
        account = self._account_for_write(address)
        self._journal.append(("balance", address, account.balance))
        account.balance = balance
        self._drop_if_empty(address)

    def add_balance(self, address: Address, amount: int) -> None:
        self.set_balance(address, self.balance(address) + amount)

    def transfer(self, sender: Address, recipient: Address, value: int) -> None:
        self.set_balance(sender, self.balance(sender) - value)
        self.add_balance(recipient, value)

    def increment_nonce(self, address: Address) -> None:
        account = self._account_for_write(address)
        self._journal.append(("nonce", address, account.nonce))
        account.nonce += 1

    def set_code(self, address: Address, code: bytes) -> None:
        account = self._account_for_write(address)
        self._journal.append(("account", address, account.copy()))
        account.code = code
        self._drop_if_empty(address)

    def destroy_account(self, address: Address) -> None:
        account = self.accounts.pop(address, None)
        if account is not None:
            self._journal.append(("account", address, account))

    def destroy_storage(self, address: Address) -> None:
        account = self.accounts.get(address)
        if account is not None and account.storage:
            self._journal.append(("account", address, account.copy()))
            account.storage = {}

    # -- storage -----------------------------------------------------------------------------------

    def get_storage(self, address: Address, key: int) -> int:
        account = self.accounts.get(address)
        return account.storage.get(key, 0) if account else 0

    def original_storage(self, address: Address, key: int) -> int:
        """The slot's value when the transaction began (zero for accounts created in it)."""
        if address in self.created:
            return 0
        slot = (address, key)
        if slot in self._original:
            return self._original[slot]
        return self.get_storage(address, key)

    def set_storage(self, address: Address, key: int, value: int) -> None:
        account = self._account_for_write(address)
        previous = account.storage.get(key, 0)
        self._original.setdefault((address, key), previous)
        self._journal.append(("storage", address, key, previous))
        if value:
            account.storage[key] = value
        else:
            account.storage.pop(key, None)

    def get_transient(self, address: Address, key: int) -> int:
        return self.transient.get((address, key), 0)

    def set_transient(self, address: Address, key: int, value: int) -> None:
        slot = (address, key)
        self._journal.append(("transient", slot, self.transient.get(slot, 0)))
        if value:
            self.transient[slot] = value
        else:
            self.transient.pop(slot, None)

    # -- substate ----------------------------------------------------------------------------------

    def warm_address(self, address: Address) -> bool:
        """Mark `address` accessed; True if it was cold (EIP-2929)."""
        if address in self.warm_addresses:
            return False
        self.warm_addresses.add(address)
        self._journal.append(("warm_address", address))
        return True

    def warm_at_start(self, addresses) -> None:
        """Mark `addresses` accessed before anything else happens in the transaction: no snapshot
        can precede this, so nothing needs to be journaled."""
        if self._journal:
            raise RuntimeError("warm_at_start after the transaction has changed the state")
        self.warm_addresses.update(addresses)

    def warm_slot(self, address: Address, key: int) -> bool:
        slot = (address, key)
        if slot in self.warm_slots:
            return False
        self.warm_slots.add(slot)
        self._journal.append(("warm_slot", slot))
        return True

    def add_log(self, address: Address, topics: tuple[int, ...], data: bytes) -> None:
        self.logs.append(Log(address, topics, data))
        self._journal.append(("log",))

    def add_refund(self, amount: int) -> None:
        self._journal.append(("refund", self.refund))
        self.refund += amount

    def mark_created(self, address: Address) -> None:
        if address not in self.created:
            self.created.add(address)
            self._journal.append(("created", address))

    def mark_for_deletion(self, address: Address) -> None:
        if address not in self.to_delete:
            self.to_delete.add(address)
            self._journal.append(("delete", address))

    def copy(self) -> "State":
        """A deep copy of the accounts (substate is not copied)."""
        return State({address: account.copy() for address, account in self.accounts.items()})
