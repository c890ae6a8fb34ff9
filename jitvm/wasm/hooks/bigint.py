"""BigInt handles: arbitrary-precision integers kept in the host, named by i32 handles."""

from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import execution_failed
from jitvm.wasm.values import signed_bytes, unsigned_bytes

_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


@hook("bigIntNew", "BigIntNew")
def bigint_new(frame, value):
    return frame.new_bigint(value)


@hook("bigIntSetInt64", "BigIntSetInt64")
def bigint_set_int64(frame, destination, value):
    frame.bigints[destination] = value


@hook("bigIntIsInt64", "BigIntIsInt64")
def bigint_is_int64(frame, handle):
    return int(_I64_MIN <= frame.bigint(handle) <= _I64_MAX)


@hook("bigIntGetInt64", "BigIntGetInt64")
def bigint_get_int64(frame, handle):
    value = frame.bigint(handle)
    if not _I64_MIN <= value <= _I64_MAX:
        raise execution_failed("big int cannot be converted to int64")
    return value


def _binary(name: str, cost: str, operation):
    @hook(name, cost)
    def run(frame, destination, left, right):
        frame.bigints[destination] = operation(frame.bigint(left), frame.bigint(right))
    return run


def _truncated_division(left: int, right: int) -> int:
    if right == 0:
        raise execution_failed("division by 0")
    quotient = abs(left) // abs(right)
    return quotient if (left >= 0) == (right >= 0) else -quotient


def _truncated_modulo(left: int, right: int) -> int:
    if right == 0:
        raise execution_failed("division by 0")
    return left - right * _truncated_division(left, right)


def _euclidean_division(left: int, right: int) -> int:
    if right == 0:
        raise execution_failed("division by 0")
    return (left - _euclidean_modulo(left, right)) // right


def _euclidean_modulo(left: int, right: int) -> int:
    if right == 0:
        raise execution_failed("division by 0")
    return left % abs(right)


def _bitwise(operation):
    def run(left: int, right: int) -> int:
        if left < 0 or right < 0:
            raise execution_failed("bitwise operations only allowed on positive integers")
        return operation(left, right)
    return run


_binary("bigIntAdd", "BigIntAdd", lambda a, b: a + b)
_binary("bigIntSub", "BigIntSub", lambda a, b: a - b)
_binary("bigIntMul", "BigIntMul", lambda a, b: a * b)
_binary("bigIntTDiv", "BigIntTDiv", _truncated_division)
_binary("bigIntTMod", "BigIntTMod", _truncated_modulo)
_binary("bigIntEDiv", "BigIntEDiv", _euclidean_division)
_binary("bigIntEMod", "BigIntEMod", _euclidean_modulo)
_binary("bigIntAnd", "BigIntAnd", _bitwise(lambda a, b: a & b))
_binary("bigIntOr", "BigIntOr", _bitwise(lambda a, b: a | b))
_binary("bigIntXor", "BigIntXor", _bitwise(lambda a, b: a ^ b))


@hook("bigIntCmp", "BigIntCmp")
def bigint_cmp(frame, left, right):
    a, b = frame.bigint(left), frame.bigint(right)
    return (a > b) - (a < b)


@hook("bigIntSign", "BigIntSign")
def bigint_sign(frame, handle):
    value = frame.bigint(handle)
    return (value > 0) - (value < 0)


@hook("bigIntAbs", "BigIntAbs")
def bigint_abs(frame, destination, source):
    frame.bigints[destination] = abs(frame.bigint(source))


@hook("bigIntNeg", "BigIntNeg")
def bigint_neg(frame, destination, source):
    frame.bigints[destination] = -frame.bigint(source)


@hook("bigIntSqrt", "BigIntSqrt")
def bigint_sqrt(frame, destination, source):
    import math
    value = frame.bigint(source)
    if value < 0:
        raise execution_failed("bad bounds (negative)")
    frame.bigints[destination] = math.isqrt(value)


@hook("bigIntPow", "BigIntPow")
def bigint_pow(frame, destination, base, exponent):
    power = frame.bigint(exponent)
    if power < 0:
        raise execution_failed("bad bounds (negative)")
    value = frame.bigint(base)
    frame.use_gas(max(0, abs(value).bit_length() * power // 8 - 32) * frame.vm.schedule.per_byte("DataCopyPerByte"))
    frame.bigints[destination] = value ** power


@hook("bigIntShr", "BigIntShr")
def bigint_shr(frame, destination, source, bits):
    value = frame.bigint(source)
    if value < 0 or bits < 0:
        raise execution_failed("bad bounds (negative)")
    frame.bigints[destination] = value >> bits


@hook("bigIntShl", "BigIntShl")
def bigint_shl(frame, destination, source, bits):
    value = frame.bigint(source)
    if value < 0 or bits < 0:
        raise execution_failed("bad bounds (negative)")
    frame.bigints[destination] = value << bits


@hook("bigIntUnsignedByteLength", "BigIntUnsignedByteLength")
def bigint_unsigned_byte_length(frame, handle):
    return len(unsigned_bytes(abs(frame.bigint(handle))))


@hook("bigIntSignedByteLength", "BigIntSignedByteLength")
def bigint_signed_byte_length(frame, handle):
    return len(signed_bytes(frame.bigint(handle)))


@hook("bigIntGetUnsignedBytes", "BigIntGetUnsignedBytes")
def bigint_get_unsigned_bytes(frame, handle, offset):
    data = unsigned_bytes(abs(frame.bigint(handle)))
    frame.write(offset, data)
    return len(data)


@hook("bigIntGetSignedBytes", "BigIntGetSignedBytes")
def bigint_get_signed_bytes(frame, handle, offset):
    data = signed_bytes(frame.bigint(handle))
    frame.write(offset, data)
    return len(data)


@hook("bigIntSetUnsignedBytes", "BigIntSetUnsignedBytes")
def bigint_set_unsigned_bytes(frame, destination, offset, length):
    frame.bigints[destination] = int.from_bytes(frame.read(offset, length), "big")


@hook("bigIntSetSignedBytes", "BigIntSetSignedBytes")
def bigint_set_signed_bytes(frame, destination, offset, length):
    frame.bigints[destination] = int.from_bytes(frame.read(offset, length), "big", signed=True)


@hook("bigIntLog2", "BigIntLog")
def bigint_log2(frame, handle):
    value = frame.bigint(handle)
    if value < 0:
        raise execution_failed("bad bounds (lower)")
    return value.bit_length() - 1


@hook("bigIntToString", "BigIntToString")
def bigint_to_string(frame, handle, destination):
    frame.buffers[destination] = str(frame.bigint(handle)).encode()
