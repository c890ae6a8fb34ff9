"""The runtime's syscalls, as Agave defines them: costs, argument checks, their order, and the error
each failure gives. They are registered in a jitvm.bpf HelperRegistry, so every engine calls the
same code; a syscall reaches the transaction through the `VmRuntime` on top of `SyscallHost.active`.

A syscall that fails raises `SyscallFailure` after recording the error (an InstructionError, or a
SyscallError holding Agave's text) in `VmRuntime.error`; the loader turns it into the instruction's
error and log line. Memory faults inside a syscall become Agave's "Access violation in ... section"
syscall errors (they do not deplete the meter, unlike faults of the program itself).
"""

from __future__ import annotations

import base64
import hashlib
import struct
import threading
from dataclasses import dataclass, field

from jitvm.bpf.errors import ErrorCode, VmError
from jitvm.bpf.helpers import HelperContext, HelperRegistry, SyscallFailure
from jitvm.bpf.memory import MM_HEAP_START, REGION_SHIFT
from jitvm.hashing import keccak256
from jitvm.svm.context import MAX_RETURN_DATA, TransactionContext
from jitvm.svm.errors import InstructionError, SyscallError
from jitvm.svm.ids import base58

SYSCALL_BASE_COST = 100
LOG_64_UNITS = 100
LOG_PUBKEY_UNITS = 100
MEM_OP_BASE_COST = 10
CPI_BYTES_PER_UNIT = 250
SHA256_BASE_COST = 85
SHA256_BYTE_COST = 1
SHA256_MAX_SLICES = 20_000
CREATE_PROGRAM_ADDRESS_UNITS = 1500
SYSVAR_BASE_COST = 100
MAX_SEEDS = 16
MAX_SEED_LEN = 32
U64 = (1 << 64) - 1

_REGION_NAMES = {1: "program", 2: "stack", 3: "heap", 4: "input"}


def access_violation_text(address: int, size: int) -> str:
    """sbpf's EbpfError::AccessViolation Display."""
    region = _REGION_NAMES.get(address >> REGION_SHIFT, "unknown")
    return f"Access violation in {region} section at address {address:#x} of size {size}"


def utf8_error_text(payload: bytes) -> str | None:
    """Rust's `Utf8Error` Display followed by the bytes' Debug list, or None for valid UTF-8."""
    try:
        payload.decode("utf-8")
        return None
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":
            text = f"incomplete utf-8 byte sequence from index {error.start}"
        else:
            text = f"invalid utf-8 sequence of {error.end - error.start} bytes from index {error.start}"
        return f"{text}: [{', '.join(str(byte) for byte in payload)}]"


@dataclass(slots=True)
class VmRuntime:
    """What the syscalls of one program execution need."""

    context: TransactionContext
    program_id: bytes
    check_aligned: bool
    budget: int  # the meter's remaining units when this VM started
    error: Exception | None = None
    heap_used: int = 0  # sol_alloc_free_'s bump allocator
    original_lengths: list = field(default_factory=list)  # per instruction account: data length at entry
    meter: object = field(default=None, repr=False)  # the VM's jitvm Meter, set at the first syscall

    def sync_to_transaction(self, helper: HelperContext) -> None:
        """Make the transaction's meter reflect what this VM has used so far."""
        self.context.meter.remaining = self.budget - helper.meter.used

    def sync_from_transaction(self, helper: HelperContext) -> None:
        helper.meter.used = self.budget - self.context.meter.remaining


class SyscallHost:
    """The registry of runtime syscalls and the stack of running VMs they serve (CPI nests VMs).
    The stack is per thread: Sealevel's replay runs several transactions' programs at once."""

    def __init__(self):
        self._threads = threading.local()
        self.registry = HelperRegistry()
        for name, function in SYSCALLS.items():
            self.registry.register_syscall(name, self._bind(name, function))

    @property
    def active(self) -> list[VmRuntime]:
        """This thread's running VMs, innermost last."""
        try:
            return self._threads.active
        except AttributeError:
            self._threads.active = []
            return self._threads.active

    def _bind(self, name: str, function):
        def syscall(helper: HelperContext, r1, r2, r3, r4, r5) -> int:
            runtime = self.active[-1]
            try:
                return function(runtime, _Call(helper, runtime), r1, r2, r3, r4, r5) & U64
            except InstructionError as error:
                runtime.error = error
            except SyscallError as error:
                runtime.error = error
            except VmError as error:  # a memory fault inside the syscall
                if error.code is not ErrorCode.ACCESS_VIOLATION:
                    raise
                runtime.error = SyscallError(access_violation_text(error.address, error.size))
            raise SyscallFailure(f"{name}: {runtime.error}")
        syscall.__name__ = name
        return syscall


