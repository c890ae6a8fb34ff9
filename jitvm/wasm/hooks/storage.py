"""Contract storage (the running contract's own, by key) and logs."""

from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import LogEntry, execution_failed
from jitvm.wasm.values import unsigned_bytes

RESERVED_PREFIX = b"ELROND"


def _load(frame, key: bytes) -> bytes:
    return frame.world.account(frame.input.recipient).storage.get(key, b"")


def _store(frame, key: bytes, value: bytes) -> None:
    if frame.input.read_only:
        raise execution_failed("cannot write to storage in a read-only call")
    if key.startswith(RESERVED_PREFIX):
        raise execution_failed("cannot write to storage under reserved key")
    frame.use_gas(len(value) * frame.vm.schedule.per_byte("StorePerByte"))
    storage = frame.world.account(frame.input.recipient).storage
    if value:
        storage[key] = value
    else:
        storage.pop(key, None)


@hook("mBufferStorageLoad", "MBufferStorageLoad")
def buffer_storage_load(frame, key_handle, destination):
    frame.buffers[destination] = _load(frame, frame.buffer(key_handle))
    return 0


@hook("mBufferStorageStore", "MBufferStorageStore")
def buffer_storage_store(frame, key_handle, source):
    _store(frame, frame.buffer(key_handle), frame.buffer(source))
    return 0


@hook("storageLoadLength", "StorageLoad")
def storage_load_length(frame, key_offset, key_length):
    return len(_load(frame, frame.read(key_offset, key_length)))


@hook("storageLoad", "StorageLoad")
def storage_load(frame, key_offset, key_length, offset):
    value = _load(frame, frame.read(key_offset, key_length))
    frame.write(offset, value)
    return len(value)


@hook("storageStore", "StorageStore")
def storage_store(frame, key_offset, key_length, offset, length):
    _store(frame, frame.read(key_offset, key_length), frame.read(offset, length))
    return 0


@hook("bigIntStorageLoadUnsigned", "BigIntStorageLoadUnsigned")
def bigint_storage_load_unsigned(frame, key_offset, key_length, destination):
    value = _load(frame, frame.read(key_offset, key_length))
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
    value = int.from_bytes(_load(frame, frame.read(key_offset, key_length)), "big")
    if value > _U64:
        raise execution_failed("storage value out of range")
    return _as_i64(value)


@hook("int64storageLoad", "Int64StorageLoad")
def int64_storage_load(frame, key_offset, key_length):
    return _load_u64(frame, key_offset, key_length)


@hook("smallIntStorageLoadUnsigned", "Int64StorageLoad")
def small_int_storage_load_unsigned(frame, key_offset, key_length):
    return _load_u64(frame, key_offset, key_length)


@hook("smallIntStorageLoadSigned", "Int64StorageLoad")
def small_int_storage_load_signed(frame, key_offset, key_length):
    value = int.from_bytes(_load(frame, frame.read(key_offset, key_length)), "big", signed=True)
    if not -(1 << 63) <= value < (1 << 63):
        raise execution_failed("storage value out of range")
    return value


@hook("mBufferStorageLoadFromAddress", "StorageLoad")
def buffer_storage_load_from_address(frame, address_handle, key_handle, destination):
    account = frame.world.accounts.get(frame.buffer(address_handle))
    frame.buffers[destination] = account.storage.get(frame.buffer(key_handle), b"") if account else b""
