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


_unpack_lamports_and_length = struct.Struct("<QQ").unpack_from
_pack_u64 = struct.Struct("<Q").pack_into
# marker, is_signer, is_writable, executable, 4 bytes of padding, key, owner, lamports, data length
_pack_aligned_head = struct.Struct("<4B4x32s32sQQ").pack_into
_pack_unaligned_head = struct.Struct("<3B32sQQ").pack_into  # marker, signer, writable, key, lamports, length
_pack_unaligned_tail = struct.Struct("<32s?Q").pack_into  # owner, executable, rent epoch
ALIGNED_HEAD = 88  # the lamports are at +72
ALIGNED_FIXED = ALIGNED_HEAD + MAX_PERMITTED_DATA_INCREASE + 8  # an account's bytes besides its data
UNALIGNED_FIXED = 51 + 41
DUPLICATE_SIZE = {True: 8, False: 1}


def serialize(context: TransactionContext, aligned: bool) -> tuple[bytearray, list[tuple[int, int]], int]:
    """The input buffer, per instruction account (offset of its lamports, its data length), and the
    offset of the instruction data. The buffer is allocated zeroed at its final size, so padding and
    realloc room are never written."""
    frame = context.frame
    accounts, keys = context.accounts, context.keys
    first_position: dict[int, int] = {}  # transaction index -> position of its first occurrence
    size = 8
    for position, instruction_account in enumerate(frame.accounts):
        index = instruction_account.index_in_transaction
        if first_position.setdefault(index, position) != position:
            size += DUPLICATE_SIZE[aligned]
        elif aligned:
            length = len(accounts[index].data)
            size += ALIGNED_FIXED + length + (-length % ALIGN)
        else:
            size += UNALIGNED_FIXED + len(accounts[index].data)
    data_offset = size + 8
    out = bytearray(data_offset + len(frame.data) + 32)
    _pack_u64(out, 0, len(frame.accounts))
    layout: list[tuple[int, int]] = []
    offset = 8
    for position, instruction_account in enumerate(frame.accounts):
        index = instruction_account.index_in_transaction
        first = first_position[index]
        if first != position:
            out[offset] = first
            offset += DUPLICATE_SIZE[aligned]
            layout.append((-1, 0))
            continue
        account = accounts[index]
        data = account.data
        length = len(data)
        if aligned:
            _pack_aligned_head(out, offset, NON_DUP_MARKER, instruction_account.is_signer,
                               instruction_account.is_writable, account.executable, keys[index], account.owner,
                               account.lamports, length)
            lamports_offset = offset + 72
            offset += ALIGNED_HEAD
            out[offset:offset + length] = data
            offset += length + MAX_PERMITTED_DATA_INCREASE + (-length % ALIGN)
            _pack_u64(out, offset, account.rent_epoch)
            offset += 8
        else:
            _pack_unaligned_head(out, offset, NON_DUP_MARKER, instruction_account.is_signer,
                                 instruction_account.is_writable, keys[index], account.lamports, length)
            lamports_offset = offset + 35
            offset += 51
            out[offset:offset + length] = data
            offset += length
            _pack_unaligned_tail(out, offset, account.owner, account.executable, account.rent_epoch)
            offset += 41
        layout.append((lamports_offset, length))
    _pack_u64(out, offset, len(frame.data))
    out[data_offset:data_offset + len(frame.data)] = frame.data
    out[data_offset + len(frame.data):] = frame.program_id
    return out, layout, data_offset


def deserialize(context: TransactionContext, buffer, layout: list[tuple[int, int]], aligned: bool) -> None:
    """Apply what the program left in `buffer` (the input bytearray, or the input region's uint8
    array) to the accounts, through the BorrowedAccount checks. Data the program left as it was
    needs no check: Agave compares it and moves on (or sets the same bytes, which changes nothing)."""
    if not isinstance(buffer, bytearray):
        buffer = bytearray(buffer)  # the reference's own copy of the input region
    frame = context.frame
    for position, (lamports_offset, pre_length) in enumerate(layout):
        if lamports_offset < 0:
            continue
        stored = context.accounts[frame.accounts[position].index_in_transaction]
        lamports, post_length = _unpack_lamports_and_length(buffer, lamports_offset)
        account = None
        if stored.lamports != lamports:
            account = context.borrow(position)
            account.set_lamports(lamports)
        data_start = lamports_offset + 16
        if aligned:
            if post_length - pre_length > MAX_PERMITTED_DATA_INCREASE or post_length > MAX_PERMITTED_DATA_LENGTH:
                raise InstructionError("InvalidRealloc")
        else:
            post_length = pre_length  # v1 cannot resize: the length field is not read back
        if len(stored.data) != post_length or not buffer.startswith(stored.data, data_start):
            # checks resize, then change
            (account or context.borrow(position)).set_data_from_slice(buffer[data_start:data_start + post_length])
        if aligned and not buffer.startswith(stored.owner, lamports_offset - 32):
            (account or context.borrow(position)).set_owner(bytes(buffer[lamports_offset - 32:lamports_offset]))
