"""Upgradeable-loader (loader v3) management instructions in their bincode wire form, built here
because solders has no builders for them."""

from __future__ import annotations

import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.sysvar import CLOCK, RENT

LOADER_V3 = Pubkey.from_string("BPFLoaderUpgradeab1e11111111111111111111111")
SYSTEM = Pubkey.default()
BUFFER_METADATA_SIZE = 37
PROGRAMDATA_METADATA_SIZE = 45
PROGRAM_SIZE = 36


def programdata_address(program_id: Pubkey) -> Pubkey:
    return Pubkey.find_program_address([bytes(program_id)], LOADER_V3)[0]


def initialize_buffer(buffer: Pubkey, authority: Pubkey) -> Instruction:
    return Instruction(LOADER_V3, struct.pack("<I", 0), [AccountMeta(buffer, False, True),
                                                         AccountMeta(authority, False, False)])


def write(buffer: Pubkey, authority: Pubkey, offset: int, chunk: bytes) -> Instruction:
    data = struct.pack("<IIQ", 1, offset, len(chunk)) + chunk
    return Instruction(LOADER_V3, data, [AccountMeta(buffer, False, True), AccountMeta(authority, True, False)])


def deploy_with_max_data_len(payer: Pubkey, program: Pubkey, buffer: Pubkey, authority: Pubkey,
                             max_data_len: int) -> Instruction:
    return Instruction(LOADER_V3, struct.pack("<IQ", 2, max_data_len), [
        AccountMeta(payer, True, True), AccountMeta(programdata_address(program), False, True),
        AccountMeta(program, False, True), AccountMeta(buffer, False, True), AccountMeta(RENT, False, False),
        AccountMeta(CLOCK, False, False), AccountMeta(SYSTEM, False, False), AccountMeta(authority, True, False)])


def upgrade(program: Pubkey, buffer: Pubkey, authority: Pubkey, spill: Pubkey) -> Instruction:
    return Instruction(LOADER_V3, struct.pack("<I", 3), [
        AccountMeta(programdata_address(program), False, True), AccountMeta(program, False, True),
        AccountMeta(buffer, False, True), AccountMeta(spill, False, True), AccountMeta(RENT, False, False),
        AccountMeta(CLOCK, False, False), AccountMeta(authority, True, False)])


def set_authority(account: Pubkey, authority: Pubkey, new_authority: Pubkey | None) -> Instruction:
    metas = [AccountMeta(account, False, True), AccountMeta(authority, True, False)]
    if new_authority is not None:
        metas.append(AccountMeta(new_authority, False, False))
    return Instruction(LOADER_V3, struct.pack("<I", 4), metas)


def set_authority_checked(account: Pubkey, authority: Pubkey, new_authority: Pubkey) -> Instruction:
    return Instruction(LOADER_V3, struct.pack("<I", 7), [AccountMeta(account, False, True),
                                                         AccountMeta(authority, True, False),
                                                         AccountMeta(new_authority, True, False)])


def close(account: Pubkey, recipient: Pubkey, authority: Pubkey | None = None,
          program: Pubkey | None = None) -> Instruction:
    metas = [AccountMeta(account, False, True), AccountMeta(recipient, False, True)]
    if authority is not None:
        metas.append(AccountMeta(authority, True, False))
    if program is not None:
        metas.append(AccountMeta(program, False, True))
    return Instruction(LOADER_V3, struct.pack("<I", 5), metas)


def extend_program(program: Pubkey, payer: Pubkey | None, additional_bytes: int, *, checked: bool = False,
                   authority: Pubkey | None = None) -> Instruction:
    metas = [AccountMeta(programdata_address(program), False, True), AccountMeta(program, False, True)]
    if checked:
        metas.append(AccountMeta(authority, True, False))
    if payer is not None:
        metas += [AccountMeta(SYSTEM, False, False), AccountMeta(payer, True, True)]
    return Instruction(LOADER_V3, struct.pack("<II", 9 if checked else 6, additional_bytes), metas)
