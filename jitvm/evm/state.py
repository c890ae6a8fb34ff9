"""World state with a journal, and the per-transaction substate (warm sets, transient storage, logs,
refund counter, created and self-destructed accounts).

Every change goes through a method that records how to undo it, so `snapshot()` is the journal length
and `revert(snapshot)` undoes back to it. Frames take a snapshot on entry; an exceptional halt or a
REVERT rolls back to it. All engines share this one implementation.

Storage, its original values and the warmth of slots and accounts live in a native table (jitvm.evm.storage_table)
that native code reads and writes directly; its own journal is undone together with this one (a
snapshot remembers both lengths). Account.storage dictionaries follow the table lazily.
"""

from __future__ import annotations

from jitvm.evm.callee_table import CalleeTable
from jitvm.evm.logs import Log, Logs, NativeLogBatch
from jitvm.evm.storage_layout import ADDRESS, TRANSIENT
from jitvm.evm.storage_table import StorageTable
from jitvm.hashing import EMPTY_KECCAK256, keccak256

Address = bytes  # 20 bytes


class Account:
    """An account. Its `storage` dictionary shows the slots of the State's native storage table
    (jitvm.evm.storage_table) as of the last read: reading it first writes the table's newer values
    in. Write storage through `State.set_storage`, not into the dictionary, once a State has run
    code on the account."""

    __slots__ = ("nonce", "_balance", "_balance_entry", "code", "_storage", "_state")

    def __init__(self, nonce: int = 0, balance: int = 0, code: bytes = b"", storage: dict[int, int] | None = None):
        self.nonce = nonce
        self._balance = balance
        self._balance_entry = -1  # or the storage table entry holding the balance (balance_table.link)
        self.code = code
        self._storage = {} if storage is None else storage
        self._state = None  # the State whose storage table may hold newer values of its slots

    @property
    def balance(self) -> int:
        entry = self._balance_entry
        if entry < 0:
            return self._balance
        return self._state.storage_table.value(entry)  # native code may have changed it

    @balance.setter
    def balance(self, balance: int) -> None:
        entry = self._balance_entry
        if entry < 0:
            self._balance = balance
        else:  # (State journals its own changes: see State.set_balance)
            self._state.storage_table.set_balance_value(entry, balance)

    def unlink_balance(self, balance: int) -> None:
        """Keep the balance here again, no longer in a storage table entry."""
        self._balance = balance
        self._balance_entry = -1

    @property
    def storage(self) -> dict[int, int]:
        state = self._state
        if state is not None and state.storage_table.dirty_count():
            state.sync_storage()
        return self._storage

    @storage.setter
    def storage(self, storage: dict[int, int]) -> None:
        self._storage = storage

    @property
    def is_empty(self) -> bool:
        """EIP-161: no nonce, no balance, no code (storage does not count)."""
        return self.nonce == 0 and self.balance == 0 and not self.code

    @property
    def code_hash(self) -> bytes:
        return keccak256(self.code) if self.code else EMPTY_KECCAK256

    def copy(self) -> "Account":
        account = Account(self.nonce, self.balance, self.code, dict(self.storage))
        account._state = self._state
        return account

    def __eq__(self, other) -> bool:
        if not isinstance(other, Account):
            return NotImplemented
        return (self.nonce, self.balance, self.code, self.storage) == (other.nonce, other.balance, other.code,
                                                                       other.storage)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Account(nonce={self.nonce}, balance={self.balance}, code={self.code!r}, storage={self.storage!r})"


