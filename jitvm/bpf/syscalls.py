"""Solana's syscalls for sBPF programs, with their compute-unit costs (Solana's compute budget).

Each syscall does what Agave's does in Agave's order (limits, charges, then the memory it
translates, destination before source), so the compute units used and the error reported when a
program passes a bad address are Agave's; an access violation inside a syscall is reported like one
in the program, at the `call` instruction. Strings must be UTF-8 (else InvalidString); log messages
go through the run's LogCollector (Solana's 10,000-byte cap, then "Log truncated"). A failure's
text is the name of Agave's SyscallError and, where checked against Agave, its message
(`Panic: SBF program Panicked in f.rs at 12:5`).
"""

from __future__ import annotations

import hashlib
import struct

from jitvm.bpf.helpers import HelperContext, HelperRegistry, SyscallFailure
from jitvm.hashing import keccak256

SYSCALL_BASE_COST = 100  # logging syscalls
LOG_64_COST = 100
LOG_PUBKEY_COST = 100
MEM_OP_BASE_COST = 10  # memcpy / memmove / memset / memcmp
CPI_BYTES_PER_UNIT = 250  # memory operations charge one unit per this many bytes
HASH_BASE_COST = 85  # sha256 and keccak256
HASH_BYTE_COST = 1  # per two bytes hashed
HASH_MAX_SLICES = 20_000
PUBKEY_BYTES = 32
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58(payload: bytes) -> str:
    number = int.from_bytes(payload, "big")
    digits = ""
    while number:
        number, digit = divmod(number, 58)
        digits = _BASE58[digit] + digits
    return "1" * (len(payload) - len(payload.lstrip(b"\0"))) + digits


