"""Arguments in, results out, the call's payment, caller and errors."""

from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import execution_failed, user_error
from jitvm.wasm.values import signed_bytes, unsigned_bytes

_U64 = (1 << 64) - 1


def _argument(frame, index: int) -> bytes:
    arguments = frame.input.arguments
    if not 0 <= index < len(arguments):
        raise execution_failed("invalid argument")
    return arguments[index]


@hook("getNumArguments", "GetNumArguments")
def get_num_arguments(frame):
    return len(frame.input.arguments)


@hook("getArgumentLength", "GetArgument")
def get_argument_length(frame, index):
    return len(_argument(frame, index))


@hook("getArgument", "GetArgument")
def get_argument(frame, index, offset):
    value = _argument(frame, index)
    frame.write(offset, value)
    return len(value)


@hook("bigIntGetUnsignedArgument", "BigIntGetUnsignedArgument")
def bigint_get_unsigned_argument(frame, index, destination):
    frame.bigints[destination] = int.from_bytes(_argument(frame, index), "big")


@hook("bigIntGetSignedArgument", "BigIntGetSignedArgument")
def bigint_get_signed_argument(frame, index, destination):
    frame.bigints[destination] = int.from_bytes(_argument(frame, index), "big", signed=True)


@hook("mBufferGetArgument", "MBufferGetArgument")
def buffer_get_argument(frame, index, destination):
    frame.buffers[destination] = _argument(frame, index)
    return 0


@hook("smallIntGetUnsignedArgument", "Int64GetArgument")
def small_int_get_unsigned_argument(frame, index):
    value = int.from_bytes(_argument(frame, index), "big")
    if value > _U64:
        raise execution_failed("argument out of range")
    return value - (1 << 64) if value >> 63 else value  # the i64 result carries the u64's bits


@hook("smallIntGetSignedArgument", "Int64GetArgument")
def small_int_get_signed_argument(frame, index):
    value = int.from_bytes(_argument(frame, index), "big", signed=True)
    if not -(1 << 63) <= value < (1 << 63):
        raise execution_failed("argument out of range")
    return value


@hook("finish", "Finish")
def finish(frame, offset, length):
    frame.use_gas(length * frame.vm.schedule.per_byte("PersistPerByte"))
    frame.results.append(frame.read(offset, length))


@hook("mBufferFinish", "MBufferFinish")
def buffer_finish(frame, handle):
    value = frame.buffer(handle)
    frame.use_gas(len(value) * frame.vm.schedule.per_byte("PersistPerByte"))
    frame.results.append(value)
    return 0


@hook("bigIntFinishUnsigned", "BigIntFinishUnsigned")
def bigint_finish_unsigned(frame, handle):
    value = frame.bigint(handle)
    if value < 0:
        raise execution_failed("big int cannot be negative")
    frame.results.append(unsigned_bytes(value))


@hook("bigIntFinishSigned", "BigIntFinishSigned")
def bigint_finish_signed(frame, handle):
    frame.results.append(signed_bytes(frame.bigint(handle)))


@hook("smallIntFinishUnsigned", "Int64Finish")
def small_int_finish_unsigned(frame, value):
    frame.results.append(unsigned_bytes(value & _U64))


@hook("smallIntFinishSigned", "Int64Finish")
def small_int_finish_signed(frame, value):
    frame.results.append(signed_bytes(value))


@hook("bigIntGetCallValue", "BigIntGetCallValue")
def bigint_get_call_value(frame, destination):
    frame.bigints[destination] = frame.input.value


@hook("checkNoPayment", "GetCallValue")
def check_no_payment(frame):
    if frame.input.value > 0:
        raise execution_failed("function does not accept EGLD payment")
    if frame.input.esdt:
        raise execution_failed("function does not accept ESDT payment")


@hook("getCaller", "GetCaller")
def get_caller(frame, offset):
    frame.write(offset, frame.input.caller)


@hook("managedCaller", "GetCaller")
def managed_caller(frame, destination):
    frame.buffers[destination] = frame.input.caller


@hook("signalError", "SignalError")
def signal_error(frame, offset, length):
    frame.use_gas(length * frame.vm.schedule.per_byte("PersistPerByte"))
    raise user_error(frame.read(offset, length).decode(errors="replace"))


@hook("managedSignalError", "SignalError")
def managed_signal_error(frame, handle):
    message = frame.buffer(handle)
    frame.use_gas(len(message) * frame.vm.schedule.per_byte("PersistPerByte"))
    raise user_error(message.decode(errors="replace"))


@hook("getGasLeft", "GetGasLeft")
def get_gas_left(frame):
    return frame.gas_left()


@hook("int64getArgument", "Int64GetArgument")
def int64_get_argument(frame, index):
    value = int.from_bytes(_argument(frame, index), "big", signed=True)
    if not -(1 << 63) <= value < (1 << 63):
        raise execution_failed("argument out of range")
    return value


@hook("int64finish", "Int64Finish")
def int64_finish(frame, value):
    frame.results.append(signed_bytes(value))

