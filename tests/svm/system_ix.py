"""System program instructions in their bincode wire format, for tests (any field may be odd on purpose)."""

from __future__ import annotations

import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

SYSTEM = Pubkey.default()


def _seed(seed: str) -> bytes:
    return struct.pack("<Q", len(seed.encode())) + seed.encode()


def _ix(data: bytes, metas) -> Instruction:
    return Instruction(SYSTEM, data, [AccountMeta(address, signer, writable) for address, signer, writable in metas])


def create_account(payer, new, lamports, space, owner, new_signs=True):
    return _ix(struct.pack("<IQQ", 0, lamports, space) + bytes(owner), [(payer, True, True), (new, new_signs, True)])


def create_account_allow_prefund(new, lamports, space, owner, funder=None, new_signs=True):
    metas = [(new, new_signs, True)] + ([(funder, True, True)] if funder is not None else [])
    return _ix(struct.pack("<IQQ", 13, lamports, space) + bytes(owner), metas)


def assign(account, owner, signs=True):
    return _ix(struct.pack("<I", 1) + bytes(owner), [(account, signs, True)])


def transfer(source, destination, lamports, source_signs=True, destination_writable=True):
    return _ix(struct.pack("<IQ", 2, lamports),
               [(source, source_signs, True), (destination, False, destination_writable)])


def create_account_with_seed(payer, new, base, seed, lamports, space, owner):
    data = struct.pack("<I", 3) + bytes(base) + _seed(seed) + struct.pack("<QQ", lamports, space) + bytes(owner)
    metas = [(payer, True, True), (new, False, True)]
    if base != payer:
        metas.append((base, True, False))
    return _ix(data, metas)


def allocate(account, space, signs=True):
    return _ix(struct.pack("<IQ", 8, space), [(account, signs, True)])


def allocate_with_seed(account, base, seed, space, owner):
    return _ix(struct.pack("<I", 9) + bytes(base) + _seed(seed) + struct.pack("<Q", space) + bytes(owner),
               [(account, False, True), (base, True, False)])


def assign_with_seed(account, base, seed, owner):
    return _ix(struct.pack("<I", 10) + bytes(base) + _seed(seed) + bytes(owner),
               [(account, False, True), (base, True, False)])


def transfer_with_seed(source, base, seed, owner, destination, lamports):
    return _ix(struct.pack("<IQ", 11, lamports) + _seed(seed) + bytes(owner),
               [(source, False, True), (base, True, False), (destination, False, True)])


def raw(data: bytes, metas=()):
    return _ix(data, metas)