def _mem_op_cost(length: int) -> int:
    return max(MEM_OP_BASE_COST, length // CPI_BYTES_PER_UNIT)


def utf8(payload: bytes) -> str:
    """The text of a string argument; invalid UTF-8 fails the syscall as Agave's InvalidString."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":
            problem = f"incomplete utf-8 byte sequence from index {error.start}"
        else:
            problem = f"invalid utf-8 sequence of {error.end - error.start} bytes from index {error.start}"
        raise SyscallFailure(f"InvalidString: {problem}: {list(payload)}") from None


def sol_log(context: HelperContext, address, length, _3, _4, _5) -> int:
    context.consume(max(SYSCALL_BASE_COST, length))
    context.log("Program log: " + utf8(context.read(address, length)))
    return 0


def sol_log_64(context: HelperContext, r1, r2, r3, r4, r5) -> int:
    context.consume(LOG_64_COST)
    context.log("Program log: " + ", ".join(f"{value:#x}" for value in (r1, r2, r3, r4, r5)))
    return 0


def sol_log_pubkey(context: HelperContext, address, _2, _3, _4, _5) -> int:
    context.consume(LOG_PUBKEY_COST)
    context.log("Program log: " + base58(context.read(address, PUBKEY_BYTES)))
    return 0


def sol_log_compute_units(context: HelperContext, _1, _2, _3, _4, _5) -> int:
    context.consume(SYSCALL_BASE_COST)
    remaining = context.meter.remaining
    context.log(f"Program consumption: {remaining if remaining is not None else 'unmetered'} units remaining")
    return 0


def _overlaps(first: int, second: int, length: int) -> bool:
    return first < second + length and second < first + length


def _move(context: HelperContext, destination: int, source: int, length: int) -> None:
    """Agave translates the destination (for writing) before the source; under direct mapping it
    copies region by region (from the end when the destination overlaps the source's tail)."""
    if context.direct_mapping:
        reverse = (destination - source) % (1 << 64) < length
        for source_piece, destination_piece, size in _paired_chunks(context, source, destination, length, reverse):
            (source_data, source_offset), (destination_data, destination_offset) = source_piece, destination_piece
            destination_data[destination_offset:destination_offset + size] = \
                source_data[source_offset:source_offset + size].copy()
        return
    if length:
        context.memory.translate(destination, length, True, context.pc)
    context.write(destination, context.read(source, length))


def _paired_chunks(context: HelperContext, first: int, second: int, length: int, reverse: bool = False,
                   second_writes: bool = True):
    """Solana's pairwise walk of two spans under direct mapping: pieces as long as both the current
    piece of `first` (read) and of `second` allow, the next piece of each fetched (and checked)
    only when the current one is used up, `first` before `second`."""
    memory, pc = context.memory, context.pc
    first_pieces = memory.chunks(first, length, False, pc, reverse)
    second_pieces = memory.chunks(second, length, second_writes, pc, reverse)
    one = two = None
    while True:
        if one is None:
            one = next(first_pieces, None)
            if one is None:
                return
        if two is None:
            two = next(second_pieces, None)
            if two is None:
                return
        size = min(one[2], two[2])
        if reverse:  # from the ends of the current pieces
            yield (one[0], one[1] + one[2] - size), (two[0], two[1] + two[2] - size), size
            one = (one[0], one[1], one[2] - size)
            two = (two[0], two[1], two[2] - size)
        else:
            yield (one[0], one[1]), (two[0], two[1]), size
            one = (one[0], one[1] + size, one[2] - size)
            two = (two[0], two[1] + size, two[2] - size)
        one = one if one[2] else None
        two = two if two[2] else None


def sol_memcpy(context: HelperContext, destination, source, length, _4, _5) -> int:
    context.consume(_mem_op_cost(length))
    if length and _overlaps(destination, source, length):
        raise SyscallFailure("CopyOverlapping: Overlapping copy")
    _move(context, destination, source, length)
    return 0


def sol_memmove(context: HelperContext, destination, source, length, _4, _5) -> int:
    context.consume(_mem_op_cost(length))
    _move(context, destination, source, length)
    return 0


def sol_memset(context: HelperContext, destination, byte, length, _4, _5) -> int:
    context.consume(_mem_op_cost(length))
    if context.direct_mapping:  # region by region: what lies before a fault is written
        for data, offset, size in context.memory.chunks(destination, length, True, context.pc):
            data[offset:offset + size] = byte & 0xFF
        return 0
    context.write(destination, bytes([byte & 0xFF]) * length)
    return 0


def _difference(left, right) -> int:
    return next((int(a) - int(b) for a, b in zip(left, right) if a != b), 0)


def sol_memcmp(context: HelperContext, first, second, length, result_address, _5) -> int:
    context.consume(_mem_op_cost(length))
    if context.direct_mapping:  # the result first; then region by region, stopping at a difference
        context.memory.translate(result_address, 4, True, context.pc)
        difference = 0
        for (left, left_offset), (right, right_offset), size in _paired_chunks(context, first, second, length,
                                                                               second_writes=False):
            difference = _difference(left[left_offset:left_offset + size], right[right_offset:right_offset + size])
            if difference:
                break
        context.write(result_address, struct.pack("<i", difference))
        return 0
    left, right = context.read(first, length), context.read(second, length)
    context.write(result_address, struct.pack("<i", _difference(left, right)))
    return 0


HASH_BYTES = 32


def _hash_syscall(name: str, title: str, digest):
    """Agave's order: the slice limit, the base cost, the result (32 writable bytes), the slice
    descriptors, then per slice its bytes and only then its cost."""
    def syscall(context: HelperContext, slices_address, slice_count, result_address, _4, _5) -> int:
        if slice_count > HASH_MAX_SLICES:
            context.log(f"{title} Hashing {slice_count} sequences in one syscall is over the limit {HASH_MAX_SLICES}")
            raise SyscallFailure(f"TooManySlices: {name} of {slice_count} slices, at most {HASH_MAX_SLICES}")
        context.consume(HASH_BASE_COST)
        context.memory.translate(result_address, HASH_BYTES, True, context.pc)
        descriptors = context.read(slices_address, 16 * slice_count)
        payload = b""
        for index in range(slice_count):
            address, length = struct.unpack_from("<QQ", descriptors, 16 * index)
            payload += context.read(address, length)
            context.consume(max(HASH_BYTE_COST * (length // 2), MEM_OP_BASE_COST))
        context.write(result_address, digest(payload))
        return 0
    syscall.__name__ = name
    return syscall


sol_sha256 = _hash_syscall("sol_sha256", "Sha256", lambda payload: hashlib.sha256(payload).digest())
sol_keccak256 = _hash_syscall("sol_keccak256", "Keccak256", keccak256)


def abort(context: HelperContext, _1, _2, _3, _4, _5) -> int:
    raise SyscallFailure("Abort: the program aborted")


def sol_panic(context: HelperContext, file_address, file_length, line, column, _5) -> int:
    context.consume(file_length)
    file_name = utf8(context.read(file_address, file_length))
    raise SyscallFailure(f"Panic: SBF program Panicked in {file_name} at {line}:{column}")


SYSCALLS = {
    "sol_log_": sol_log,
    "sol_log_64_": sol_log_64,
    "sol_log_pubkey": sol_log_pubkey,
    "sol_log_compute_units_": sol_log_compute_units,
    "sol_memcpy_": sol_memcpy,
    "sol_memmove_": sol_memmove,
    "sol_memset_": sol_memset,
    "sol_memcmp_": sol_memcmp,
    "sol_sha256": sol_sha256,
    "sol_keccak256": sol_keccak256,
    "abort": abort,
    "sol_panic_": sol_panic,
}


def default_syscalls() -> HelperRegistry:
    registry = HelperRegistry()
    for name, function in SYSCALLS.items():
        registry.register_syscall(name, function)
    return registry
