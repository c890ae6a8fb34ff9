"""Where things are in the native storage table (jitvm.evm.storage_table): one uint64[rows, 4] array,
so native code (the baseline kernel, the JIT's helpers) reaches all of it through one address.

    row HEADER        epoch, entries in use, journal records, log2 of the hash slots
    row OFFSETS       where the KEYS, VALUES, ORIGINALS and META blocks start
    row MORE_OFFSETS  where the JOURNAL and HASH blocks start, the journal's capacity in records,
                      how many entries are DIRTY
    KEYS[e]           entry e's storage key (four little-endian limbs)
    VALUES[e]         its current value
    ORIGINALS[e]      its value when the transaction began, if META[e][ORIGINAL_EPOCH] is the epoch
                      (otherwise the original value is the current one: the slot is unchanged)
    META[e]           [account index, original epoch, warm epoch, dirty]: the account is a small
                      int per address (StorageTable.account_index); the slot is warm (EIP-2929) when
                      its warm epoch is the epoch; dirty means Account.storage does not show its
                      value yet (StorageTable.sync)
    JOURNAL[j]        three rows per record, to undo one change of an entry: [entry, previous
                      original epoch, previous warm epoch, 0], the previous value, the previous
                      original value
    HASH              open addressing, four slots a row: entry + 1, or 0 for an empty slot; a slot's
                      home is the top bits of a multiplicative hash of the key's limbs and the
                      account index

A transaction is an epoch: starting one is one increment, no entry is touched.

Transient storage (EIP-1153) has entries of its own, under the account index plus TRANSIENT: their
value counts only while their warm epoch is the epoch (set in this transaction), else it is zero;
they are never dirty (Account.storage does not show them).

Account warmth (EIP-2929) is an entry too, under the account index plus ADDRESS, key 0: the account
is warm when that entry's warm epoch is the epoch. Warming it is journaled like a slot's, so a revert
undoes both together. Its value is unused; it is never dirty.

An account's balance may be an entry too, under the account index plus BALANCE, key 0 (its value is
the balance; jitvm.evm.balance_table, docs/native-values.md). Changing it is journaled like a slot's;
it is never dirty (the Account object reads it from the table while linked to it).
"""

HEADER, OFFSETS, MORE_OFFSETS = 0, 1, 2
HEADER_ROWS = 3
# Columns of HEADER.
EPOCH, COUNT, JOURNAL_LENGTH, HASH_BITS = 0, 1, 2, 3
# Columns of OFFSETS and MORE_OFFSETS.
KEYS_AT, VALUES_AT, ORIGINALS_AT, META_AT = 0, 1, 2, 3
JOURNAL_AT, HASH_AT, JOURNAL_CAPACITY, DIRTY_COUNT = 0, 1, 2, 3
# Columns of META.
ACCOUNT, ORIGINAL_EPOCH, WARM_EPOCH, DIRTY = 0, 1, 2, 3
RECORD_ROWS = 3

TRANSIENT = 1 << 40  # added to an account index: the account's transient storage
ADDRESS = 1 << 41  # added to an account index: the account's warmth (key 0)
BALANCE = 1 << 42  # added to an account index: the account's balance (key 0)
HASH_MULTIPLIER = 0x9E3779B97F4A7C15
ACCOUNT_MULTIPLIER = 0xC2B2AE3D27D4EB4F
