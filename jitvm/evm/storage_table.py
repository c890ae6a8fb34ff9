"""The native storage table: every storage slot a transaction has touched, with its current value, its
value when the transaction began and its warmth (EIP-2929), kept in one numpy array across frames and
transactions, so that native code (the baseline kernel, the JIT) reads and writes storage without
Python. `jitvm.evm.state.State` owns one and goes through it for every slot it holds; the layout is
jitvm.evm.storage_layout's, the native side jitvm.evm.storage_native.

Entries are added on a slot's first access (the cold access, which costs at least 2,100 gas, or an
access-list entry paid in intrinsic gas) and stay for later frames and transactions: by the host, or
natively when the answer is known without Python (a slot of an account whose whole storage the table
holds, see `completeness`, reads zero; a transient key never stored in this transaction is zero),
and for at most LOAD_LIMIT slots of an account when its first frame starts (its cold access costs at
least 2,400 gas). So a contract cannot make the table grow without paying for it; across
transactions it holds at most MAX_ENTRIES entries (State.begin_transaction starts it again beyond
that). Entries added natively reach the Python-side indexes (`_entry_of` and the lists) when Python
next looks an entry up (`adopt`).

Every change of an entry is journaled natively (the previous value, original value and epochs), so
`State.revert` undoes native writes and warmth together with the Python journal. Account.storage
dictionaries show the table's values lazily: a changed entry is DIRTY until `State.sync_storage`
writes it into its account's dictionary, which reading `Account.storage` does first.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from jitvm.evm.storage_layout import (
    ACCOUNT,
    ACCOUNT_MULTIPLIER,
    ADDRESS,
    BALANCE,
    COUNT,
    DIRTY,
    DIRTY_COUNT,
    EPOCH,
    HASH_MULTIPLIER,
    HEADER_ROWS,
    JOURNAL_LENGTH,
    MORE_OFFSETS,
    OFFSETS,
    ORIGINAL_EPOCH,
    RECORD_ROWS,
    TRANSIENT,
    WARM_EPOCH,
)

_MASK = (1 << 64) - 1
_START_SETS_KEPT = 64  # warm sets StorageTable.warm_at_start remembers
# Per warm set, a fresh table's entries right after warm_at_start made them (see _FreshWarmTable):
# a new State per call (jitvm.evm.calls.call_code, `jitvm bench`) copies them instead of adding
# twenty-odd entries one by one in Python, which cost more than the call itself.
_FRESH_TABLES: dict[frozenset, _FreshWarmTable] = {}
_FRESH_TABLES_KEPT = 16


def slot_home(account: int, key: int, bits: int) -> int:
    """The hash slot where (account, key) starts probing (storage_native.find computes the same,
    and slot_homes for many entries at once)."""
    mixed = (key ^ (key >> 64) ^ (key >> 128) ^ (key >> 192) ^ (account * ACCOUNT_MULTIPLIER)) & _MASK
    return ((mixed * HASH_MULTIPLIER) & _MASK) >> (64 - bits)


def slot_homes(keys: np.ndarray, accounts: np.ndarray, bits: int) -> np.ndarray:
    """slot_home of every row of `keys` (uint64[n, 4], little-endian limbs) with its account."""
    mixed = keys[:, 0] ^ keys[:, 1] ^ keys[:, 2] ^ keys[:, 3] ^ (accounts * np.uint64(ACCOUNT_MULTIPLIER))
    return ((mixed * np.uint64(HASH_MULTIPLIER)) >> np.uint64(64 - bits)).astype(np.intp)


class StorageTable:
    MAX_ENTRIES = 1 << 18  # kept across transactions (about 36 MB); beyond, forgotten between them
    # Small at first (22 KB, the twenty-odd accounts warm at a transaction's start fit), grown by
    # doubling: a new State per call (jitvm.evm.calls.call_code) pays for allocating, clearing and
    # first touching every page of it (docs/new-state.md).
    INITIAL_ENTRIES = 64
    INITIAL_RECORDS = 128
    LOAD_LIMIT = 16  # slots of an account's storage dictionary added when its first frame starts

    def __init__(self):
        self.epoch = 1
        self._clear_indexes()
        self._allocate(self.INITIAL_ENTRIES, self.INITIAL_RECORDS, None)

    def _clear_indexes(self) -> None:
        self._account_of: dict[bytes, int] = {}
        self.addresses: list[bytes] = []
        # Per account index, its storage entries in order of addition (made on the first: most
        # indexes only ever have warmth entries, which are under ADDRESS).
        self.entries_of_account: defaultdict[int, list[int]] = defaultdict(list)
        self._entry_of: dict[tuple[int, int], int] = {}
        self.entry_keys: list[int] = []
        self.entry_accounts: list[int] = []
        self._indexed = 0  # entries in the indexes above; native code may have added more
        self._warmth_entries: dict[bytes, int] = {}  # address -> the entry of its warmth (ADDRESS)
        self._start_sets: dict[frozenset, np.ndarray] = {}  # see warm_at_start
        # Per balance entry (BALANCE), the Account object that reads its balance from it
        # (jitvm.evm.balance_table.link).
        self.balance_owners: dict = {}
        self.balance_links = 0
        # Per account index: (its storage dictionary, that dictionary's size, 1 if the table holds
        # every slot of it else 0) when last checked (see `completeness`).
        self._completeness: list[tuple[dict | None, int, int]] = []

    # -- the array ---------------------------------------------------------------------------------

    def _allocate(self, entries: int, records: int, old: StorageTable | None) -> None:
        """(Re)build the array for `entries` entries and `records` journal records, keeping what
        the current one holds (old is self when growing)."""
        hash_bits = (2 * entries).bit_length() - 1
        keys_at = HEADER_ROWS
        values_at = keys_at + entries
        originals_at = values_at + entries
        meta_at = originals_at + entries
        journal_at = meta_at + entries
        hash_at = journal_at + RECORD_ROWS * records
        rows = hash_at + (1 << hash_bits) // 4
        cells = np.zeros((rows, 4), dtype=np.uint64)
        cells[OFFSETS] = (keys_at, values_at, originals_at, meta_at)
        cells[MORE_OFFSETS] = (journal_at, hash_at, records, 0)
        count = length = 0
        old_hash = None
        if old is not None:
            old.adopt()
            previous = old.cells
            count, length = old.count, old.journal_length()
            for at, old_at, size in ((keys_at, old._keys_at, count), (values_at, old._values_at, count),
                                     (originals_at, old._originals_at, count), (meta_at, old._meta_at, count),
                                     (journal_at, old._journal_at, RECORD_ROWS * length)):
                cells[at : at + size] = previous[old_at : old_at + size]
            cells[MORE_OFFSETS, 3] = previous[MORE_OFFSETS, 3]
            if hash_bits == old._hash_bits:
                old_hash = previous[old._hash_at : old._hash_at + (1 << hash_bits) // 4]
        cells[0] = (self.epoch, count, length, hash_bits)
        self.cells = cells
        self.address = cells.ctypes.data
        self._start_sets = {}  # they name places in the old array
        self.rows = rows
        self.capacity = entries
        self.record_capacity = records
        self._keys_at, self._values_at, self._originals_at, self._meta_at = keys_at, values_at, originals_at, meta_at
        self._journal_at, self._hash_at, self._hash_bits = journal_at, hash_at, hash_bits
        self._q = memoryview(cells).cast("B").cast("Q")  # the array as flat uint64s
        self._b = memoryview(cells).cast("B")
        self._flat = cells.reshape(-1)  # the same uint64s as a numpy array (warm_at_start)
        if old_hash is not None:
            cells[hash_at:] = old_hash
        elif count:
            self._rehash(count)

    def _rehash(self, count: int) -> None:
        """Put entries 0..count-1 into the empty hash region. Linear probing in order of home slot
        places them at `i + cummax(home_i - i)` along the sorted homes (each after the run before
        it), computed by numpy; the few a run pushes past the last slot are probed in from the
        start, one by one. Any order of insertion gives a valid table (a lookup from an entry's home
        meets no empty slot before it)."""
        cells, bits = self.cells, self._hash_bits
        keys = cells[self._keys_at : self._keys_at + count]
        accounts = cells[self._meta_at : self._meta_at + count, ACCOUNT]
        homes = slot_homes(keys, accounts, bits)
        order = np.argsort(homes, kind="stable")
        steps = np.arange(count)
        places = steps + np.maximum.accumulate(homes[order] - steps)
        size = 1 << bits
        inside = places < size
        hashes = self._flat[self._hash_at * 4 : self._hash_at * 4 + size]
        hashes[places[inside]] = order[inside] + 1
        for entry in order[~inside].tolist():
            slot = int(homes[entry])
            while hashes[slot]:
                slot = (slot + 1) & (size - 1)
            hashes[slot] = entry + 1

    @property
    def count(self) -> int:
        """Entries in use (native code may add some: the header's count)."""
        return self._q[COUNT]

    def adopt(self) -> None:
        """Put the entries native code added (storage_native.insert) into the Python indexes."""
        count = self._q[COUNT]
        if self._indexed == count:
            return
        b, q = self._b, self._q
        for entry in range(self._indexed, count):
            at = (self._keys_at + entry) * 32
            key = int.from_bytes(b[at : at + 32], "little")
            account = q[(self._meta_at + entry) * 4 + ACCOUNT]
            self._entry_of[(account, key)] = entry
            self.entry_keys.append(key)
            self.entry_accounts.append(account)
            if account < TRANSIENT:
                self.entries_of_account[account].append(entry)
        self._indexed = count

    def journal_length(self) -> int:
        return self._q[JOURNAL_LENGTH]

    def dirty_count(self) -> int:
        return self._q[MORE_OFFSETS * 4 + DIRTY_COUNT]

    # -- accounts and entries ----------------------------------------------------------------------

    def account_index(self, address: bytes) -> int:
        index = self._account_of.get(address)
        if index is None:
            index = self._account_of[address] = len(self.addresses)
            self.addresses.append(address)
            self._completeness.append((None, 0, 0))
        return index

    def frame_account(self, state, address: bytes) -> tuple[int, int]:
        """For a frame of `state` running `address`'s code natively: the account's index, and 1 if
        the table holds every slot of its storage (`completeness`: a slot it does not hold is zero,
        and native code adds it on its cold access), else 0. (Every frame asks: completeness's
        check of an unchanged dictionary is written out here.)"""
        index = self._account_of.get(address)
        if index is None:
            index = self.account_index(address)
        account = state.accounts.get(address)
        if account is None:
            return index, 0
        account._state = state  # its storage dictionary may fall behind the table
        storage = account._storage
        known = self._completeness[index]
        if known[0] is storage and known[1] == len(storage):
            return index, known[2]
        return index, self.completeness(index, storage)

    def completeness(self, index: int, storage: dict[int, int]) -> int:
        """1 if the table holds every slot of account `index` whose storage dictionary is `storage`
        (so a slot it does not hold is zero, and native code may add it), else 0. The table's own
        writes keep that true (State.sync_storage writes into the dictionary only slots the table
        holds), so it is checked again only when the account's dictionary is another object or has
        another size than at the last check (someone replaced or filled it); then slots of the
        dictionary the table does not hold are added if there are at most LOAD_LIMIT of them."""
        known = self._completeness[index]
        if known[0] is storage and known[1] == len(storage):
            return known[2]
        self.adopt()
        missing = [key for key in storage if (index, key) not in self._entry_of]
        complete = int(len(missing) <= self.LOAD_LIMIT)
        if complete:
            for key in missing:
                self.insert(index, key, storage[key])
        self._completeness[index] = (storage, len(storage), complete)
        return complete

    def resized(self, index: int, storage: dict[int, int]) -> None:
        """Account `index`'s storage dictionary `storage` changed size by the table's own writes
        (State.sync_storage): its completeness stays."""
        known = self._completeness[index]
        if known[0] is storage:
            self._completeness[index] = (storage, len(storage), known[2])

    def known_account(self, address: bytes) -> int | None:
        return self._account_of.get(address)

    def find(self, account: int, key: int) -> int | None:
        if self._indexed != self._q[COUNT]:
            self.adopt()
        return self._entry_of.get((account, key))

    def insert(self, account: int, key: int, value: int) -> int:
        """A new entry for a slot the table does not hold, whose value is `value` (unchanged in
        this transaction, cold)."""
        self.adopt()
        if self._indexed == self.capacity:
            self._allocate(2 * self.capacity, self.record_capacity, self)
        entry = self._indexed
        self._indexed = entry + 1
        q, b = self._q, self._b
        q[COUNT] = entry + 1
        at = (self._keys_at + entry) * 32
        b[at : at + 32] = key.to_bytes(32, "little")
        at = (self._values_at + entry) * 32
        b[at : at + 32] = value.to_bytes(32, "little")
        q[(self._meta_at + entry) * 4 + ACCOUNT] = account
        bits = self._hash_bits
        mask = (1 << bits) - 1
        slot = slot_home(account, key, bits)
        base = self._hash_at * 4
        while q[base + slot]:
            slot = (slot + 1) & mask
        q[base + slot] = entry + 1
        self._entry_of[(account, key)] = entry
        self.entry_keys.append(key)
        self.entry_accounts.append(account)
        if account < TRANSIENT:
            self.entries_of_account[account].append(entry)
        return entry

    def warmth_entry(self, address: bytes) -> int:
        """The entry holding `address`'s warmth (EIP-2929: an entry under its account index plus
        ADDRESS, key 0), added cold on first use."""
        entry = self._warmth_entries.get(address)
        if entry is None:
            index = self.account_index(address) + ADDRESS
            entry = self.find(index, 0)
            if entry is None:
                entry = self.insert(index, 0, 0)
            self._warmth_entries[address] = entry
        return entry

    def warm_at_start(self, addresses) -> None:
        """Make the accounts `addresses` warm without journal records (the start of a transaction).
        A frozenset seen before (jitvm.EVM passes the same warm set for every call of one sender and
        recipient) costs one numpy store for all its accounts: where their warm epochs are (and the
        header's epoch, written again) is remembered as an index array, and one fancy-indexed store
        costs a third of a Python loop over twenty-odd places."""
        places = self._start_sets.get(addresses) if type(addresses) is frozenset else None
        fresh = places is None and type(addresses) is frozenset and self._is_fresh()
        if fresh:
            template = _FRESH_TABLES.get(addresses)
            if template is not None and template.rows == self.rows:
                template.copy_into(self, addresses)
                places = self._start_sets[addresses]
                fresh = False
        if places is None:
            entries = [self.warmth_entry(address) for address in addresses]  # first: the array may grow
            places = np.array([EPOCH] + [(self._meta_at + entry) * 4 + WARM_EPOCH for entry in entries],
                              dtype=np.intp)
            if type(addresses) is frozenset:
                if len(self._start_sets) >= _START_SETS_KEPT:
                    self._start_sets.clear()
                self._start_sets[addresses] = places
            if fresh:
                if len(_FRESH_TABLES) >= _FRESH_TABLES_KEPT:
                    _FRESH_TABLES.clear()
                _FRESH_TABLES[addresses] = _FreshWarmTable(self, addresses)
        self._flat[places] = self.epoch

    def _is_fresh(self) -> bool:
        """Whether the table holds nothing (no entry, account, record or balance link)."""
        q = self._q
        return (not self._indexed and not q[COUNT] and not q[JOURNAL_LENGTH] and not self.addresses
                and not self.balance_links)

    def warm_accounts(self) -> list[bytes]:
        """The addresses whose warmth entries are warm in this transaction."""
        self.adopt()
        q, meta_at, epoch, addresses = self._q, self._meta_at, self.epoch, self.addresses
        return [addresses[index - ADDRESS] for (index, _key), entry in self._entry_of.items()
                if ADDRESS <= index < BALANCE and q[(meta_at + entry) * 4 + WARM_EPOCH] == epoch]

    def new_balance_entry(self, address: bytes, balance: int) -> int:
        """A new entry holding `balance`, for one `Account` object of `address` (an entry under its
        account index plus BALANCE, its key a number no other entry of the account has)."""
        self.balance_links += 1
        return self.insert(self.account_index(address) + BALANCE, self.balance_links, balance)

    def write_balance(self, entry: int, value: int) -> None:
        """Set a balance entry's value, journaled (never dirty: no storage dictionary shows it)."""
        self._record(entry)
        at = (self._values_at + entry) * 32
        self._b[at : at + 32] = value.to_bytes(32, "little")

    def set_balance_value(self, entry: int, value: int) -> None:
        """Set a balance entry's value without a journal record."""
        at = (self._values_at + entry) * 32
        self._b[at : at + 32] = value.to_bytes(32, "little")

    def reset_value(self, entry: int, value: int) -> None:
        """Make an entry hold `value`, unchanged in this transaction, without a journal record (an
        entry added while its account was gone, once State.revert brings the account back)."""
        q, b = self._q, self._b
        word = value.to_bytes(32, "little")
        at = (self._values_at + entry) * 32
        b[at : at + 32] = word
        at = (self._originals_at + entry) * 32
        b[at : at + 32] = word
        q[(self._meta_at + entry) * 4 + ORIGINAL_EPOCH] = self.epoch

    def value(self, entry: int) -> int:
        at = (self._values_at + entry) * 32
        return int.from_bytes(self._b[at : at + 32], "little")

    def original(self, entry: int) -> int:
        if self._q[(self._meta_at + entry) * 4 + ORIGINAL_EPOCH] != self.epoch:
            return self.value(entry)
        at = (self._originals_at + entry) * 32
        return int.from_bytes(self._b[at : at + 32], "little")

    # -- changes, journaled ------------------------------------------------------------------------

    def _record(self, entry: int) -> None:
        """Journal entry `entry` as it is now, before a change."""
        length = self._q[JOURNAL_LENGTH]
        if length == self.record_capacity:
            self._allocate(self.capacity, 2 * self.record_capacity, self)
        q, b = self._q, self._b
        meta = (self._meta_at + entry) * 4
        row = self._journal_at + RECORD_ROWS * length
        q[row * 4] = entry
        q[row * 4 + 1] = q[meta + ORIGINAL_EPOCH]
        q[row * 4 + 2] = q[meta + WARM_EPOCH]
        at = (self._values_at + entry) * 32
        b[(row + 1) * 32 : (row + 2) * 32] = b[at : at + 32]
        at = (self._originals_at + entry) * 32
        b[(row + 2) * 32 : (row + 3) * 32] = b[at : at + 32]
        q[JOURNAL_LENGTH] = length + 1

    def _mark_dirty(self, meta: int) -> None:
        q = self._q
        if not q[meta + DIRTY]:
            q[meta + DIRTY] = 1
            q[MORE_OFFSETS * 4 + DIRTY_COUNT] += 1

    def warm(self, entry: int) -> bool:
        """Make the entry's slot warm; True if it was cold."""
        meta = (self._meta_at + entry) * 4
        if self._q[meta + WARM_EPOCH] == self.epoch:
            return False
        self._record(entry)
        self._q[meta + WARM_EPOCH] = self.epoch
        return True

    def is_warm(self, entry: int) -> bool:
        return self._q[(self._meta_at + entry) * 4 + WARM_EPOCH] == self.epoch

    def write(self, entry: int, value: int, original: int | None = None) -> None:
        """Set the entry's value (and, if given, its original value: a storage wiped in this
        transaction)."""
        self._record(entry)
        q, b = self._q, self._b
        meta = (self._meta_at + entry) * 4
        at = (self._values_at + entry) * 32
        if original is None and q[meta + ORIGINAL_EPOCH] != self.epoch:
            b[(self._originals_at + entry) * 32 : (self._originals_at + entry + 1) * 32] = b[at : at + 32]
        elif original is not None:
            b[(self._originals_at + entry) * 32 : (self._originals_at + entry + 1) * 32] = original.to_bytes(32, "little")
        q[meta + ORIGINAL_EPOCH] = self.epoch
        b[at : at + 32] = value.to_bytes(32, "little")
        self._mark_dirty(meta)

    def transient_value(self, entry: int) -> int:
        """A transient entry's value: zero unless set in this transaction."""
        return self.value(entry) if self.is_warm(entry) else 0

    def write_transient(self, entry: int, value: int) -> None:
        """Set a transient entry's value for this transaction (journaled, never dirty)."""
        self._record(entry)
        self._q[(self._meta_at + entry) * 4 + WARM_EPOCH] = self.epoch
        at = (self._values_at + entry) * 32
        self._b[at : at + 32] = value.to_bytes(32, "little")

    def revert(self, length: int) -> None:
        """Undo every change journaled after the first `length` records."""
        q, b = self._q, self._b
        current = q[JOURNAL_LENGTH]
        for record in range(current - 1, length - 1, -1):
            row = self._journal_at + RECORD_ROWS * record
            entry = q[row * 4]
            meta = (self._meta_at + entry) * 4
            q[meta + ORIGINAL_EPOCH] = q[row * 4 + 1]
            q[meta + WARM_EPOCH] = q[row * 4 + 2]
            at = (self._values_at + entry) * 32
            b[at : at + 32] = b[(row + 1) * 32 : (row + 2) * 32]
            at = (self._originals_at + entry) * 32
            b[at : at + 32] = b[(row + 2) * 32 : (row + 3) * 32]
            if q[meta + ACCOUNT] < TRANSIENT:
                self._mark_dirty(meta)
        if current > length:
            q[JOURNAL_LENGTH] = length

    # -- transactions ------------------------------------------------------------------------------

    def next_epoch(self, keep_journal: bool, warm_addresses=()) -> bool:
        """A new transaction: every entry is unchanged in it and cold (its values stay), but for the
        accounts `warm_addresses` (warm_at_start). Unless `keep_journal`, the journal is dropped,
        and the table must hold at most MAX_ENTRIES entries: if it holds more, nothing is done and
        the answer is False (the state forgets the table, then asks again)."""
        q = self._q
        if not keep_journal:
            if q[COUNT] > self.MAX_ENTRIES:
                return False
            q[JOURNAL_LENGTH] = 0
        epoch = self.epoch = self.epoch + 1
        if warm_addresses:  # warm_at_start's usual case in line: a warm set seen before
            places = self._start_sets.get(warm_addresses) if type(warm_addresses) is frozenset else None
            if places is None:
                self.warm_at_start(warm_addresses)  # which writes the header's epoch too
            else:
                self._flat[places] = epoch
        else:
            q[EPOCH] = epoch
        return True

    def dirty_entries(self) -> list[int]:
        """The entries whose values Account.storage does not show yet; they count as shown after."""
        self.adopt()
        meta = self.cells[self._meta_at : self._meta_at + self.count, DIRTY]
        entries = np.flatnonzero(meta)
        meta[entries] = 0
        self._q[MORE_OFFSETS * 4 + DIRTY_COUNT] = 0
        return entries.tolist()

    def forget(self) -> None:
        """Drop every entry (between transactions, with nothing dirty). The accounts reading their
        balance from an entry keep it themselves from here on."""
        for entry, owner in self.balance_owners.items():
            owner.unlink_balance(self.value(entry))
        self._clear_indexes()
        self._allocate(self.INITIAL_ENTRIES, self.INITIAL_RECORDS, None)


class _FreshWarmTable:
    """What warm_at_start(addresses) leaves in a fresh table: its array (one copy of the whole:
    the table is small while fresh) and its Python indexes, to be copied into another fresh table
    of the same shape."""

    def __init__(self, table: StorageTable, addresses: frozenset):
        self.rows = table.rows
        self.cells = table.cells.copy()
        self.indexes = (dict(table._account_of), list(table.addresses),
                        {index: list(entries) for index, entries in table.entries_of_account.items() if entries},
                        dict(table._entry_of), list(table.entry_keys), list(table.entry_accounts), table._indexed,
                        dict(table._warmth_entries), list(table._completeness))
        self.addresses, self.places = addresses, table._start_sets[addresses]

    def copy_into(self, table: StorageTable, warm_set: frozenset) -> None:
        """(`warm_set`, equal to the template's set, keys the table's remembered places: the caller's
        own object, so that next_epoch's lookups of it compare by identity, not element by element.)"""
        np.copyto(table.cells, self.cells)
        (account_of, addresses, entries_of_account, entry_of, entry_keys, entry_accounts, indexed,
         warmth_entries, completeness) = self.indexes
        table._account_of, table.addresses = dict(account_of), list(addresses)
        table.entries_of_account = defaultdict(list)
        for index, entries in entries_of_account.items():  # (none: warmth entries are under ADDRESS)
            table.entries_of_account[index] = list(entries)
        table._entry_of, table.entry_keys, table.entry_accounts = dict(entry_of), list(entry_keys), list(entry_accounts)
        table._indexed, table._warmth_entries = indexed, dict(warmth_entries)
        table._completeness = list(completeness)
        table._start_sets[warm_set] = self.places