class State:
    """Accounts plus the substate of the running transaction, all changes journaled."""

    def __init__(self, accounts: dict[Address, Account] | None = None):
        self.accounts: dict[Address, Account] = accounts if accounts is not None else {}
        self._journal: list[tuple] = []
        self.storage_table = StorageTable()
        self.callees = CalleeTable()  # accounts native code may call into (docs/native-calls.md)
        self._native_at: dict[int, int] = {}  # snapshot -> the storage table's journal length then
        self.warm_slots = WarmSlots(self)
        self.warm_addresses = WarmAddresses(self)
        self.transient = TransientStorage(self)
        self.logs = Logs()  # Log objects made only when read (jitvm.evm.logs)
        self.created: set[Address] = set()
        self.to_delete: set[Address] = set()
        self._code_hashes: dict[bytes, bytes] = {}
        self.begin_transaction()

    # -- transaction substate ---------------------------------------------------------------------

    pinned = False  # jitvm.api.SessionState: a user snapshot holds the journal across transactions

    def begin_transaction(self, warm_addresses=()) -> int | None:
        """Forget the substate of the previous transaction; its state changes stay. The accounts in
        `warm_addresses` start warm. Returns a snapshot of the transaction's start (what `snapshot()`
        would), or None if the journal is kept (take one then). (A subclass whose journal outlives transactions, jitvm.api.SessionState while
        `pinned`, keeps the storage table's journal too.)"""
        self._journal.clear()
        keep_journal = self.pinned
        table = self.storage_table
        if not keep_journal:
            self._native_at.clear()
            if self.callees.full:  # more than CalleeTable.MAX_ENTRIES
                self.callees.clear()
        if not table.next_epoch(keep_journal, warm_addresses):  # the table holds too many entries
            self.sync_storage()
            table.forget()
            self.callees.clear()  # it names the forgotten account indexes
            table.next_epoch(keep_journal, warm_addresses)
        self.refund = 0
        # New containers only where the last transaction put something: its logs list may be held
        # by its result; the sets are nobody's but this state's.
        if self.logs.count:  # (bool(self.logs), without calling Logs.__bool__)
            self.logs = Logs()  # Log objects made only when read (jitvm.evm.logs)
        if self.created:
            self.created.clear()
        if self.to_delete:
            self.to_delete.clear()
        if len(self._code_hashes) > _CODE_HASHES_KEPT:  # code -> keccak256(code) holds across transactions
            self._code_hashes.clear()
        if keep_journal:
            return None
        self._native_at[0] = 0  # snapshot(), with both journals empty
        return 0

    def snapshot(self) -> int:
        journal = self._journal
        native = self.storage_table.journal_length()
        position = len(journal)
        if self._native_at.get(position, native) != native:  # two snapshots apart only natively
            journal.append(_NATIVE_MARK)
            position += 1
        self._native_at[position] = native
        return position

    def revert(self, snapshot: int) -> None:
        journal = self._journal
        native = self._native_at.get(snapshot)
        if native is not None:
            self.storage_table.revert(native)
        while len(journal) > snapshot:
            entry = journal.pop()
            kind = entry[0]
            if kind == "account":  # (kind, address, previous Account or None[, table entries then])
                self.callees.forget(entry[1])
                if entry[2] is None:
                    self.accounts.pop(entry[1], None)
                else:
                    self.accounts[entry[1]] = entry[2]
                    if len(entry) > 3:  # the account's storage was destroyed or wiped
                        self._restore_entries_since(entry[1], entry[2], entry[3])
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
            elif kind == "code":
                self.accounts[entry[1]].code = entry[2]
                self.callees.forget(entry[1])
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
        if account._balance_entry >= 0:  # in the storage table: journaled there, with native changes
            self.storage_table.write_balance(account._balance_entry, balance)
        else:
            self._journal.append(("balance", address, account._balance))
            account._balance = balance
        self._drop_if_empty(address)

    def add_balance(self, address: Address, amount: int) -> None:
        self.set_balance(address, self.balance(address) + amount)

    def transfer(self, sender: Address, recipient: Address, value: int) -> None:
        accounts = self.accounts
        source, destination = accounts.get(sender), accounts.get(recipient)
        if (not value or source is None or destination is None or source is destination
                or source.balance == value):
            # creating, dropping (EIP-161) or self-transferring: the general steps
            self.set_balance(sender, self.balance(sender) - value)
            self.add_balance(recipient, value)
            return
        # Both accounts exist and neither can become empty: set_balance twice, written out (a
        # balance in the storage table, balance_table.link, is written and journaled there).
        entry = source._balance_entry
        if entry >= 0:
            self.storage_table.write_balance(entry, source.balance - value)
        else:
            self._journal.append(("balance", sender, source._balance))
            source._balance -= value
        entry = destination._balance_entry
        if entry >= 0:
            self.storage_table.write_balance(entry, destination.balance + value)
        else:
            self._journal.append(("balance", recipient, destination._balance))
            destination._balance += value

    def increment_nonce(self, address: Address) -> None:
        account = self._account_for_write(address)
        self._journal.append(("nonce", address, account.nonce))
        account.nonce += 1

    def set_code(self, address: Address, code: bytes) -> None:
        account = self._account_for_write(address)
        self._journal.append(("code", address, account.code))
        account.code = code
        self.callees.forget(address)
        self._drop_if_empty(address)

    def destroy_account(self, address: Address) -> None:
        account = self.accounts.pop(address, None)
        if account is not None:
            self._journal.append(("account", address, account, self.storage_table.count))
            self.callees.forget(address)
            self._wipe_storage(address)

    def destroy_storage(self, address: Address) -> None:
        account = self.accounts.get(address)
        if account is not None and account.storage:
            previous = account.copy()
            previous._state = self
            self._journal.append(("account", address, previous, self.storage_table.count))
            account.storage = {}
            self._wipe_storage(address)

    def _restore_entries_since(self, address: Address, account: Account, first: int) -> None:
        """`account` is back after its storage was destroyed. The table's entries of `address` from
        entry `first` on were added after that (the table's revert has undone their changes), so
        they hold the gone storage's values (zero): they must hold `account`'s again."""
        table = self.storage_table
        index = table.known_account(address)
        if index is None:
            return
        table.adopt()
        entries, keys, storage = table.entries_of_account[index], table.entry_keys, account._storage
        for position in range(len(entries) - 1, -1, -1):
            entry = entries[position]
            if entry < first:
                break  # in order of addition
            table.reset_value(entry, storage.get(keys[entry], 0))

    def _wipe_storage(self, address: Address) -> None:
        """The account's storage is gone: its slots in the table read zero, and so do their
        original values (the account is new if it comes back in this transaction)."""
        table = self.storage_table
        index = table.known_account(address)
        if index is not None:
            table.adopt()
            for entry in table.entries_of_account[index]:
                if table.value(entry) or table.original(entry):
                    table.write(entry, 0, original=0)

    # -- storage -----------------------------------------------------------------------------------

    def _entry(self, address: Address, key: int) -> int:
        """The storage table's entry of a slot, added if the table does not hold it yet."""
        table = self.storage_table
        index = table.account_index(address)
        entry = table.find(index, key)
        if entry is None:
            account = self.accounts.get(address)
            entry = table.insert(index, key, account._storage.get(key, 0) if account is not None else 0)
        return entry

    def _known_entry(self, address: Address, key: int, transient: bool = False) -> int | None:
        """The storage table's entry of a slot (or transient slot), None if it holds none."""
        table = self.storage_table
        index = table.known_account(address)
        if index is None:
            return None
        return table.find(index + TRANSIENT if transient else index, key)

    def get_storage(self, address: Address, key: int) -> int:
        entry = self._known_entry(address, key)
        if entry is not None:
            return self.storage_table.value(entry)
        account = self.accounts.get(address)
        return account._storage.get(key, 0) if account else 0

    def original_storage(self, address: Address, key: int) -> int:
        """The slot's value when the transaction began (zero for accounts created in it)."""
        if address in self.created:
            return 0
        entry = self._known_entry(address, key)
        if entry is not None:
            return self.storage_table.original(entry)
        return self.get_storage(address, key)

    def set_storage(self, address: Address, key: int, value: int) -> None:
        account = self._account_for_write(address)
        account._state = self
        self.storage_table.write(self._entry(address, key), value)

    def sync_storage(self) -> None:
        """Write the storage table's changed values into the accounts' storage dictionaries."""
        table = self.storage_table
        if not table.dirty_count():
            return
        entries = table.dirty_entries()
        addresses, keys, accounts_of, accounts = table.addresses, table.entry_keys, table.entry_accounts, self.accounts
        written = set()
        for entry in entries:
            index = accounts_of[entry]
            account = accounts.get(addresses[index])
            if account is None:
                continue
            value = table.value(entry)
            if value:
                account._storage[keys[entry]] = value
            else:
                account._storage.pop(keys[entry], None)
            written.add(index)
        for index in written:  # the dictionaries took only slots the table holds: still complete
            table.resized(index, accounts[addresses[index]]._storage)

    def get_transient(self, address: Address, key: int) -> int:
        """EIP-1153: in the storage table too (transient entries), zero unless set in this
        transaction."""
        entry = self._known_entry(address, key, transient=True)
        return 0 if entry is None else self.storage_table.transient_value(entry)

    def set_transient(self, address: Address, key: int, value: int) -> None:
        table = self.storage_table
        index = table.account_index(address) + TRANSIENT
        entry = table.find(index, key)
        if entry is None:
            entry = table.insert(index, key, 0)
        table.write_transient(entry, value)

    # -- substate ----------------------------------------------------------------------------------

    def warm_address(self, address: Address) -> bool:
        """Mark `address` accessed; True if it was cold (EIP-2929). Kept in the storage table
        (jitvm.evm.storage_layout.ADDRESS), journaled there, so native code charges and warms
        accounts too."""
        table = self.storage_table
        return table.warm(table.warmth_entry(address))

    def is_warm_address(self, address: Address) -> bool:
        table = self.storage_table
        return table.is_warm(table.warmth_entry(address))

    def warm_at_start(self, addresses) -> None:
        """Mark `addresses` accessed before anything else happens in the transaction: no snapshot
        can precede this, so nothing needs to be journaled."""
        if self._journal:
            raise RuntimeError("warm_at_start after the transaction has changed the state")
        self.storage_table.warm_at_start(addresses)

    def warm_slot(self, address: Address, key: int) -> bool:
        """Mark a storage slot accessed; True if it was cold (EIP-2929)."""
        return self.storage_table.warm(self._entry(address, key))

    def is_warm_slot(self, address: Address, key: int) -> bool:
        entry = self._known_entry(address, key)
        return entry is not None and self.storage_table.is_warm(entry)

    def add_log(self, address: Address, topics: tuple[int, ...], data: bytes) -> None:
        self.logs.append(Log(address, topics, data))
        self._journal.append(("log",))

    def add_native_logs(self, batch: NativeLogBatch) -> None:
        """Logs the native engines buffered, as one record (undone together)."""
        self.logs.append_batch(batch)
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
        return State({address: Account(account.nonce, account.balance, account.code, dict(account.storage))
                      for address, account in self.accounts.items()})


