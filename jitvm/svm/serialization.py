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


_ZEROS = memoryview(bytes(MAX_PERMITTED_DATA_INCREASE + ALIGN))  # realloc room and padding, sliced
_ALIGNED_HEADERS = {flags: bytes((NON_DUP_MARKER, *flags)) + bytes(4)  # marker, signer, writable, executable
                    for flags in ((s, w, e) for s in (0, 1) for w in (0, 1) for e in (0, 1))}
_DUPLICATE_PADDING = bytes(7)
_pack_u64 = struct.Struct("<Q").pack
_pack_lamports_and_length = struct.Struct("<QQ").pack
_unpack_lamports_and_length = struct.Struct("<QQ").unpack_from


def serialize(context: TransactionContext, aligned: bool) -> tuple[bytearray, list[tuple[int, int]], int]:
    """The input buffer, per instruction account (offset of its lamports, its data length), and the
    offset of the instruction data."""
    frame = context.frame
    accounts, keys = context.accounts, context.keys
    out = bytearray(_pack_u64(len(frame.accounts)))
    layout: list[tuple[int, int]] = []
    first_position: dict[int, int] = {}  # transaction index -> position of its first occurrence
    for position, instruction_account in enumerate(frame.accounts):
        index = instruction_account.index_in_transaction
        first = first_position.setdefault(index, position)
        if first != position:
            out.append(first)
            if aligned:
                out += _DUPLICATE_PADDING
            layout.append((-1, 0))
            continue
        account = accounts[index]
        length = len(account.data)
        if aligned:
            out += _ALIGNED_HEADERS[(int(instruction_account.is_signer), int(instruction_account.is_writable),
                                     int(account.executable))]
            out += keys[index]
            out += account.owner
            lamports_offset = len(out)
            out += _pack_lamports_and_length(account.lamports, length)
            out += account.data
            out += _ZEROS[:MAX_PERMITTED_DATA_INCREASE + (-length % ALIGN)]
            out += _pack_u64(account.rent_epoch)
        else:
            out += bytes((NON_DUP_MARKER, instruction_account.is_signer, instruction_account.is_writable))
            out += keys[index]
            lamports_offset = len(out)
            out += _pack_lamports_and_length(account.lamports, length)
            out += account.data
            out += account.owner + bytes((account.executable,)) + _pack_u64(account.rent_epoch)
        layout.append((lamports_offset, length))
    out += _pack_u64(len(frame.data))
    data_offset = len(out)
    out += frame.data
    out += frame.program_id
    return out, layout, data_offset


def deserialize(context: TransactionContext, buffer, layout: list[tuple[int, int]], aligned: bool) -> None:
    """Apply what the program left in `buffer` (the input bytearray, or the input region's uint8
    array) to the accounts, through the BorrowedAccount checks. Data the program left as it was
    needs no check: Agave compares it and moves on (or sets the same bytes, which changes nothing)."""
    view = memoryview(buffer)
    frame = context.frame
    for position, (lamports_offset, pre_length) in enumerate(layout):
        if lamports_offset < 0:
            continue
        stored = context.accounts[frame.accounts[position].index_in_transaction]
        lamports, post_length = _unpack_lamports_and_length(view, lamports_offset)
        account = None
        if stored.lamports != lamports:
            account = context.borrow(position)
            account.set_lamports(lamports)
        data_start = lamports_offset + 16
        if aligned:
            owner = view[lamports_offset - 32:lamports_offset]
            if post_length - pre_length > MAX_PERMITTED_DATA_INCREASE or post_length > MAX_PERMITTED_DATA_LENGTH:
                raise InstructionError("InvalidRealloc")
        else:
            owner = None
            post_length = pre_length  # v1 cannot resize: the length field is not read back
        data = view[data_start:data_start + post_length]
        if len(stored.data) != post_length or stored.data != data:
            (account or context.borrow(position)).set_data_from_slice(bytes(data))  # checks resize, then change
        if owner is not None and stored.owner != owner:
            (account or context.borrow(position)).set_owner(bytes(owner))
