"""BigFloat handles (Go's 53-bit `big.Float`, see jitvm.wasm.bigfloat), kept in the host like BigInts.
Every failure ends the call with MultiversX's message."""

from fractions import Fraction

from jitvm.wasm.bigfloat import MAX_EXPONENT, BigFloat, BigFloatError, pow10, sqrt
from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import execution_failed

_ZERO = BigFloat(Fraction(0))
_PI, _E = 3.141592653589793, 2.718281828459045  # Go's math.Pi and math.E as float64
_SMALLEST_EXPONENT = -322  # below this, a power of ten is 0 in float64


def _get(frame, handle: int) -> BigFloat:
    value = frame.bigfloats.get(handle)
    if value is None:
        raise execution_failed("no bigFloat under the given handle")
    return _checked(value)


def _checked(value: BigFloat) -> BigFloat:
    try:
        return value.check_exponent()
    except BigFloatError as exc:
        raise execution_failed(str(exc)) from None


def _set(frame, handle: int, value: BigFloat) -> None:
    """Store a result, refusing an exponent out of range (MultiversX's setResultIfNotInfinity)."""
    frame.bigfloats[handle] = _checked(value)


def _new(frame, value: BigFloat) -> int:
    _checked(value)
    table = frame.bigfloats
    handle = len(table)
    while handle in table:
        handle += 1
    table[handle] = value
    return handle


def _binary(frame, destination, first, second, operation) -> None:
    _set(frame, destination, BigFloat.of(operation(_get(frame, first).value, _get(frame, second).value)))


@hook("bigFloatNewFromParts", "BigFloatNewFromParts")
def big_float_new_from_parts(frame, integral, fractional, exponent):
    if exponent > 0:
        raise execution_failed("exponent must be negative")
    scaled = _ZERO if exponent < _SMALLEST_EXPONENT else BigFloat.of(Fraction(fractional) * Fraction(pow10(exponent)))
    whole = Fraction(integral)
    value = whole + scaled.value if integral >= 0 else whole - scaled.value
    return _new(frame, BigFloat.of(value))


@hook("bigFloatNewFromFrac", "BigFloatNewFromParts")
def big_float_new_from_frac(frame, numerator, denominator):
    if denominator == 0:
        raise execution_failed("division by 0")
    return _new(frame, BigFloat.of(Fraction(float(numerator)) / Fraction(float(denominator))))


@hook("bigFloatNewFromSci", "BigFloatNewFromParts")
def big_float_new_from_sci(frame, significand, exponent):
    if exponent > 0:
        raise execution_failed("exponent must be negative")
    if exponent < _SMALLEST_EXPONENT:
        return _new(frame, _ZERO)
    return _new(frame, BigFloat.of(Fraction(float(significand)) * Fraction(pow10(exponent))))


@hook("bigFloatAdd", "BigFloatAdd")
def big_float_add(frame, destination, first, second):
    _binary(frame, destination, first, second, lambda a, b: a + b)


@hook("bigFloatSub", "BigFloatSub")
def big_float_sub(frame, destination, first, second):
    _binary(frame, destination, first, second, lambda a, b: a - b)


@hook("bigFloatMul", "BigFloatMul")
def big_float_mul(frame, destination, first, second):
    _binary(frame, destination, first, second, lambda a, b: a * b)


@hook("bigFloatDiv", "BigFloatDiv")
def big_float_div(frame, destination, first, second):
    a, b = _get(frame, first), _get(frame, second)
    if a.value == 0 and b.value == 0:
        raise execution_failed("all operands are equal to 0")
    if b.value == 0:
        raise execution_failed("infinity operations are not allowed")
    _set(frame, destination, BigFloat.of(a.value / b.value))


@hook("bigFloatNeg", "BigFloatNeg")
def big_float_neg(frame, destination, source):
    frame.bigfloats[destination] = BigFloat(-_get(frame, source).value)


@hook("bigFloatAbs", "BigFloatAbs")
def big_float_abs(frame, destination, source):
    frame.bigfloats[destination] = BigFloat(abs(_get(frame, source).value))


