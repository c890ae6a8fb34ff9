"""The BPF loaders' input buffer: accounts, instruction data and program id as the program sees
them at r1, and the checks that carry the program's changes back to the accounts.

Aligned layout (loaders v2 and v3), per account:
    u8 0xff (or the index of the first occurrence and 7 bytes of padding for a duplicate)
    u8 is_signer, u8 is_writable, u8 executable, 4 bytes padding
    key[32], owner[32], u64 lamports, u64 data length, data, 10 KiB of realloc room,
    padding to 8 bytes, u64 rent epoch
Unaligned layout (loader v1): u8 0xff (or the duplicate's index), u8 is_signer, u8 is_writable,
    key[32], u64 lamports, u64 data length, data, owner[32], u8 executable, u64 rent epoch
Both end with u64 instruction data length, the data, and the program id.
"""

from __future__ import annotations

import struct

from jitvm.svm.context import MAX_PERMITTED_DATA_LENGTH, TransactionContext
from jitvm.svm.errors import InstructionError

NON_DUP_MARKER = 0xFF
MAX_PERMITTED_DATA_INCREASE = 10 * 1024
ALIGN = 8  # BPF_ALIGN_OF_U128


def _align_padding(length: int) -> int:
    return -length % ALIGN


def serialize(context: TransactionContext, aligned: bool) -> tuple[bytearray, list[tuple[int, int]], int]:
    """The input buffer, per instruction account (offset of its lamports, its data length), and the
    offset of the instruction data."""
    frame = context.frame
    out = bytearray(struct.pack("<Q", len(frame.accounts)))
    layout: list[tuple[int, int]] = []
    for position, instruction_account in enumerate(frame.accounts):
        first = frame.first_occurrence(position)
        if first != position:
            out.append(first)
            if aligned:
                out += bytes(7)
            layout.append((-1, 0))
            continue
        account = context.accounts[instruction_account.index_in_transaction]
        key = context.keys[instruction_account.index_in_transaction]
        length = len(account.data)
        if aligned:
            out += bytes((NON_DUP_MARKER, instruction_account.is_signer, instruction_account.is_writable,
                          account.executable)) + bytes(4)
            out += key + account.owner
            lamports_offset = len(out)
            out += struct.pack("<QQ", account.lamports, length)
            out += account.data
            out += bytes(MAX_PERMITTED_DATA_INCREASE + _align_padding(length))
            out += struct.pack("<Q", account.rent_epoch)
        else:
            out += bytes((NON_DUP_MARKER, instruction_account.is_signer, instruction_account.is_writable))
            out += key
            lamports_offset = len(out)
            out += struct.pack("<QQ", account.lamports, length)
            out += account.data
            out += account.owner + bytes((account.executable,)) + struct.pack("<Q", account.rent_epoch)
        layout.append((lamports_offset, length))
    out += struct.pack("<Q", len(frame.data))
    data_offset = len(out)
    out += frame.data + frame.program_id
    return out, layout, data_offset


def deserialize(context: TransactionContext, buffer, layout: list[tuple[int, int]], aligned: bool) -> None:
    """Apply what the program left in `buffer` (bytes or the input region's uint8 array) to the
    accounts, through the BorrowedAccount checks."""
    for position, (lamports_offset, pre_length) in enumerate(layout):
        if lamports_offset < 0:
            continue
        account = context.borrow(position)
        lamports, post_length = struct.unpack_from("<QQ", buffer, lamports_offset)
        if account.lamports != lamports:
            account.set_lamports(lamports)
        data_start = lamports_offset + 16
        if aligned:
            owner = bytes(buffer[lamports_offset - 32:lamports_offset])
            if post_length - pre_length > MAX_PERMITTED_DATA_INCREASE or post_length > MAX_PERMITTED_DATA_LENGTH:
                raise InstructionError("InvalidRealloc")
        else:
            owner = None
            post_length = pre_length  # v1 cannot resize: the length field is not read back
        data = bytes(buffer[data_start:data_start + post_length])
        try:
            account.can_data_be_resized(post_length)
            account.can_data_be_changed()
        except InstructionError:
            if bytes(account.data) != data:
                raise
        else:
            account.set_data_from_slice(data)
        if owner is not None and account.owner != owner:
            account.set_owner(owner)
