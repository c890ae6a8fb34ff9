"""0x05 MODEXP: base ** exponent % modulus for numbers of any length (EIP-198), repriced by EIP-2565 and
again by EIP-7883 (Osaka), which also bounds every length to 1024 bytes (EIP-7823).

Input: three 32-byte big-endian lengths (base, exponent, modulus), then the three numbers back to back,
big-endian. Input bytes past the end of the data read as zero. The output is the result as a number of
exactly `modulus_length` bytes.

The price depends only on the three lengths and the exponent's first 32 bytes, so it is computed
without reading the numbers: a length near 2**256 just makes an unpayable price, and the caller stops
with out-of-gas before anything that size is allocated.
"""

from dataclasses import dataclass

from jitvm.evm.precompiles.errors import PrecompileError

LENGTH_SIZE = 32
HEADER_SIZE = 3 * LENGTH_SIZE
EXPONENT_HEAD_SIZE = 32

# EIP-2565 (Berlin): words of 64 bits, a floor on the price, a smaller divisor.
MIN_GAS = 200
GAS_DIVISOR = 3
# EIP-198 (Byzantium): a piecewise "Karatsuba-like" complexity over bytes.
EIP198_GAS_DIVISOR = 20
# EIP-7883 (Osaka): a higher floor, no divisor, twice the complexity past 32 bytes, and an exponent
# longer than 32 bytes counts 16 iterations per extra byte instead of 8.
EIP7883_MIN_GAS = 500
EIP7883_SMALL_COMPLEXITY = 16  # for base and modulus up to 32 bytes
EIP7883_SMALL_SIZE = 32
# EIP-7823 (Osaka): a longer base, exponent or modulus fails the call.
EIP7823_MAX_LENGTH = 1024
ITERATIONS_PER_EXPONENT_BYTE = 8
EIP7883_ITERATIONS_PER_EXPONENT_BYTE = 16


@dataclass(frozen=True)
class Header:
    base_length: int
    exponent_length: int
    modulus_length: int
    exponent_head: int  # the exponent's first 32 bytes (all of it when shorter) as a number

    @property
    def exponent_start(self) -> int:
        return HEADER_SIZE + self.base_length

    @property
    def modulus_start(self) -> int:
        return self.exponent_start + self.exponent_length


def read_uint(data: bytes, start: int, length: int) -> int:
    """The big-endian number in data[start:start + length], bytes past the end of `data` read as zero."""
    present = data[start : start + length]
    return int.from_bytes(present, "big") << (8 * (length - len(present)))


def read_header(data: bytes) -> Header:
    base_length = read_uint(data, 0, LENGTH_SIZE)
    exponent_length = read_uint(data, LENGTH_SIZE, LENGTH_SIZE)
    modulus_length = read_uint(data, 2 * LENGTH_SIZE, LENGTH_SIZE)
    exponent_head = read_uint(data, HEADER_SIZE + base_length, min(exponent_length, EXPONENT_HEAD_SIZE))
    return Header(base_length, exponent_length, modulus_length, exponent_head)


def iteration_count(header: Header, per_exponent_byte: int = ITERATIONS_PER_EXPONENT_BYTE) -> int:
    """About how many squarings the exponent needs: its bit length less one, estimated from its head
    (EIP-198's "adjusted exponent length", EIP-2565's "iteration count"), and at least 1. Each exponent
    byte past the head counts `per_exponent_byte`."""
    head_bits = max(header.exponent_head.bit_length() - 1, 0)
    tail_bits = per_exponent_byte * max(header.exponent_length - EXPONENT_HEAD_SIZE, 0)
    return max(tail_bits + head_bits, 1)


def gas_eip2565(data: bytes) -> int:
    header = read_header(data)
    words = (max(header.base_length, header.modulus_length) + 7) // 8
    return max(MIN_GAS, words * words * iteration_count(header) // GAS_DIVISOR)


def gas_eip7883(data: bytes) -> int:
    header = read_header(data)
    longest = max(header.base_length, header.modulus_length)
    words = (longest + 7) // 8
    complexity = EIP7883_SMALL_COMPLEXITY if longest <= EIP7883_SMALL_SIZE else 2 * words * words
    iterations = iteration_count(header, EIP7883_ITERATIONS_PER_EXPONENT_BYTE)
    return max(EIP7883_MIN_GAS, complexity * iterations)


def gas_eip198(data: bytes) -> int:
    header = read_header(data)
    x = max(header.base_length, header.modulus_length)
    if x <= 64:
        complexity = x * x
    elif x <= 1024:
        complexity = x * x // 4 + 96 * x - 3072
    else:
        complexity = x * x // 16 + 480 * x - 199680
    return complexity * iteration_count(header) // EIP198_GAS_DIVISOR


def modexp(data: bytes) -> bytes:
    header = read_header(data)
    modulus = read_uint(data, header.modulus_start, header.modulus_length)
    # A zero modulus is defined to give zero. With modulus 1 every result is zero too; deciding that
    # before reading the exponent spares building a long (mostly zero-padded) one for nothing.
    if modulus <= 1:
        return bytes(header.modulus_length)
    base = read_uint(data, HEADER_SIZE, header.base_length)
    exponent = read_uint(data, header.exponent_start, header.exponent_length)
    return pow(base, exponent, modulus).to_bytes(header.modulus_length, "big")


def modexp_eip7823(data: bytes) -> bytes:
    """MODEXP with every length at most 1024 bytes; a longer one is invalid input."""
    header = read_header(data)
    if max(header.base_length, header.exponent_length, header.modulus_length) > EIP7823_MAX_LENGTH:
        raise PrecompileError(f"modexp: a length above {EIP7823_MAX_LENGTH} bytes (EIP-7823)")
    return modexp(data)