@hook("bigFloatClone", "BigFloatClone")
def big_float_clone(frame, destination, source):
    frame.bigfloats[destination] = _get(frame, source)


@hook("bigFloatCmp", "BigFloatCmp")
def big_float_cmp(frame, first, second):
    a, b = _get(frame, first).value, _get(frame, second).value
    return (a > b) - (a < b)


@hook("bigFloatSign", "BigFloatAbs")
def big_float_sign(frame, handle):
    value = _get(frame, handle).value
    return (value > 0) - (value < 0)


@hook("bigFloatSqrt", "BigFloatSqrt")
def big_float_sqrt(frame, destination, source):
    value = _get(frame, source)
    if value.value < 0:
        raise execution_failed("bad bounds (lower)")
    frame.bigfloats[destination] = sqrt(value)


@hook("bigFloatPow", "BigFloatPow")
def big_float_pow(frame, destination, source, exponent):
    frame.use_gas(max(0, exponent) * frame.vm.schedule.api_cost("BigFloatPowPerIteration"))
    base = _get(frame, source)
    result = BigFloat.of(1)
    for _ in range(max(0, exponent)):  # one rounded multiplication at a time, as MultiversX does
        result = BigFloat.of(result.value * base.value)
        if abs(result.exponent) > MAX_EXPONENT:
            raise execution_failed("exponent is either too small or too big")
    _set(frame, destination, result)


def _to_bigint(frame, destination, source, adjust) -> None:
    value = _get(frame, source).value
    whole = int(value)  # toward zero
    frame.bigints[destination] = whole + (adjust(value) if value != whole else 0)


@hook("bigFloatFloor", "BigFloatFloor")
def big_float_floor(frame, destination, source):
    _to_bigint(frame, destination, source, lambda value: -1 if value < 0 else 0)


@hook("bigFloatCeil", "BigFloatCeil")
def big_float_ceil(frame, destination, source):
    _to_bigint(frame, destination, source, lambda value: 1 if value > 0 else 0)


@hook("bigFloatTruncate", "BigFloatTruncate")
def big_float_truncate(frame, destination, source):
    _to_bigint(frame, destination, source, lambda value: 0)


@hook("bigFloatIsInt", "BigFloatIsInt")
def big_float_is_int(frame, handle):
    return int(_get(frame, handle).value.denominator == 1)


@hook("bigFloatSetInt64", "BigFloatSetInt64")
def big_float_set_int64(frame, destination, value):
    frame.bigfloats[destination] = BigFloat.of(value)


@hook("bigFloatSetBigInt", "BigFloatSetBigInt")
def big_float_set_bigint(frame, destination, source):
    _set(frame, destination, BigFloat.of(frame.bigint(source)))


@hook("bigFloatGetConstPi", "BigFloatGetConst")
def big_float_get_const_pi(frame, destination):
    frame.bigfloats[destination] = BigFloat.of(_PI)


@hook("bigFloatGetConstE", "BigFloatGetConst")
def big_float_get_const_e(frame, destination):
    frame.bigfloats[destination] = BigFloat.of(_E)


@hook("mBufferToBigFloat", "MBufferToBigFloat")
def buffer_to_big_float(frame, buffer_handle, destination):
    encoded = frame.buffer(buffer_handle)
    frame.use_gas(len(encoded) * frame.vm.schedule.per_byte("DataCopyPerByte"))
    try:
        frame.bigfloats[destination] = BigFloat.gob_decode(encoded)
    except BigFloatError as exc:
        raise execution_failed(str(exc)) from None
    return 0


@hook("mBufferFromBigFloat", "MBufferFromBigFloat")
def buffer_from_big_float(frame, buffer_handle, source):
    encoded = _get(frame, source).gob_encode()
    frame.use_gas(len(encoded) * frame.vm.schedule.per_byte("DataCopyPerByte"))
    frame.buffers[buffer_handle] = encoded
    return 0