class _Call:
    """One syscall's view of the VM: checked memory, alignment checks and the compute meter."""

    def __init__(self, helper: HelperContext, runtime: VmRuntime):
        self.helper, self.runtime = helper, runtime

    def consume(self, units: int) -> None:
        meter = self.helper.meter
        if meter.budget - meter.used < units:
            meter.used = meter.budget
            raise InstructionError("ComputationalBudgetExceeded")
        meter.used += units

    @property
    def remaining(self) -> int:
        return self.helper.meter.budget - self.helper.meter.used

    def aligned(self, address: int, alignment: int) -> None:
        if self.runtime.check_aligned and address % alignment:
            raise SyscallError("Unaligned pointer")

    def read(self, address: int, size: int, alignment: int = 1) -> bytes:
        if size == 0:
            return b""
        self.aligned(address, alignment)
        return self.helper.read(address, size)

    def writable(self, address: int, size: int, alignment: int = 1) -> None:
        """Translate for writing first (Agave translates before it computes)."""
        if size == 0:
            return
        self.aligned(address, alignment)
        self.helper.memory.translate(address, size, True, self.helper.pc)

    def write(self, address: int, payload: bytes) -> None:
        self.helper.write(address, payload)

    def log(self, message: str) -> None:
        self.runtime.context.log_message(message)


# -- logging ---------------------------------------------------------------------------------------

def sol_log(runtime, call: _Call, address, length, *_):
    call.consume(max(SYSCALL_BASE_COST, length))
    payload = call.read(address, length)
    problem = utf8_error_text(payload)
    if problem is not None:
        raise SyscallError(problem)
    call.log("Program log: " + payload.decode())
    return 0


def sol_log_64(runtime, call: _Call, r1, r2, r3, r4, r5):
    call.consume(LOG_64_UNITS)
    call.log("Program log: " + ", ".join(f"{value:#x}" for value in (r1, r2, r3, r4, r5)))
    return 0


def sol_log_pubkey(runtime, call: _Call, address, *_):
    call.consume(LOG_PUBKEY_UNITS)
    call.log("Program log: " + base58(call.read(address, 32)))
    return 0


def sol_log_compute_units(runtime, call: _Call, *_):
    call.consume(SYSCALL_BASE_COST)
    call.log(f"Program consumption: {call.remaining} units remaining")
    return 0


def sol_log_data(runtime, call: _Call, address, count, *_):
    call.consume(SYSCALL_BASE_COST)
    descriptors = call.read(address, 16 * count, 8)
    call.consume(SYSCALL_BASE_COST * count)
    fields = [struct.unpack_from("<QQ", descriptors, 16 * index) for index in range(count)]
    call.consume(sum(length for _, length in fields))
    chunks = [call.read(field_address, length) for field_address, length in fields]
    call.log("Program data: " + " ".join(base64.b64encode(chunk).decode() for chunk in chunks))
    return 0


# -- memory ----------------------------------------------------------------------------------------

