"""Durable nonces: the nonce account's state, the System program's nonce instructions, and the
check that lets a transaction carry a nonce instead of a recent blockhash (as LiteSVM does it).

State (bincode, 80 bytes when initialized): u32 version (0 legacy, 1 current), u32 state
(0 uninitialized, 1 initialized), authority[32], durable nonce[32], u64 lamports per signature.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from jitvm.svm.errors import InstructionError
from jitvm.svm.ids import RECENT_BLOCKHASHES, RENT, SYSTEM_PROGRAM, base58

NONCE_STATE_SIZE = 80
LAMPORTS_PER_SIGNATURE = 5_000
NONCE_NO_RECENT_BLOCKHASHES = 6  # SystemError codes
NONCE_BLOCKHASH_NOT_EXPIRED = 7
ADVANCE_NONCE_ACCOUNT = 4


def durable_nonce(blockhash: bytes) -> bytes:
    return hashlib.sha256(b"DURABLE_NONCE" + blockhash).digest()


@dataclass
class NonceState:
    version: int  # 0 legacy, 1 current
    authority: bytes | None  # None: uninitialized
    nonce: bytes = bytes(32)
    lamports_per_signature: int = 0

    @classmethod
    def parse(cls, data: bytes) -> NonceState:
        """bincode's decoding; anything else is InvalidAccountData."""
        if len(data) < 8:
            raise InstructionError("InvalidAccountData")
        version, state = struct.unpack_from("<II", data)
        if version > 1 or state > 1:
            raise InstructionError("InvalidAccountData")
        if state == 0:
            return cls(version, None)
        if len(data) < NONCE_STATE_SIZE:
            raise InstructionError("InvalidAccountData")
        return cls(version, bytes(data[8:40]), bytes(data[40:72]), struct.unpack_from("<Q", data, 72)[0])

    def encode(self) -> bytes:
        if self.authority is None:
            return struct.pack("<II", self.version, 0)
        return struct.pack("<II", self.version, 1) + self.authority + self.nonce + struct.pack(
            "<Q", self.lamports_per_signature)


def is_initialized_nonce_account(data: bytes) -> bool:
    if len(data) != NONCE_STATE_SIZE:
        return False
    try:
        return NonceState.parse(data).authority is not None
    except InstructionError:
        return False


def _get_state(account) -> NonceState:
    return NonceState.parse(bytes(account.data))


def _set_state(account, state: NonceState) -> None:
    encoded = state.encode()
    if len(encoded) > len(account.data):
        raise InstructionError("AccountDataTooSmall")
    account.can_data_be_changed()
    account.data[:len(encoded)] = encoded


def _check_sysvar(context, position: int, sysvar: bytes) -> None:
    if context.key_of(position) != sysvar:
        raise InstructionError("InvalidArgument")


def _recent_blockhashes(context, position: int) -> None:
    _check_sysvar(context, position, RECENT_BLOCKHASHES)
    if not context.sysvars.recent_blockhashes:
        raise InstructionError.custom_error(NONCE_NO_RECENT_BLOCKHASHES)


def advance(context, signers) -> None:
    account = context.borrow(0)
    _recent_blockhashes(context, 1)
    if not account.is_writable:
        context.log_message(f"Advance nonce account: Account {base58(account.key)} must be writeable")
        raise InstructionError("InvalidArgument")
    state = _get_state(account)
    if state.authority is None:
        context.log_message(f"Advance nonce account: Account {base58(account.key)} state is invalid")
        raise InstructionError("InvalidAccountData")
    if state.authority not in signers:
        context.log_message(f"Advance nonce account: Account {base58(state.authority)} must be a signer")
        raise InstructionError("MissingRequiredSignature")
    next_nonce = durable_nonce(context.blockhash)
    if state.nonce == next_nonce:
        context.log_message("Advance nonce account: nonce can only advance once per slot")
        raise InstructionError.custom_error(NONCE_BLOCKHASH_NOT_EXPIRED)
    _set_state(account, NonceState(1, state.authority, next_nonce, LAMPORTS_PER_SIGNATURE))


