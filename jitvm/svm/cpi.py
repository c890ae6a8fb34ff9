"""Cross-program invocation (sol_invoke_signed_rust / sol_invoke_signed_c), as Agave's cpi.rs does it:
read the instruction and the signer seeds from the caller's memory, check privileges, copy the
caller's view of each account into the transaction (update_callee_account), run the callee on the
same meter, then copy the callee's changes back into the caller's memory (update_caller_account)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from jitvm.svm.context import InstructionAccount
from jitvm.svm.errors import InstructionError, SyscallError
from jitvm.svm.ids import (BPF_LOADER, BPF_LOADER_DEPRECATED, BPF_LOADER_UPGRADEABLE, LOADER_V4, NATIVE_LOADER,
                           base58)
from jitvm.svm.serialization import MAX_PERMITTED_DATA_INCREASE

INVOKE_UNITS = 946  # SIMD-0339 (increase_cpi_account_info_limit): 946 per invoke ...
ACCOUNT_INFO_BYTE_SIZE = 80  # ... plus 80 bytes per account info at cpi_bytes_per_unit
CPI_BYTES_PER_UNIT = 250
MAX_CPI_INSTRUCTION_DATA_LEN = 10 * 1024
MAX_CPI_INSTRUCTION_ACCOUNTS = 255
MAX_CPI_ACCOUNT_INFOS = 255
MAX_SIGNERS = 16
MAX_SEEDS = 16
MAX_SEED_LEN = 32
# Upgradeable-loader instructions a program may invoke: Upgrade, SetAuthority, Close, ExtendProgram,
# SetAuthorityChecked.
_ALLOWED_UPGRADEABLE_INSTRUCTIONS = {3, 4, 5, 6, 7}


@dataclass
class CallerAccount:
    """Where one account lives in the caller's memory (its AccountInfo's pointers)."""

    lamports_address: int
    owner_address: int
    data_address: int
    data_length: int
    length_field_address: int  # the len of the AccountInfo's data slice
    original_data_length: int


def invoke_signed(runtime, call, rust: bool, instruction_address: int, infos_address: int, infos_count: int,
                  seeds_address: int, seeds_count: int) -> int:
    context = runtime.context
    call.consume(INVOKE_UNITS)
    program_id, metas, data = (_rust_instruction if rust else _c_instruction)(call, instruction_address)
    caller_id = context.frame.program_id
    signers = _signers(call, caller_id, seeds_address, seeds_count)
    is_loader_deprecated = context.accounts[context.frame.program_index].owner == BPF_LOADER_DEPRECATED
    accounts, program_index = _prepare_instruction(context, metas, program_id, signers)
    _check_authorized_program(program_id, data)
    caller_accounts = _translate_accounts(runtime, call, rust, accounts, infos_address, infos_count)
    keep = [(position, caller_account) for position, caller_account in caller_accounts
            if caller_account is not None and _writable_in_callee(accounts, context, position)]

    from jitvm.svm.invoke import process_instruction

    runtime.sync_to_transaction(call.helper)
    try:
        process_instruction(context, program_index, accounts, data)
    finally:
        runtime.sync_from_transaction(call.helper)
    for position, caller_account in keep:
        _update_caller_account(call, context.borrow(position), caller_account, is_loader_deprecated)
    return 0


def _writable_in_callee(accounts: list[InstructionAccount], context, position: int) -> bool:
    index = context.frame.accounts[position].index_in_transaction
    return any(account.is_writable for account in accounts if account.index_in_transaction == index)


# -- reading the instruction -----------------------------------------------------------------------

def _check_instruction_size(account_count: int, data_length: int) -> None:
    if data_length > MAX_CPI_INSTRUCTION_DATA_LEN:
        raise SyscallError(f"Invoked an instruction with data that is too large "
                           f"({data_length} > {MAX_CPI_INSTRUCTION_DATA_LEN})")
    if account_count > MAX_CPI_INSTRUCTION_ACCOUNTS:
        raise SyscallError(f"Invoked an instruction with too many accounts "
                           f"({account_count} > {MAX_CPI_INSTRUCTION_ACCOUNTS})")


def _rust_instruction(call, address: int):
    """StableInstruction: accounts (ptr, cap, len), data (ptr, cap, len), program_id; AccountMeta is
    pubkey, is_signer, is_writable (34 bytes)."""
    raw = call.read(address, 80, 8)
    metas_address, _, metas_count, data_address, _, data_length = struct.unpack_from("<6Q", raw)
    program_id = raw[48:80]
    metas_raw = call.read(metas_address, 34 * metas_count)
    data = call.read(data_address, data_length)
    _check_instruction_size(metas_count, data_length)
    call.consume(data_length // CPI_BYTES_PER_UNIT)
    metas = [(metas_raw[34 * i:34 * i + 32], metas_raw[34 * i + 32] != 0, metas_raw[34 * i + 33] != 0)
             for i in range(metas_count)]
    return program_id, metas, data


def _c_instruction(call, address: int):
    """SolInstruction: program_id*, accounts*, accounts_len, data*, data_len; SolAccountMeta is
    pubkey*, is_writable, is_signer (16 bytes)."""
    program_id_address, metas_address, metas_count, data_address, data_length = struct.unpack(
        "<5Q", call.read(address, 40, 8))
    program_id = call.read(program_id_address, 32)
    metas_raw = call.read(metas_address, 16 * metas_count, 8)
    data = call.read(data_address, data_length)
    _check_instruction_size(metas_count, data_length)
    call.consume(data_length // CPI_BYTES_PER_UNIT)
    metas = []
    for i in range(metas_count):
        key_address, is_writable, is_signer = struct.unpack_from("<QBB", metas_raw, 16 * i)
        metas.append((call.read(key_address, 32), bool(is_signer), bool(is_writable)))
    return program_id, metas, data


def _signers(call, program_id: bytes, address: int, count: int) -> set[bytes]:
    from jitvm.svm.syscalls import create_program_address

    signers: set[bytes] = set()
    if count == 0:
        return signers
    groups = call.read(address, 16 * count, 8)
    if count > MAX_SIGNERS:
        raise SyscallError("Too many signers")
    for index in range(count):
        group_address, group_length = struct.unpack_from("<QQ", groups, 16 * index)
        descriptors = call.read(group_address, 16 * group_length, 8)
        if group_length > MAX_SEEDS:
            raise InstructionError("MaxSeedLengthExceeded")
        seeds = []
        for seed_index in range(group_length):
            seed_address, seed_length = struct.unpack_from("<QQ", descriptors, 16 * seed_index)
            seeds.append(call.read(seed_address, seed_length))
        if any(len(seed) > MAX_SEED_LEN for seed in seeds):
            raise SyscallError("Could not create program address with signer seeds: "
                               "Length of the seed is too long for address generation")
        signer = create_program_address(seeds, program_id)
        if signer is None:
            raise SyscallError("Could not create program address with signer seeds: "
                               "Provided seeds do not result in a valid address")
        signers.add(signer)
    return signers


# -- privileges ------------------------------------------------------------------------------------

def _prepare_instruction(context, metas, program_id: bytes, signers: set[bytes]):
    frame = context.frame
    caller_keys = [context.keys[account.index_in_transaction] for account in frame.accounts]
    unique: list[InstructionAccount] = []
    order: list[int] = []
    for address, is_signer, is_writable in metas:
        index = context.index_of_key(address)
        if index is None:
            context.log_message(f"Instruction references an unknown account {base58(address)}")
            raise InstructionError("MissingAccount")
        existing = next((i for i, account in enumerate(unique) if account.index_in_transaction == index), None)
        if existing is not None:
            unique[existing].is_signer |= is_signer
            unique[existing].is_writable |= is_writable
            order.append(existing)
            continue
        if address not in caller_keys:
            context.log_message(f"Instruction references an unknown account {base58(address)}")
            raise InstructionError("MissingAccount")
        order.append(len(unique))
        unique.append(InstructionAccount(index, caller_keys.index(address), is_signer, is_writable))
    for account in unique:
        caller = frame.accounts[account.index_in_caller]
        address = context.keys[account.index_in_transaction]
        if account.is_writable and not caller.is_writable:
            context.log_message(f"{base58(address)}'s writable privilege escalated")
            raise InstructionError("PrivilegeEscalation")
        if account.is_signer and not (caller.is_signer or address in signers):
            context.log_message(f"{base58(address)}'s signer privilege escalated")
            raise InstructionError("PrivilegeEscalation")
    accounts = [InstructionAccount(unique[i].index_in_transaction, unique[i].index_in_caller, unique[i].is_signer,
                                   unique[i].is_writable) for i in order]
    if program_id not in caller_keys:
        context.log_message(f"Unknown program {base58(program_id)}")
        raise InstructionError("MissingAccount")
    program_index = frame.accounts[caller_keys.index(program_id)].index_in_transaction
    return accounts, program_index


def _check_authorized_program(program_id: bytes, data: bytes) -> None:
    upgradeable_allowed = (program_id == BPF_LOADER_UPGRADEABLE and len(data) >= 4
                           and struct.unpack_from("<I", data)[0] in _ALLOWED_UPGRADEABLE_INSTRUCTIONS)
    from jitvm.svm.precompiles import PRECOMPILES

    if program_id in (NATIVE_LOADER, BPF_LOADER, BPF_LOADER_DEPRECATED, LOADER_V4) or program_id in PRECOMPILES or (
            program_id == BPF_LOADER_UPGRADEABLE and not upgradeable_allowed):
        raise SyscallError(f"Program {base58(program_id)} not supported by inner instructions")


# -- account infos ---------------------------------------------------------------------------------

def _translate_accounts(runtime, call, rust: bool, accounts: list[InstructionAccount], infos_address: int,
                        infos_count: int) -> list[tuple[int, CallerAccount | None]]:
    context = runtime.context
    info_size = 48 if rust else 56
    infos = call.read(infos_address, info_size * infos_count, 8)
    if infos_count > MAX_CPI_ACCOUNT_INFOS:
        raise SyscallError(f"Invoked an instruction with too many account info's "
                           f"({infos_count} > {MAX_CPI_ACCOUNT_INFOS})")
    call.consume(infos_count * ACCOUNT_INFO_BYTE_SIZE // CPI_BYTES_PER_UNIT)
    keys = [call.read(struct.unpack_from("<Q", infos, info_size * i)[0], 32) for i in range(infos_count)]
    result: list[tuple[int, CallerAccount | None]] = []
    seen: set[int] = set()
    for account in accounts:
        if account.index_in_transaction in seen:
            continue  # a duplicate of an earlier instruction account
        seen.add(account.index_in_transaction)
        callee = context.borrow(account.index_in_caller)
        address = context.keys[account.index_in_transaction]
        if callee.account.executable:
            call.consume(len(callee.data) // CPI_BYTES_PER_UNIT)
            continue
        if address not in keys:
            context.log_message(f"Instruction references an unknown account {base58(address)}")
            raise InstructionError("MissingAccount")
        offset = info_size * keys.index(address)
        original = runtime.original_lengths[account.index_in_caller]
        caller_account = (_rust_account(call, infos, offset, original) if rust
                          else _c_account(call, infos, offset, original, infos_address))
        _update_callee_account(call, callee, caller_account)
        result.append((account.index_in_caller, caller_account))
    return result


def _rust_account(call, infos: bytes, offset: int, original: int) -> CallerAccount:
    """AccountInfo: key*, lamports Rc<RefCell<&mut u64>>, data Rc<RefCell<&mut [u8]>>, owner*, rent_epoch,
    flags; the RefCell's value sits 24 bytes into the Rc's box."""
    _, lamports_box, data_box, owner_address = struct.unpack_from("<4Q", infos, offset)
    lamports_address = struct.unpack("<Q", call.read(lamports_box + 24, 8, 8))[0]
    call.writable(lamports_address, 8, 8)
    call.writable(owner_address, 32)
    data_address, data_length = struct.unpack("<QQ", call.read(data_box + 24, 16, 8))
    call.consume(data_length // CPI_BYTES_PER_UNIT)
    call.writable(data_box + 32, 8, 8)
    call.writable(data_address, data_length)
    return CallerAccount(lamports_address, owner_address, data_address, data_length, data_box + 32, original)


def _c_account(call, infos: bytes, offset: int, original: int, infos_address: int) -> CallerAccount:
    """SolAccountInfo: key*, lamports*, data_len, data*, owner*, rent_epoch, is_signer, is_writable, executable."""
    _, lamports_address, data_length, data_address, owner_address = struct.unpack_from("<5Q", infos, offset)
    call.writable(lamports_address, 8, 8)
    call.writable(owner_address, 32)
    call.consume(data_length // CPI_BYTES_PER_UNIT)
    call.writable(data_address, data_length)
    length_field = infos_address + offset + 16  # this SolAccountInfo's data_len
    return CallerAccount(lamports_address, owner_address, data_address, data_length, length_field, original)


def _update_callee_account(call, callee, caller: CallerAccount) -> None:
    lamports = struct.unpack("<Q", call.read(caller.lamports_address, 8))[0]
    if callee.lamports != lamports:
        callee.set_lamports(lamports)
    data = call.read(caller.data_address, caller.data_length)
    try:
        callee.can_data_be_resized(len(data))
        callee.can_data_be_changed()
    except InstructionError:
        if bytes(callee.data) != data:
            raise
    else:
        callee.set_data_from_slice(data)
    owner = call.read(caller.owner_address, 32)
    if callee.owner != owner:
        callee.set_owner(owner)


def _update_caller_account(call, callee, caller: CallerAccount, is_loader_deprecated: bool) -> None:
    call.write(caller.lamports_address, struct.pack("<Q", callee.lamports))
    call.write(caller.owner_address, callee.owner)
    previous, post = caller.data_length, len(callee.data)
    if previous != post:
        if post > caller.original_data_length + MAX_PERMITTED_DATA_INCREASE:
            call.log(f"Account data size realloc limited to {MAX_PERMITTED_DATA_INCREASE} in inner instructions")
            raise InstructionError("InvalidRealloc")
        if post < previous:
            call.write(caller.data_address + post, bytes(previous - post))
        call.writable(caller.data_address, post)
        if caller.length_field_address >= 0:
            call.write(caller.length_field_address, struct.pack("<Q", post))
        call.writable(caller.data_address - 8, 8, 8)
        call.write(caller.data_address - 8, struct.pack("<Q", post))
        caller.data_length = post
    call.write(caller.data_address, bytes(callee.data))