def _mem_op_cost(length: int) -> int:
    return max(MEM_OP_BASE_COST, length // CPI_BYTES_PER_UNIT)


def _nonoverlapping(source: int, source_length: int, destination: int, destination_length: int) -> bool:
    if source > destination:
        return source - destination >= destination_length
    return destination - source >= source_length


def sol_memcpy(runtime, call: _Call, destination, source, length, *_):
    call.consume(_mem_op_cost(length))
    if not _nonoverlapping(source, length, destination, length):
        raise SyscallError("Overlapping copy")
    return _memmove(call, destination, source, length)


def sol_memmove(runtime, call: _Call, destination, source, length, *_):
    call.consume(_mem_op_cost(length))
    return _memmove(call, destination, source, length)


def _memmove(call: _Call, destination: int, source: int, length: int) -> int:
    payload = call.read(source, length)
    call.writable(destination, length)
    call.write(destination, payload)
    return 0


def sol_memset(runtime, call: _Call, destination, byte, length, *_):
    call.consume(_mem_op_cost(length))
    call.writable(destination, length)
    call.write(destination, bytes([byte & 0xFF]) * length)
    return 0


def sol_memcmp(runtime, call: _Call, first, second, length, result_address, _5):
    call.consume(_mem_op_cost(length))
    left, right = call.read(first, length), call.read(second, length)
    call.writable(result_address, 4, 4)
    difference = next((a - b for a, b in zip(left, right) if a != b), 0)
    call.write(result_address, struct.pack("<i", difference))
    return 0


# -- hashing ---------------------------------------------------------------------------------------

def _hash_syscall(name: str, digest):
    def syscall(runtime, call: _Call, slices_address, slice_count, result_address, *_):
        if slice_count > SHA256_MAX_SLICES:
            call.log(f"{name} Hashing {slice_count} sequences in one syscall is over the limit {SHA256_MAX_SLICES}")
            raise SyscallError("Hashing too many sequences")
        call.consume(SHA256_BASE_COST)
        call.writable(result_address, 32)
        payload = bytearray()
        if slice_count:
            descriptors = call.read(slices_address, 16 * slice_count, 8)
            for index in range(slice_count):
                address, length = struct.unpack_from("<QQ", descriptors, 16 * index)
                chunk = call.read(address, length)
                call.consume(max(MEM_OP_BASE_COST, SHA256_BYTE_COST * (length // 2)))
                payload += chunk
        call.write(result_address, digest(bytes(payload)))
        return 0
    return syscall


# -- secp256k1 recovery ----------------------------------------------------------------------------

SECP256K1_RECOVER_COST = 25_000
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
INVALID_RECOVERY_ID, INVALID_SIGNATURE = 2, 3  # Secp256k1RecoverError codes, returned in r0


def sol_secp256k1_recover(runtime, call: _Call, hash_address, recovery_id, signature_address, result_address, _5):
    """The 64-byte public key (without the 0x04 prefix) that signed a 32-byte hash."""
    call.consume(SECP256K1_RECOVER_COST)
    digest = call.read(hash_address, 32)
    signature = call.read(signature_address, 64)
    call.writable(result_address, 64)
    if recovery_id > 3:
        return INVALID_RECOVERY_ID
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < SECP256K1_ORDER and 0 < s < SECP256K1_ORDER):
        return INVALID_SIGNATURE
    from coincurve import PublicKey

    try:
        key = PublicKey.from_signature_and_message(signature + bytes([recovery_id]), digest, hasher=None)
    except Exception:  # coincurve raises on a signature that recovers no key
        return INVALID_SIGNATURE
    call.write(result_address, key.format(compressed=False)[1:])
    return 0


# -- program addresses -----------------------------------------------------------------------------

def _seeds(call: _Call, address: int, count: int) -> list[bytes]:
    descriptors = call.read(address, 16 * count, 8)
    if count > MAX_SEEDS:
        raise SyscallError("Could not create program address with signer seeds: "
                           "Length of the seed is too long for address generation")
    seeds = []
    for index in range(count):
        seed_address, length = struct.unpack_from("<QQ", descriptors, 16 * index)
        if length > MAX_SEED_LEN:
            raise SyscallError("Could not create program address with signer seeds: "
                               "Length of the seed is too long for address generation")
        seeds.append(call.read(seed_address, length))
    return seeds


def create_program_address(seeds: list[bytes], program_id: bytes) -> bytes | None:
    from solders.pubkey import Pubkey

    try:
        return bytes(Pubkey.create_program_address(seeds, Pubkey.from_bytes(program_id)))
    except Exception:  # solders raises on an address on the curve
        return None


def sol_create_program_address(runtime, call: _Call, seeds_address, seeds_count, program_id_address,
                               result_address, _5):
    call.consume(CREATE_PROGRAM_ADDRESS_UNITS)
    seeds = _seeds(call, seeds_address, seeds_count)
    program_id = call.read(program_id_address, 32)
    address = create_program_address(seeds, program_id)
    if address is None:
        return 1
    call.writable(result_address, 32)
    call.write(result_address, address)
    return 0


def sol_try_find_program_address(runtime, call: _Call, seeds_address, seeds_count, program_id_address,
                                 result_address, bump_address):
    call.consume(CREATE_PROGRAM_ADDRESS_UNITS)
    seeds = _seeds(call, seeds_address, seeds_count)
    program_id = call.read(program_id_address, 32)
    bump = 255
    for _ in range(255):
        address = create_program_address(seeds + [bytes([bump])], program_id)
        if address is not None:
            call.writable(bump_address, 1)
            call.writable(result_address, 32)
            if not _nonoverlapping(bump_address, 1, result_address, 32):
                raise SyscallError("Overlapping copy")
            call.write(bump_address, bytes([bump]))
            call.write(result_address, address)
            return 0
        bump = max(bump - 1, 0)
        call.consume(CREATE_PROGRAM_ADDRESS_UNITS)
    return 1


# -- sysvars ---------------------------------------------------------------------------------------

def _no_sysvars_for_loader_v1(runtime) -> None:
    """LiteSVM (Agave 4.1) fails every sysvar syscall of a deprecated-loader program this way."""
    if not runtime.check_aligned:
        raise SyscallError("Unaligned pointer")


def _sysvar_syscall(name: str, size: int):
    def syscall(runtime, call: _Call, address, *_):
        call.consume(SYSVAR_BASE_COST + size)
        _no_sysvars_for_loader_v1(runtime)
        call.writable(address, size, 8)
        call.write(address, runtime.context.sysvars.struct_bytes(name))
        return 0
    return syscall


def sol_get_sysvar(runtime, call: _Call, sysvar_id_address, address, offset, length, _5):
    """SIMD-0127: any slice of a sysvar's account data; 2 if it is unknown, 1 if out of range."""
    call.consume(SYSVAR_BASE_COST + 32 // CPI_BYTES_PER_UNIT + max(length // CPI_BYTES_PER_UNIT, MEM_OP_BASE_COST))
    _no_sysvars_for_loader_v1(runtime)
    sysvar_id = call.read(sysvar_id_address, 32)
    call.writable(address, length)
    if offset + length > U64 or address + length > U64:
        raise InstructionError("ArithmeticOverflow")
    payload = runtime.context.sysvars.account_data(sysvar_id)
    if payload is None:
        return 2
    if offset + length > len(payload):
        return 1
    call.write(address, payload[offset:offset + length])
    return 0


# -- return data, stack height, compute units ------------------------------------------------------

def sol_set_return_data(runtime, call: _Call, address, length, *_):
    call.consume(length // CPI_BYTES_PER_UNIT + SYSCALL_BASE_COST)
    if length > MAX_RETURN_DATA:
        raise SyscallError(f"Return data too large ({length} > {MAX_RETURN_DATA})")
    payload = call.read(address, length)
    runtime.context.return_data = (runtime.context.frame.program_id, payload)
    return 0


def sol_get_return_data(runtime, call: _Call, address, length, program_id_address, *_):
    call.consume(SYSCALL_BASE_COST)
    program_id, payload = runtime.context.return_data
    length = min(length, len(payload))
    if length:
        call.consume((length + 32) // CPI_BYTES_PER_UNIT)
        call.writable(address, length)
        call.writable(program_id_address, 32)
        if not _nonoverlapping(address, length, program_id_address, 32):
            raise SyscallError("Overlapping copy")
        call.write(address, payload[:length])
        call.write(program_id_address, program_id)
    return len(payload)


def sol_get_stack_height(runtime, call: _Call, *_):
    call.consume(SYSCALL_BASE_COST)
    return runtime.context.stack_height


# Not registered: LiteSVM's Agave 4.1 runtime does not offer it (a call fails with "unsupported BPF
# instruction"), and exactness against it comes first. Add it to SYSCALLS to enable it.
def sol_remaining_compute_units(runtime, call: _Call, *_):
    call.consume(SYSCALL_BASE_COST)
    return call.remaining


# -- ending the program ----------------------------------------------------------------------------

def abort(runtime, call: _Call, *_):
    raise SyscallError("SBF program panicked")


def sol_panic(runtime, call: _Call, file_address, file_length, line, column, _5):
    call.consume(file_length)
    payload = call.read(file_address, file_length)
    problem = utf8_error_text(payload)
    if problem is not None:
        raise SyscallError(problem)
    raise SyscallError(f"SBF program Panicked in {payload.decode()} at {line}:{column}")


def sol_get_processed_sibling_instruction(runtime, call: _Call, index, meta_address, program_id_address,
                                          data_address, accounts_address):
    """The `index`-th most recent instruction already processed at the caller's stack height."""
    call.consume(SYSCALL_BASE_COST)
    context = runtime.context
    height = context.stack_height
    found, reverse_index = None, 0
    for frame_height, frame in reversed(context.trace):
        if frame_height < height:
            break
        if frame_height == height:
            if index + 1 == reverse_index:
                found = frame
                break
            reverse_index += 1
    if found is None:
        return 0
    call.writable(meta_address, 16, 8)
    data_length, accounts_length = struct.unpack("<QQ", call.read(meta_address, 16, 8))
    if data_length == len(found.data) and accounts_length == len(found.accounts):
        call.writable(program_id_address, 32)
        call.writable(data_address, data_length)
        call.writable(accounts_address, 34 * accounts_length)
        regions = ((meta_address, 16), (program_id_address, 32), (accounts_address, 34 * accounts_length),
                   (data_address, data_length))
        for i, (first, first_length) in enumerate(regions):
            for second, second_length in regions[i + 1:]:
                if not _nonoverlapping(first, first_length, second, second_length):
                    raise SyscallError("Overlapping copy")
        call.write(program_id_address, found.program_id)
        call.write(data_address, found.data)
        call.write(accounts_address, b"".join(
            context.keys[account.index_in_transaction] + bytes((account.is_signer, account.is_writable))
            for account in found.accounts))
    call.write(meta_address, struct.pack("<QQ", len(found.data), len(found.accounts)))
    return 1


def sol_alloc_free(runtime, call: _Call, size, free_address, *_):
    """The deprecated bump allocator over the heap: never frees; 0 when the heap is full."""
    if free_address != 0:
        return 0
    alignment = 8 if runtime.check_aligned else 1
    start = runtime.heap_used + (-runtime.heap_used % alignment)
    if start + size > runtime.context.heap_size:
        return 0
    runtime.heap_used = start + size
    return MM_HEAP_START + start


def _cpi(name: str):
    def syscall(runtime, call: _Call, instruction_address, infos_address, infos_count, seeds_address, seeds_count):
        from jitvm.svm.cpi import invoke_signed

        return invoke_signed(runtime, call, name.endswith("_rust"), instruction_address, infos_address, infos_count,
                             seeds_address, seeds_count)
    return syscall


SYSCALLS = {
    "abort": abort,
    "sol_panic_": sol_panic,
    "sol_log_": sol_log,
    "sol_log_64_": sol_log_64,
    "sol_log_pubkey": sol_log_pubkey,
    "sol_log_compute_units_": sol_log_compute_units,
    "sol_log_data": sol_log_data,
    "sol_memcpy_": sol_memcpy,
    "sol_memmove_": sol_memmove,
    "sol_memset_": sol_memset,
    "sol_memcmp_": sol_memcmp,
    "sol_sha256": _hash_syscall("Sha256", lambda payload: hashlib.sha256(payload).digest()),
    "sol_keccak256": _hash_syscall("Keccak256", keccak256),
    "sol_create_program_address": sol_create_program_address,
    "sol_try_find_program_address": sol_try_find_program_address,
    "sol_get_clock_sysvar": _sysvar_syscall("clock", 40),
    "sol_get_rent_sysvar": _sysvar_syscall("rent", 24),
    "sol_get_epoch_schedule_sysvar": _sysvar_syscall("epoch_schedule", 40),
    "sol_get_last_restart_slot": _sysvar_syscall("last_restart_slot", 8),
    "sol_get_epoch_rewards_sysvar": _sysvar_syscall("epoch_rewards", 96),
    "sol_get_sysvar": sol_get_sysvar,
    "sol_secp256k1_recover": sol_secp256k1_recover,
    "sol_set_return_data": sol_set_return_data,
    "sol_get_return_data": sol_get_return_data,
    "sol_get_stack_height": sol_get_stack_height,
    "sol_alloc_free_": sol_alloc_free,
    "sol_get_processed_sibling_instruction": sol_get_processed_sibling_instruction,
    "sol_invoke_signed_c": _cpi("sol_invoke_signed_c"),
    "sol_invoke_signed_rust": _cpi("sol_invoke_signed_rust"),
}

# curve25519, alt_bn128 and Poseidon (jitvm/svm/crypto_syscalls.py), epoch stake (jitvm/svm/epoch_stake.py).
from jitvm.svm.crypto_syscalls import CRYPTO_SYSCALLS  # noqa: E402
from jitvm.svm.epoch_stake import sol_get_epoch_stake  # noqa: E402

SYSCALLS.update(CRYPTO_SYSCALLS, sol_get_epoch_stake=sol_get_epoch_stake)
