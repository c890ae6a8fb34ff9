"""The runtime's cryptographic syscalls beyond hashing: curve25519 point validation, group operations
and multiscalar multiplication (Edwards and Ristretto), alt_bn128 group operations (G1/G2 addition and
multiplication, pairing) and compression, Poseidon, and sol_blake3. Costs, argument checks and their
order as Agave charges and makes them (agave syscalls: SyscallCurve*, SyscallAltBn128*,
SyscallPoseidon, SyscallHash<Blake3>); the arithmetic is in jitvm.svm.curve25519 and jitvm.svm.bn254,
Poseidon is light-poseidon's (the crate Agave uses), BLAKE3 the `blake3` package's.

sol_blake3 is written but not registered: Agave keeps it behind a feature LiteSVM leaves off, so a
program calling it fails there with "unsupported BPF instruction", and jitvm does the same."""

from __future__ import annotations

import struct

from jitvm.svm import curve25519
from jitvm.svm.errors import SyscallError

# curve25519 (solana-curve25519's curve ids and group operations)
CURVE25519_EDWARDS, CURVE25519_RISTRETTO = 0, 1
ADD, SUB, MUL = 0, 1, 2
VALIDATE_COST = {CURVE25519_EDWARDS: 159, CURVE25519_RISTRETTO: 169}
GROUP_OP_COST = {(CURVE25519_EDWARDS, ADD): 473, (CURVE25519_EDWARDS, SUB): 475, (CURVE25519_EDWARDS, MUL): 2177,
                 (CURVE25519_RISTRETTO, ADD): 521, (CURVE25519_RISTRETTO, SUB): 519,
                 (CURVE25519_RISTRETTO, MUL): 2208}
MSM_COST = {CURVE25519_EDWARDS: (2273, 758), CURVE25519_RISTRETTO: (2303, 788)}  # base, per extra point
MSM_MAX_POINTS = 512

# alt_bn128 (solana-bn254's operation codes; | 0x80 is the little-endian form)
LITTLE_ENDIAN = 0x80
G1_ADD, G1_MUL, PAIRING, G2_ADD, G2_MUL = 0, 2, 3, 4, 6
# jitvm.svm.bn254's function, cost, output size (bn254 loads py_ecc: imported on first use)
BN_GROUP_OPS = {G1_ADD: ("g1_add", 334, 64), G1_MUL: ("g1_multiply", 3840, 64), G2_ADD: ("g2_add", 535, 128),
                G2_MUL: ("g2_multiply", 15670, 128), PAIRING: ("pairing", None, 32)}
PAIRING_ELEMENT_SIZE = 192
PAIRING_FIRST, PAIRING_OTHER = 36_364, 12_121
SHA256_BASE_COST = 85
BN_COMPRESSION_OPS = {0: ("g1_compress", 30, 32), 1: ("g1_decompress", 398, 64), 2: ("g2_compress", 86, 64),
                      3: ("g2_decompress", 13_610, 128)}
SYSCALL_BASE_COST = 100

# Poseidon
POSEIDON_MAX_INPUTS = 12
POSEIDON_COST_A, POSEIDON_COST_C = 61, 542  # cost = a * n^2 + c
POSEIDON_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617  # BN254's r


def _points(call, address: int, count: int) -> list[bytes]:
    payload = call.read(address, 32 * count)
    return [payload[i:i + 32] for i in range(0, len(payload), 32)]


# -- curve25519 ------------------------------------------------------------------------------------

def _decompress(curve: int, encoded: bytes):
    return (curve25519.edwards_decompress if curve == CURVE25519_EDWARDS else curve25519.ristretto_decompress)(encoded)


def _compress(curve: int, point) -> bytes:
    return (curve25519.edwards_compress if curve == CURVE25519_EDWARDS else curve25519.ristretto_compress)(point)


def sol_curve_validate_point(runtime, call, curve, point_address, *_):
    if curve not in VALIDATE_COST:
        raise SyscallError("InvalidAttribute")  # abort_on_invalid_curve
    call.consume(VALIDATE_COST[curve])
    return 0 if _decompress(curve, call.read(point_address, 32)) is not None else 1


def sol_curve_group_op(runtime, call, curve, operation, left_address, right_address, result_address):
    if (curve, operation) not in GROUP_OP_COST:
        raise SyscallError("InvalidAttribute")
    call.consume(GROUP_OP_COST[(curve, operation)])
    left, right = call.read(left_address, 32), call.read(right_address, 32)
    point = _decompress(curve, right)
    if operation == MUL:
        scalar = curve25519.canonical_scalar(left)
        result = curve25519.multiply(scalar, point) if scalar is not None and point is not None else None
    else:
        first = _decompress(curve, left)
        if first is None or point is None:
            result = None
        else:
            result = curve25519.add(first, point if operation == ADD else curve25519.negate(point))
    if result is None:
        return 1
    call.writable(result_address, 32)
    call.write(result_address, _compress(curve, result))
    return 0


