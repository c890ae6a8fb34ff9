"""ManagedBuffer handles: byte strings kept in the host, named by i32 handles."""

from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import execution_failed
from jitvm.wasm.values import signed_bytes, unsigned_bytes

_U64 = (1 << 64) - 1


def _copy_cost(frame, length: int) -> None:
    frame.use_gas(length * frame.vm.schedule.per_byte("DataCopyPerByte"))


@hook("mBufferNew", "MBufferNew")
def buffer_new(frame):
    return frame.new_buffer(b"")


@hook("mBufferNewFromBytes", "MBufferNewFromBytes")
def buffer_new_from_bytes(frame, offset, length):
    return frame.new_buffer(frame.read(offset, length))


@hook("mBufferSetBytes", "MBufferSetBytes")
def buffer_set_bytes(frame, handle, offset, length):
    _copy_cost(frame, length)
    frame.buffers[handle] = frame.read(offset, length)
    return 0


@hook("mBufferGetLength", "MBufferGetLength")
def buffer_get_length(frame, handle):
    value = frame.buffers.get(handle)
    return -1 if value is None else len(value)


@hook("mBufferGetBytes", "MBufferGetBytes")
def buffer_get_bytes(frame, handle, offset):
    value = frame.buffer(handle)
    _copy_cost(frame, len(value))
    frame.write(offset, value)
    return 0


def _slice(frame, handle: int, start: int, length: int) -> bytes | None:
    """A slice of a buffer, or None when it runs outside the buffer (the hooks then return 1).
    MultiversX charges for copying the whole source buffer, whatever the slice."""
    value = frame.buffer(handle)
    _copy_cost(frame, len(value))
    if start < 0 or length < 0 or start + length > len(value):
        return None
    return value[start:start + length]


@hook("mBufferGetByteSlice", "MBufferGetByteSlice")
def buffer_get_byte_slice(frame, handle, start, length, offset):
    part = _slice(frame, handle, start, length)
    if part is None:
        return 1
    frame.write(offset, part)
    return 0


@hook("mBufferCopyByteSlice", "MBufferCopyByteSlice")
def buffer_copy_byte_slice(frame, handle, start, length, destination):
    part = _slice(frame, handle, start, length)
    if part is None:
        return 1
    frame.buffers[destination] = part
    _copy_cost(frame, len(part))
    return 0


@hook("mBufferEq", "MBufferCopyByteSlice")
def buffer_eq(frame, left, right):
    a = frame.buffer(left)
    _copy_cost(frame, len(a))
    b = frame.buffer(right)
    _copy_cost(frame, len(b))
    return int(a == b)


@hook("mBufferAppend", "MBufferAppend")
def buffer_append(frame, accumulator, data):
    addition = frame.buffer(data)
    _copy_cost(frame, len(addition))
    frame.buffers[accumulator] = frame.buffer(accumulator) + addition
    return 0


@hook("mBufferAppendBytes", "MBufferAppendBytes")
def buffer_append_bytes(frame, accumulator, offset, length):
    data = frame.read(offset, length)
    frame.buffers[accumulator] = frame.buffer(accumulator) + data
    _copy_cost(frame, length)
    return 0


@hook("mBufferToBigIntUnsigned", "MBufferToBigIntUnsigned")
def buffer_to_bigint_unsigned(frame, handle, destination):
    frame.bigints[destination] = int.from_bytes(frame.buffer(handle), "big")
    return 0


@hook("mBufferToBigIntSigned", "MBufferToBigIntSigned")
def buffer_to_bigint_signed(frame, handle, destination):
    frame.bigints[destination] = int.from_bytes(frame.buffer(handle), "big", signed=True)
    return 0


@hook("mBufferFromBigIntUnsigned", "MBufferFromBigIntUnsigned")
def buffer_from_bigint_unsigned(frame, handle, source):
    value = frame.bigint(source)
    if value < 0:
        raise execution_failed("big int cannot be negative")
    frame.buffers[handle] = unsigned_bytes(value)
    return 0


@hook("mBufferFromBigIntSigned", "MBufferFromBigIntSigned")
def buffer_from_bigint_signed(frame, handle, source):
    frame.buffers[handle] = signed_bytes(frame.bigint(source))
    return 0


@hook("mBufferToSmallIntUnsigned", "MBufferToSmallIntUnsigned")
def buffer_to_small_int_unsigned(frame, handle):
    value = int.from_bytes(frame.buffer(handle), "big")
    if value > _U64:
        raise execution_failed("value too long")
    return value - (1 << 64) if value >> 63 else value


@hook("mBufferToSmallIntSigned", "MBufferToSmallIntSigned")
def buffer_to_small_int_signed(frame, handle):
    value = int.from_bytes(frame.buffer(handle), "big", signed=True)
    if not -(1 << 63) <= value < (1 << 63):
        raise execution_failed("value too long")
    return value


@hook("mBufferFromSmallIntUnsigned", "MBufferFromSmallIntUnsigned")
def buffer_from_small_int_unsigned(frame, handle, value):
    frame.buffers[handle] = unsigned_bytes(value & _U64)


@hook("mBufferFromSmallIntSigned", "MBufferFromSmallIntSigned")
def buffer_from_small_int_signed(frame, handle, value):
    frame.buffers[handle] = signed_bytes(value)


@hook("managedBufferToHex", "MBufferAppend")
def buffer_to_hex(frame, source, destination):
    frame.buffers[destination] = frame.buffer(source).hex().encode()


@hook("mBufferSetByteSlice", "MBufferSetBytes")
def buffer_set_byte_slice(frame, handle, start, length, offset):
    data = frame.read(offset, length)
    _copy_cost(frame, length)
    value = frame.buffer(handle)
    if start < 0 or length < 0 or start + length > len(value):
        return 1
    frame.buffers[handle] = value[:start] + data + value[start + length:]
    return 0