def withdraw(context, lamports: int, signers) -> None:
    _check_sysvar(context, 2, RECENT_BLOCKHASHES)
    _check_sysvar(context, 3, RENT)
    source = context.borrow(0)
    if not source.is_writable:
        context.log_message(f"Withdraw nonce account: Account {base58(source.key)} must be writeable")
        raise InstructionError("InvalidArgument")
    state = _get_state(source)
    if state.authority is None:
        if lamports > source.lamports:
            context.log_message(f"Withdraw nonce account: insufficient lamports {source.lamports}, need {lamports}")
            raise InstructionError("InsufficientFunds")
        signer = source.key
    else:
        if lamports == source.lamports:
            if state.nonce == durable_nonce(context.blockhash):
                context.log_message("Withdraw nonce account: nonce can only advance once per slot")
                raise InstructionError.custom_error(NONCE_BLOCKHASH_NOT_EXPIRED)
            _set_state(source, NonceState(1, None))
        else:
            amount = lamports + context.rent.minimum_balance(len(source.data))
            if amount >= 1 << 64:
                raise InstructionError("ArithmeticOverflow")
            if amount > source.lamports:
                context.log_message(f"Withdraw nonce account: insufficient lamports {source.lamports}, need {amount}")
                raise InstructionError("InsufficientFunds")
        signer = state.authority
    if signer not in signers:
        context.log_message(f"Withdraw nonce account: Account {base58(signer)} must sign")
        raise InstructionError("MissingRequiredSignature")
    source.checked_sub_lamports(lamports)
    context.borrow(1).checked_add_lamports(lamports)


def initialize(context, authority: bytes) -> None:
    account = context.borrow(0)
    _recent_blockhashes(context, 1)
    _check_sysvar(context, 2, RENT)
    if not account.is_writable:
        context.log_message(f"Initialize nonce account: Account {base58(account.key)} must be writeable")
        raise InstructionError("InvalidArgument")
    state = _get_state(account)
    if state.authority is not None:
        context.log_message(f"Initialize nonce account: Account {base58(account.key)} state is invalid")
        raise InstructionError("InvalidAccountData")
    minimum = context.rent.minimum_balance(len(account.data))
    if account.lamports < minimum:
        context.log_message(f"Initialize nonce account: insufficient lamports {account.lamports}, need {minimum}")
        raise InstructionError("InsufficientFunds")
    _set_state(account, NonceState(1, authority, durable_nonce(context.blockhash), LAMPORTS_PER_SIGNATURE))


def authorize(context, new_authority: bytes, signers) -> None:
    account = context.borrow(0)
    if not account.is_writable:
        context.log_message(f"Authorize nonce account: Account {base58(account.key)} must be writeable")
        raise InstructionError("InvalidArgument")
    state = _get_state(account)
    if state.authority is None:
        context.log_message(f"Authorize nonce account: Account {base58(account.key)} state is invalid")
        raise InstructionError("InvalidAccountData")
    if state.authority not in signers:
        context.log_message(f"Authorize nonce account: Account {base58(state.authority)} must sign")
        raise InstructionError("MissingRequiredSignature")
    _set_state(account, NonceState(state.version, new_authority, state.nonce, state.lamports_per_signature))


def upgrade(context) -> None:
    account = context.borrow(0)
    if account.owner != SYSTEM_PROGRAM:
        raise InstructionError("InvalidAccountOwner")
    if not account.is_writable:
        raise InstructionError("InvalidArgument")
    state = _get_state(account)
    if state.version != 0 or state.authority is None:
        raise InstructionError("InvalidArgument")
    _set_state(account, NonceState(1, state.authority, durable_nonce(state.nonce), state.lamports_per_signature))


def nonce_transaction_allowed(bank, message) -> bool:
    """LiteSVM's check_transaction_for_nonce: the first instruction advances a writable nonce
    account whose durable nonce is the message's blockhash, signed by the nonce's authority."""
    blockhash = message.recent_blockhash
    if blockhash == durable_nonce(bank.blockhash) or not message.instructions:
        return False
    program, indices, data = message.instructions[0]
    if message.keys[program] != SYSTEM_PROGRAM or len(data) < 4 or struct.unpack_from("<I", data)[0] != 4:
        return False
    if not indices or not message.writable[indices[0]]:
        return False
    account = bank.accounts.get(message.keys[indices[0]])
    if account is None or account.owner != SYSTEM_PROGRAM:
        return False
    try:
        state = NonceState.parse(bytes(account.data))
    except InstructionError:
        return False
    if state.authority is None or state.nonce != blockhash:
        return False
    return any(message.keys[index] == state.authority and message.is_signer(index) for index in indices)
