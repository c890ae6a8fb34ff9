"""SPL Token instructions (the Token program's wire format), for tests."""

from __future__ import annotations

import struct

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account

MINT_SIZE = 82
ACCOUNT_SIZE = 165


def _meta(address, signer=False, writable=False):
    return AccountMeta(address, signer, writable)


def create_mint_account(payer, mint, lamports, program):
    return create_account(CreateAccountParams(from_pubkey=payer, to_pubkey=mint, lamports=lamports, space=MINT_SIZE,
                                              owner=program))


def create_token_account(payer, account, lamports, program, space=ACCOUNT_SIZE):
    return create_account(CreateAccountParams(from_pubkey=payer, to_pubkey=account, lamports=lamports, space=space,
                                              owner=program))


def initialize_mint2(program, mint, authority, decimals=2, freeze=None):
    data = bytes([20, decimals]) + bytes(authority) + (b"\x01" + bytes(freeze) if freeze else b"\x00")
    return Instruction(program, data, [_meta(mint, writable=True)])


def initialize_account3(program, account, mint, owner):
    return Instruction(program, bytes([18]) + bytes(owner), [_meta(account, writable=True), _meta(mint)])


def mint_to(program, mint, account, authority, amount):
    return Instruction(program, bytes([7]) + struct.pack("<Q", amount),
                       [_meta(mint, writable=True), _meta(account, writable=True), _meta(authority, signer=True)])


def transfer(program, source, destination, owner, amount, signer=True):
    return Instruction(program, bytes([3]) + struct.pack("<Q", amount),
                       [_meta(source, writable=True), _meta(destination, writable=True), _meta(owner, signer=signer)])


def transfer_checked(program, source, mint, destination, owner, amount, decimals):
    return Instruction(program, bytes([12]) + struct.pack("<QB", amount, decimals),
                       [_meta(source, writable=True), _meta(mint), _meta(destination, writable=True),
                        _meta(owner, signer=True)])


def approve(program, source, delegate, owner, amount):
    return Instruction(program, bytes([4]) + struct.pack("<Q", amount),
                       [_meta(source, writable=True), _meta(delegate), _meta(owner, signer=True)])


def burn(program, account, mint, owner, amount):
    return Instruction(program, bytes([8]) + struct.pack("<Q", amount),
                       [_meta(account, writable=True), _meta(mint, writable=True), _meta(owner, signer=True)])


def close_account(program, account, destination, owner):
    return Instruction(program, bytes([9]),
                       [_meta(account, writable=True), _meta(destination, writable=True), _meta(owner, signer=True)])


def get_account_data_size(program, mint):
    return Instruction(program, bytes([21]), [_meta(mint)])


def memo(program, text: bytes, signers=()):
    return Instruction(program, text, [_meta(signer, signer=True) for signer in signers])


def create_associated_token_account(payer, wallet, mint, token_program, ata_program, idempotent=False):
    address, _ = Pubkey.find_program_address([bytes(wallet), bytes(token_program), bytes(mint)], ata_program)
    system = Pubkey.default()
    return address, Instruction(ata_program, bytes([1]) if idempotent else b"", [
        _meta(payer, signer=True, writable=True), _meta(address, writable=True), _meta(wallet), _meta(mint),
        _meta(system), _meta(token_program)])
