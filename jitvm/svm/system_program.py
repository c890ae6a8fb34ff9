"""The System program: create accounts, transfer lamports, assign owners, allocate space (and the
with-seed variants), worded and ordered as Agave's system_processor."""

from __future__ import annotations

import hashlib
import struct

from jitvm.svm import nonce
from jitvm.svm.context import MAX_PERMITTED_DATA_LENGTH, BorrowedAccount, TransactionContext
from jitvm.svm.errors import InstructionError
from jitvm.svm.ids import SYSTEM_PROGRAM, base58

COMPUTE_UNITS = 150
MAX_SEED_LEN = 32
PDA_MARKER = b"ProgramDerivedAddress"
PACKET_DATA_SIZE = 1232

# SystemError codes (Custom(n)).
ACCOUNT_ALREADY_IN_USE = 0
RESULT_WITH_NEGATIVE_LAMPORTS = 1
INVALID_ACCOUNT_DATA_LENGTH = 3
ADDRESS_WITH_SEED_MISMATCH = 5
ADDRESS_ERROR_MAX_SEED_LENGTH = 0  # AddressError variants
ADDRESS_ERROR_ILLEGAL_OWNER = 2


class _Reader:
    """bincode's fixed-width little-endian encoding, failing like Agave's limited_deserialize."""

    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def take(self, size: int) -> bytes:
        if self.offset + size > len(self.data):
            raise InstructionError("InvalidInstructionData")
        chunk = self.data[self.offset:self.offset + size]
        self.offset += size
        return chunk

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.take(8))[0]

    def pubkey(self) -> bytes:
        return self.take(32)

    def string(self) -> str:
        length = self.u64()
        if length > PACKET_DATA_SIZE:
            raise InstructionError("InvalidInstructionData")
        try:
            return self.take(length).decode("utf-8")
        except UnicodeDecodeError:
            raise InstructionError("InvalidInstructionData") from None


def create_with_seed(base: bytes, seed: str, owner: bytes) -> bytes:
    """solana-address's create_with_seed; its AddressError reaches the instruction as Custom(n)."""
    seed_bytes = seed.encode()
    if len(seed_bytes) > MAX_SEED_LEN:
        raise InstructionError.custom_error(ADDRESS_ERROR_MAX_SEED_LENGTH)
    if owner[-len(PDA_MARKER):] == PDA_MARKER:
        raise InstructionError.custom_error(ADDRESS_ERROR_ILLEGAL_OWNER)
    return hashlib.sha256(base + seed_bytes + owner).digest()


class Address:
    """The account an instruction acts on and, for the seed variants, the base that must sign."""

    def __init__(self, context: TransactionContext, address: bytes, with_seed=None):
        self.address, self.base = address, None
        if with_seed is not None:
            base, seed, owner = with_seed
            derived = create_with_seed(base, seed, owner)
            if derived != address:
                context.log_message(f"Create: address {base58(address)} does not match derived address "
                                    f"{base58(derived)}")
                raise InstructionError.custom_error(ADDRESS_WITH_SEED_MISMATCH)
            self.base = base

    def is_signer(self, signers: set[bytes]) -> bool:
        return (self.base if self.base is not None else self.address) in signers

    def __str__(self) -> str:  # Rust's Debug of the Address struct
        base = f"Some({base58(self.base)})" if self.base is not None else "None"
        return f"Address {{ address: {base58(self.address)}, base: {base} }}"


def allocate(context, account: BorrowedAccount, address: Address, space: int, signers) -> None:
    if not address.is_signer(signers):
        context.log_message(f"Allocate: 'to' account {address} must sign")
        raise InstructionError("MissingRequiredSignature")
    if account.data or account.owner != SYSTEM_PROGRAM:
        context.log_message(f"Allocate: account {address} already in use")
        raise InstructionError.custom_error(ACCOUNT_ALREADY_IN_USE)
    if space > MAX_PERMITTED_DATA_LENGTH:
        context.log_message(f"Allocate: requested {space}, max allowed {MAX_PERMITTED_DATA_LENGTH}")
        raise InstructionError.custom_error(INVALID_ACCOUNT_DATA_LENGTH)
    account.set_data_length(space)


def assign(context, account: BorrowedAccount, address: Address, owner: bytes, signers) -> None:
    if account.owner == owner:
        return
    if not address.is_signer(signers):
        context.log_message(f"Assign: account {address} must sign")
        raise InstructionError("MissingRequiredSignature")
    account.set_owner(owner)


def transfer_verified(context: TransactionContext, source: int, destination: int, lamports: int) -> None:
    payer = context.borrow(source)
    if payer.data:
        context.log_message("Transfer: `from` must not carry data")
        raise InstructionError("InvalidArgument")
    if lamports > payer.lamports:
        context.log_message(f"Transfer: insufficient lamports {payer.lamports}, need {lamports}")
        raise InstructionError.custom_error(RESULT_WITH_NEGATIVE_LAMPORTS)
    payer.checked_sub_lamports(lamports)
    context.borrow(destination).checked_add_lamports(lamports)


def transfer(context: TransactionContext, source: int, destination: int, lamports: int) -> None:
    if not context.is_signer(source):
        context.log_message(f"Transfer: `from` account {base58(context.key_of(source))} must sign")
        raise InstructionError("MissingRequiredSignature")
    transfer_verified(context, source, destination, lamports)


