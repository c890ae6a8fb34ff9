"""Compute Budget instructions (unit limit, unit price, heap frame, loaded-accounts data size), the
transaction's limits they give, and the fee (5,000 lamports per signature plus the priority fee)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from jitvm.svm.errors import InstructionError, TransactionError
from jitvm.svm.ids import (BPF_LOADER, BPF_LOADER_DEPRECATED, BPF_LOADER_UPGRADEABLE, COMPUTE_BUDGET, LOADER_V4,
                           SYSTEM_PROGRAM, key)

COMPUTE_UNITS = 150  # what the Compute Budget program itself consumes
DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT = 200_000
MAX_BUILTIN_ALLOCATION_COMPUTE_UNIT_LIMIT = 3_000
MAX_COMPUTE_UNIT_LIMIT = 1_400_000
MIN_HEAP_FRAME_BYTES = 32 * 1024
MAX_HEAP_FRAME_BYTES = 256 * 1024
HEAP_FRAME_GRANULARITY = 1024
MAX_LOADED_ACCOUNTS_DATA_SIZE_BYTES = 64 * 1024 * 1024
LAMPORTS_PER_SIGNATURE = 5_000
MICRO_LAMPORTS_PER_LAMPORT = 1_000_000

# Builtins that are not migrating to BPF: an instruction to one reserves only 3,000 units by default.
BUILTIN_PROGRAMS = frozenset({
    SYSTEM_PROGRAM, COMPUTE_BUDGET, BPF_LOADER, BPF_LOADER_DEPRECATED, BPF_LOADER_UPGRADEABLE, LOADER_V4,
    key("Vote111111111111111111111111111111111111111"), key("ZkE1Gama1Proof11111111111111111111111111111"),
    key("Ed25519SigVerify111111111111111111111111111"), key("KeccakSecp256k11111111111111111111111111111"),
    key("Secp256r1SigVerify1111111111111111111111111"),  # the precompiles
})


@dataclass(frozen=True)
class ComputeBudgetLimits:
    compute_unit_limit: int
    compute_unit_price: int  # micro-lamports per unit
    heap_size: int
    loaded_accounts_bytes: int

    def prioritization_fee(self) -> int:
        micro_lamports = self.compute_unit_price * self.compute_unit_limit
        return min((micro_lamports + MICRO_LAMPORTS_PER_LAMPORT - 1) // MICRO_LAMPORTS_PER_LAMPORT, (1 << 64) - 1)


def limits_of(instructions: list[tuple[bytes, bytes]]) -> ComputeBudgetLimits:
    """The limits a message asks for; `instructions` are (program id, data). Raises TransactionError."""
    requested: dict[int, tuple[int, int]] = {}  # instruction tag -> (index, value)
    builtin, other = 0, 0
    for index, (program_id, data) in enumerate(instructions):
        if program_id == COMPUTE_BUDGET:
            tag, value = _decode(index, data)
            if tag in requested:
                raise TransactionError("DuplicateInstruction", index=index)
            requested[tag] = (index, value)
        if program_id in BUILTIN_PROGRAMS:
            builtin += 1
        else:
            other += 1
    heap = MIN_HEAP_FRAME_BYTES
    if 1 in requested:
        index, heap = requested[1]
        if not (MIN_HEAP_FRAME_BYTES <= heap <= MAX_HEAP_FRAME_BYTES and heap % HEAP_FRAME_GRANULARITY == 0):
            raise TransactionError.instruction(index, InstructionError("InvalidInstructionData"))
    if 2 in requested:
        limit = requested[2][1]
    else:
        limit = builtin * MAX_BUILTIN_ALLOCATION_COMPUTE_UNIT_LIMIT + other * DEFAULT_INSTRUCTION_COMPUTE_UNIT_LIMIT
    loaded = MAX_LOADED_ACCOUNTS_DATA_SIZE_BYTES
    if 4 in requested:
        loaded = requested[4][1]
        if loaded == 0:
            raise TransactionError("InvalidLoadedAccountsDataSizeLimit")
    return ComputeBudgetLimits(min(limit, MAX_COMPUTE_UNIT_LIMIT), requested.get(3, (0, 0))[1],
                               min(heap, MAX_HEAP_FRAME_BYTES), min(loaded, MAX_LOADED_ACCOUNTS_DATA_SIZE_BYTES))


def _decode(index: int, data: bytes) -> tuple[int, int]:
    """Borsh, without requiring every byte to be used (Agave's try_from_slice_unchecked)."""
    widths = {1: 4, 2: 4, 3: 8, 4: 4}
    if not data or data[0] not in widths or len(data) < 1 + widths[data[0]]:
        raise TransactionError.instruction(index, InstructionError("InvalidInstructionData"))
    tag = data[0]
    value = int.from_bytes(data[1:1 + widths[tag]], "little")
    return tag, value


def signature_fee(signatures: int) -> int:
    return LAMPORTS_PER_SIGNATURE * signatures


def fee(signatures: int, limits: ComputeBudgetLimits) -> int:
    return signature_fee(signatures) + limits.prioritization_fee()


def set_compute_unit_limit_data(units: int) -> bytes:
    return bytes([2]) + struct.pack("<I", units)
