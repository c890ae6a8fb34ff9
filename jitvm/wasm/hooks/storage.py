"""Contract storage (the running contract's own, by key, or another account's) and logs.

Gas as MultiversX charges it: the first read of a key in a transaction pays the storage-load price
(`GasSchedule.storage_load_cost`) plus DataCopyPerByte for the value and for the key's bytes beyond
32; a read of a key the transaction already read or wrote pays CachedStorageLoad only. A write pays
the hook's price, the key's extra bytes on first touch, then by how the value changes: StorePerByte
for new bytes, PersistPerByte for bytes rewritten, DataCopyPerByte for an unchanged value read for
the first time; a write that frees bytes pays nothing for them (MultiversX refunds ReleasePerByte,
which jitvm does not track: no scenario checks a refund).
"""

from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import LogEntry, execution_failed
from jitvm.wasm.values import unsigned_bytes

RESERVED_PREFIX = b"ELROND"
ADDRESS_LENGTH = 32


def _first_touch(frame, address: bytes, key: bytes) -> bool:
    """Whether this transaction touches (address, key) for the first time; charges the key's bytes
    beyond an address's length if so."""
    cache = frame.tx.storage_cache
    if (address, key) in cache:
        return False
    cache.add((address, key))
    frame.use_gas(max(0, len(key) - ADDRESS_LENGTH) * frame.vm.schedule.per_byte("DataCopyPerByte"))
    return True


def load_from(frame, address: bytes, key: bytes, static_cost: str, copy_value: bool = True) -> bytes:
    """The value under `key` of `address`'s storage, charged as a storage load priced `static_cost`
    when the dynamic price does not apply. `copy_value=False`: the hook reads only the length."""
    account = frame.world.accounts.get(address)
    value = account.storage.get(key, b"") if account is not None else b""
    schedule = frame.vm.schedule
    if _first_touch(frame, address, key):
        if copy_value:
            frame.use_gas(len(value) * schedule.per_byte("DataCopyPerByte"))
        frame.use_gas(schedule.storage_load_cost(static_cost))
    else:
        frame.use_gas(schedule.api_cost("CachedStorageLoad"))
    return value


def _load(frame, key: bytes, static_cost: str) -> bytes:
    return load_from(frame, frame.input.recipient, key, static_cost)


def _store(frame, key: bytes, value: bytes, vm_protected: bool = False) -> None:
    """Write the running contract's storage; keys under the protocol's prefix only for the VM's own
    records (`vm_protected`, as the storage locks)."""
    if frame.input.read_only:
        raise execution_failed("cannot write to storage in a read-only call")
    if key.startswith(RESERVED_PREFIX) and not vm_protected:
        raise execution_failed("cannot write to storage under reserved key")
    address = frame.input.recipient
    storage = frame.world.account(address).storage
    old = storage.get(key, b"")
    first = _first_touch(frame, address, key)
    frame.use_gas(_store_cost(frame.vm.schedule, old, value, first))
    if value:
        storage[key] = value
    else:
        storage.pop(key, None)


def _store_cost(schedule, old: bytes, new: bytes, first: bool) -> int:
    if old == new:
        return len(new) * schedule.per_byte("DataCopyPerByte") if first else 0
    if not old:
        return len(new) * schedule.per_byte("StorePerByte")
    if not new:
        return 0
    if len(new) > len(old):
        return len(old) * schedule.per_byte("PersistPerByte") + (len(new) - len(old)) * schedule.per_byte("StorePerByte")
    if len(new) < len(old):
        return len(new) * schedule.per_byte("PersistPerByte")
    return 0


@hook("mBufferStorageLoad", "")
def buffer_storage_load(frame, key_handle, destination):
    frame.buffers[destination] = _load(frame, frame.buffer(key_handle), "MBufferStorageLoad")
    return 0


@hook("mBufferStorageStore", "MBufferStorageStore")
def buffer_storage_store(frame, key_handle, source):
    _store(frame, frame.buffer(key_handle), frame.buffer(source))
    return 0


@hook("storageLoadLength", "")
def storage_load_length(frame, key_offset, key_length):
    key = frame.read(key_offset, key_length)
    return len(load_from(frame, frame.input.recipient, key, "StorageLoad", copy_value=False))


@hook("storageLoad", "")
def storage_load(frame, key_offset, key_length, offset):
    value = _load(frame, frame.read(key_offset, key_length), "StorageLoad")
    frame.write(offset, value)
    return len(value)


@hook("storageStore", "StorageStore")
def storage_store(frame, key_offset, key_length, offset, length):
    _store(frame, frame.read(key_offset, key_length), frame.read(offset, length))
    return 0


@hook("bigIntStorageLoadUnsigned", "")
def bigint_storage_load_unsigned(frame, key_offset, key_length, destination):
    value = _load(frame, frame.read(key_offset, key_length), "BigIntStorageLoadUnsigned")
    frame.bigints[destination] = int.from_bytes(value, "big")
    return len(value)


@hook("bigIntStorageStoreUnsigned", "BigIntStorageStoreUnsigned")
def bigint_storage_store_unsigned(frame, key_offset, key_length, source):
    value = frame.bigint(source)
    if value < 0:
        raise execution_failed("big int cannot be negative")
    _store(frame, frame.read(key_offset, key_length), unsigned_bytes(value))
    return 0