def create_account(context, address: Address, lamports: int, space: int, owner: bytes, signers) -> None:
    to = context.borrow(1)
    if to.lamports > 0:
        context.log_message(f"Create Account: account {address} already in use")
        raise InstructionError.custom_error(ACCOUNT_ALREADY_IN_USE)
    allocate(context, to, address, space, signers)
    assign(context, to, address, owner, signers)
    transfer(context, 0, 1, lamports)


def _check_accounts(context: TransactionContext, count: int) -> None:
    if len(context.frame.accounts) < count:
        raise InstructionError("MissingAccount")


def process(context: TransactionContext) -> None:
    """Run the current instruction (the System program is on top of the stack)."""
    data = context.frame.data
    if len(data) > PACKET_DATA_SIZE:
        raise InstructionError("InvalidInstructionData")
    reader = _Reader(data)
    tag = reader.u32()
    signers = context.signers()
    if tag == 0:  # CreateAccount { lamports, space, owner }
        lamports, space, owner = reader.u64(), reader.u64(), reader.pubkey()
        _check_accounts(context, 2)
        create_account(context, Address(context, context.key_of(1)), lamports, space, owner, signers)
    elif tag == 1:  # Assign { owner }
        owner = reader.pubkey()
        _check_accounts(context, 1)
        account = context.borrow(0)
        assign(context, account, Address(context, context.key_of(0)), owner, signers)
    elif tag == 2:  # Transfer { lamports }
        lamports = reader.u64()
        _check_accounts(context, 2)
        transfer(context, 0, 1, lamports)
    elif tag == 3:  # CreateAccountWithSeed { base, seed, lamports, space, owner }
        base, seed = reader.pubkey(), reader.string()
        lamports, space, owner = reader.u64(), reader.u64(), reader.pubkey()
        _check_accounts(context, 2)
        address = Address(context, context.key_of(1), (base, seed, owner))
        create_account(context, address, lamports, space, owner, signers)
    elif tag == 8:  # Allocate { space }
        space = reader.u64()
        _check_accounts(context, 1)
        account = context.borrow(0)
        allocate(context, account, Address(context, context.key_of(0)), space, signers)
    elif tag == 9:  # AllocateWithSeed { base, seed, space, owner }
        base, seed, space, owner = reader.pubkey(), reader.string(), reader.u64(), reader.pubkey()
        _check_accounts(context, 1)
        account = context.borrow(0)
        address = Address(context, context.key_of(0), (base, seed, owner))
        allocate(context, account, address, space, signers)
        assign(context, account, address, owner, signers)
    elif tag == 10:  # AssignWithSeed { base, seed, owner }
        base, seed, owner = reader.pubkey(), reader.string(), reader.pubkey()
        _check_accounts(context, 1)
        account = context.borrow(0)
        assign(context, account, Address(context, context.key_of(0), (base, seed, owner)), owner, signers)
    elif tag == 11:  # TransferWithSeed { lamports, from_seed, from_owner }
        lamports, seed, owner = reader.u64(), reader.string(), reader.pubkey()
        _check_accounts(context, 3)
        _transfer_with_seed(context, seed, owner, lamports)
    elif tag == 4:  # AdvanceNonceAccount
        _check_accounts(context, 1)
        nonce.advance(context, signers)
    elif tag == 5:  # WithdrawNonceAccount(lamports)
        lamports = reader.u64()
        _check_accounts(context, 2)
        nonce.withdraw(context, lamports, signers)
    elif tag == 6:  # InitializeNonceAccount(authority)
        authority = reader.pubkey()
        _check_accounts(context, 1)
        nonce.initialize(context, authority)
    elif tag == 7:  # AuthorizeNonceAccount(authority)
        authority = reader.pubkey()
        _check_accounts(context, 1)
        nonce.authorize(context, authority, signers)
    elif tag == 12:  # UpgradeNonceAccount
        _check_accounts(context, 1)
        nonce.upgrade(context)
    elif tag == 13:  # CreateAccountAllowPrefund { lamports, space, owner } (SIMD-0312)
        lamports, space, owner = reader.u64(), reader.u64(), reader.pubkey()
        _check_accounts(context, 2 if lamports else 1)
        _create_account_allow_prefund(context, lamports, space, owner, signers)
    else:  # unknown tags do not decode
        raise InstructionError("InvalidInstructionData")


def _create_account_allow_prefund(context: TransactionContext, lamports: int, space: int, owner: bytes,
                                  signers) -> None:
    """CreateAccount without its "no lamports yet" rule: the new account (0) may hold lamports
    already; a funding account (1) adds `lamports` after the allocation, when there are any."""
    address = Address(context, context.key_of(0))
    to = context.borrow(0)
    allocate(context, to, address, space, signers)
    assign(context, to, address, owner, signers)
    if lamports:
        transfer(context, 1, 0, lamports)


def _transfer_with_seed(context: TransactionContext, seed: str, owner: bytes, lamports: int) -> None:
    if not context.is_signer(1):
        context.log_message(f"Transfer: 'from' account {base58(context.key_of(1))} must sign")
        raise InstructionError("MissingRequiredSignature")
    derived = create_with_seed(context.key_of(1), seed, owner)
    source = context.key_of(0)
    if source != derived:
        context.log_message(f"Transfer: 'from' address {base58(source)} does not match derived address "
                            f"{base58(derived)}")
        raise InstructionError.custom_error(ADDRESS_WITH_SEED_MISMATCH)
    transfer_verified(context, 0, 2, lamports)