def sol_curve_multiscalar_mul(runtime, call, curve, scalars_address, points_address, count, result_address):
    if count > MSM_MAX_POINTS:
        raise SyscallError("InvalidLength")
    if curve not in MSM_COST:
        raise SyscallError("InvalidAttribute")
    base, per_point = MSM_COST[curve]
    call.consume(base + per_point * max(count - 1, 0))
    scalars = [curve25519.canonical_scalar(encoded) for encoded in _points(call, scalars_address, count)]
    points = [_decompress(curve, encoded) for encoded in _points(call, points_address, count)]
    if any(scalar is None for scalar in scalars) or any(point is None for point in points):
        return 1
    total = curve25519.IDENTITY
    for scalar, point in zip(scalars, points):
        total = curve25519.add(total, curve25519.multiply(scalar, point))
    call.writable(result_address, 32)
    call.write(result_address, _compress(curve, total))
    return 0


# -- alt_bn128 -------------------------------------------------------------------------------------

def _bn254(name: str):
    from jitvm.svm import bn254

    return getattr(bn254, name)


def sol_alt_bn128_group_op(runtime, call, operation, input_address, input_size, result_address, _5):
    entry = BN_GROUP_OPS.get(operation & ~LITTLE_ENDIAN)
    if entry is None:
        raise SyscallError("InvalidAttribute")
    function, cost, output_size = entry
    if cost is None:  # the pairing: per pair, plus hashing-like costs on the input
        pairs = input_size // PAIRING_ELEMENT_SIZE
        cost = PAIRING_FIRST + PAIRING_OTHER * max(pairs - 1, 0) + SHA256_BASE_COST + input_size + output_size
    return _bn254_operation(call, cost, function, output_size, operation, input_address, input_size, result_address)


def _bn254_operation(call, cost: int, function: str, output_size: int, operation: int, input_address: int,
                     input_size: int, result_address: int) -> int:
    """Charge, translate the result then the input (Agave's order), compute; 1 if solana-bn254 refuses."""
    call.consume(cost)
    call.writable(result_address, output_size)
    result = _bn254(function)(call.read(input_address, input_size), bool(operation & LITTLE_ENDIAN))
    if result is None:
        return 1
    call.write(result_address, result)
    return 0


def sol_alt_bn128_compression(runtime, call, operation, input_address, input_size, result_address, _5):
    entry = BN_COMPRESSION_OPS.get(operation & ~LITTLE_ENDIAN)
    if entry is None:
        raise SyscallError("InvalidAttribute")
    function, cost, output_size = entry
    return _bn254_operation(call, SYSCALL_BASE_COST + cost, function, output_size, operation, input_address,
                            input_size, result_address)


# -- Poseidon --------------------------------------------------------------------------------------

def sol_poseidon(runtime, call, parameters, endianness, values_address, count, result_address):
    if parameters != 0:  # Bn254X5, the only parameter set
        raise SyscallError("Invalid parameters.")
    if endianness > 1:
        raise SyscallError("Invalid endianness.")
    if count > POSEIDON_MAX_INPUTS:
        call.log(f"Poseidon hashing {count} sequences is not supported")
        raise SyscallError("InvalidLength")
    call.consume(POSEIDON_COST_A * count * count + POSEIDON_COST_C)
    call.writable(result_address, 32)
    descriptors = call.read(values_address, 16 * count, 8)
    inputs = []
    for index in range(count):
        address, length = struct.unpack_from("<QQ", descriptors, 16 * index)
        inputs.append(call.read(address, length))
    digest = poseidon_hash(inputs, little_endian=endianness == 1)
    if digest is None:
        return 1
    call.write(result_address, digest)
    return 0


def poseidon_hash(inputs: list[bytes], little_endian: bool) -> bytes | None:
    """light-poseidon's circom-compatible hash over BN254 (enforced padding: every input is 32 bytes
    below the field modulus), or None where it refuses the inputs."""
    from light_poseidon_python import Hasher

    if not inputs or any(len(value) != 32 for value in inputs):
        return None
    values = [int.from_bytes(value, "little" if little_endian else "big") for value in inputs]
    if any(value >= POSEIDON_MODULUS for value in values):
        return None
    hasher = Hasher(len(inputs))
    text = hasher.hash_bytes_le(inputs) if little_endian else hasher.hash_bytes_be(inputs)
    return bytes.fromhex(text.removeprefix("0x").rjust(64, "0"))  # the hash's bytes in the chosen order


# -- BLAKE3 (not registered, see the module docstring) ---------------------------------------------

def blake3_digest(payload: bytes) -> bytes:
    import blake3

    return blake3.blake3(payload).digest()


CRYPTO_SYSCALLS = {
    "sol_curve_validate_point": sol_curve_validate_point,
    "sol_curve_group_op": sol_curve_group_op,
    "sol_curve_multiscalar_mul": sol_curve_multiscalar_mul,
    "sol_alt_bn128_group_op": sol_alt_bn128_group_op,
    "sol_alt_bn128_compression": sol_alt_bn128_compression,
    "sol_poseidon": sol_poseidon,
}