class WarmSlots:
    """`state.warm_slots`: the warm storage slots as a set of (address, key), kept in the storage
    table (adding one is journaled like State.warm_slot)."""

    __slots__ = ("_state",)

    def __init__(self, state: State):
        self._state = state

    def __contains__(self, slot) -> bool:
        return self._state.is_warm_slot(*slot)

    def add(self, slot) -> None:
        self._state.warm_slot(*slot)

    def update(self, slots) -> None:
        for address, key in slots:
            self._state.warm_slot(address, key)


class WarmAddresses:
    """`state.warm_addresses`: the warm accounts (EIP-2929) as a set of addresses, kept in the
    storage table (adding one is journaled like State.warm_address)."""

    __slots__ = ("_state",)

    def __init__(self, state: State):
        self._state = state

    def __contains__(self, address) -> bool:
        return self._state.is_warm_address(address)

    def add(self, address) -> None:
        self._state.warm_address(address)

    def update(self, addresses) -> None:
        for address in addresses:
            self._state.warm_address(address)

    def __iter__(self):
        return iter(self._state.storage_table.warm_accounts())

    def __len__(self) -> int:
        return len(self._state.storage_table.warm_accounts())

    def __eq__(self, other) -> bool:
        return set(self) == set(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"WarmAddresses({set(self)!r})"


class TransientStorage:
    """`state.transient`: the running transaction's transient storage, {(address, key): value}
    as `as_dict()` (and compared by it). `clear()` does nothing: it is kept for code that cleared it
    between transactions (jitvm.api), and a new transaction starts with none anyway (the storage
    table's transient entries count only in the epoch that set them)."""

    __slots__ = ("_state",)

    def __init__(self, state: State):
        self._state = state

    def as_dict(self) -> dict[tuple[Address, int], int]:
        table = self._state.storage_table
        table.adopt()
        slots = {}
        for (index, key), entry in table._entry_of.items():
            if TRANSIENT <= index < ADDRESS:
                value = table.transient_value(entry)
                if value:
                    slots[(table.addresses[index - TRANSIENT], key)] = value
        return slots

    def __eq__(self, other) -> bool:
        if isinstance(other, TransientStorage):
            other = other.as_dict()
        return self.as_dict() == other

    __hash__ = None

    def __repr__(self) -> str:
        return f"TransientStorage({self.as_dict()!r})"

    def clear(self) -> None:
        pass


_NATIVE_MARK = ("native",)  # a journal entry that undoes nothing: it separates two snapshots
_CODE_HASHES_KEPT = 4096  # distinct codes whose hashes a State remembers across transactions