def _log(frame, topics: list[bytes], data: list[bytes]) -> None:
    if frame.input.read_only:
        raise execution_failed("cannot write logs in a read-only call")
    size = sum(map(len, topics)) + sum(map(len, data))
    frame.use_gas(size * frame.vm.schedule.per_byte("PersistPerByte"))
    # A constructor's logs carry no endpoint name.
    identifier = b"" if frame.input.function == "init" else frame.input.function.encode()
    frame.logs.append(LogEntry(frame.input.recipient, identifier, topics, data))


@hook("writeLog", "Log")
def write_log(frame, data_offset, data_length, topics_offset, topic_count):
    if topic_count < 0:
        raise execution_failed("negative topic count")
    topics = [frame.read(topics_offset + 32 * i, 32) for i in range(topic_count)]
    _log(frame, topics, [frame.read(data_offset, data_length)])


@hook("writeEventLog", "Log")
def write_event_log(frame, topic_count, lengths_offset, topics_offset, data_offset, data_length):
    if topic_count < 0:
        raise execution_failed("negative topic count")
    lengths = frame.read(lengths_offset, 4 * topic_count)
    topics, position = [], topics_offset
    for i in range(topic_count):
        length = int.from_bytes(lengths[4 * i:4 * i + 4], "little", signed=True)
        topics.append(frame.read(position, length))
        position += length
    _log(frame, topics, [frame.read(data_offset, data_length)])


@hook("managedWriteLog", "Log")
def managed_write_log(frame, topics_handle, data_handle):
    _log(frame, frame.buffer_vector(topics_handle), [frame.buffer(data_handle)])


_U64 = (1 << 64) - 1


def _as_i64(value: int) -> int:
    return value - (1 << 64) if value >> 63 else value


@hook("int64storageStore", "Int64StorageStore")
def int64_storage_store(frame, key_offset, key_length, value):
    _store(frame, frame.read(key_offset, key_length), unsigned_bytes(value & _U64))
    return 0


@hook("smallIntStorageStoreUnsigned", "Int64StorageStore")
def small_int_storage_store_unsigned(frame, key_offset, key_length, value):
    _store(frame, frame.read(key_offset, key_length), unsigned_bytes(value & _U64))
    return 0


@hook("smallIntStorageStoreSigned", "Int64StorageStore")
def small_int_storage_store_signed(frame, key_offset, key_length, value):
    from jitvm.wasm.values import signed_bytes
    _store(frame, frame.read(key_offset, key_length), signed_bytes(value))
    return 0


def _load_u64(frame, key_offset, key_length) -> int:
    value = int.from_bytes(_load(frame, frame.read(key_offset, key_length), "Int64StorageLoad"), "big")
    if value > _U64:
        raise execution_failed("storage value out of range")
    return _as_i64(value)


@hook("int64storageLoad", "")
def int64_storage_load(frame, key_offset, key_length):
    return _load_u64(frame, key_offset, key_length)


@hook("smallIntStorageLoadUnsigned", "")
def small_int_storage_load_unsigned(frame, key_offset, key_length):
    return _load_u64(frame, key_offset, key_length)


@hook("smallIntStorageLoadSigned", "")
def small_int_storage_load_signed(frame, key_offset, key_length):
    value = int.from_bytes(_load(frame, frame.read(key_offset, key_length), "Int64StorageLoad"), "big", signed=True)
    if not -(1 << 63) <= value < (1 << 63):
        raise execution_failed("storage value out of range")
    return value


@hook("mBufferStorageLoadFromAddress", "")
def buffer_storage_load_from_address(frame, address_handle, key_handle, destination):
    key = frame.buffer(key_handle)
    frame.buffers[destination] = load_from(frame, frame.buffer(address_handle), key, "StorageLoad")


# Storage locks: a timestamp per key, kept by the VM under its own protected prefix.
TIME_LOCK_PREFIX = RESERVED_PREFIX + b"VM@timelock"


@hook("setStorageLock", "Int64StorageStore")
def set_storage_lock(frame, key_offset, key_length, time_lock):
    _store(frame, TIME_LOCK_PREFIX + frame.read(key_offset, key_length), unsigned_bytes(max(0, time_lock)),
           vm_protected=True)
    return 0


def _storage_lock(frame, key_offset, key_length) -> int:
    # MultiversX charges StorageLoad, then the load itself.
    frame.use_gas(frame.vm.schedule.api_cost("StorageLoad"))
    key = TIME_LOCK_PREFIX + frame.read(key_offset, key_length)
    return int.from_bytes(_load(frame, key, "StorageLoad"), "big")


@hook("getStorageLock", "")
def get_storage_lock(frame, key_offset, key_length):
    return _storage_lock(frame, key_offset, key_length)


@hook("isStorageLocked", "")
def is_storage_locked(frame, key_offset, key_length):
    time_lock = _storage_lock(frame, key_offset, key_length)
    frame.use_gas(frame.vm.schedule.api_cost("GetBlockTimeStamp"))  # it reads the block's time as the hook does
    return int(time_lock > frame.world.current_block.timestamp)


@hook("clearStorageLock", "Int64StorageStore")
def clear_storage_lock(frame, key_offset, key_length):
    return set_storage_lock(frame, key_offset, key_length, 0)
