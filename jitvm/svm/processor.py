"""One transaction, start to end, in LiteSVM's order: sanitize, verify signatures, lock accounts,
check the blockhash, read the compute budget, refuse a replay, load accounts and validate the fee
payer, check the programs, execute the instructions, check rent states, then commit (or charge only
the fee)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from solders.message import Message as LegacyMessage

from jitvm.svm import compute_budget
from jitvm.svm.accounts import Account
from jitvm.svm.context import InstructionAccount, LogCollector, TransactionContext
from jitvm.svm.errors import InstructionError, TransactionError
from jitvm.svm.ids import (BPF_LOADER_UPGRADEABLE, INSTRUCTIONS, NATIVE_LOADER, RESERVED_KEYS, SYSTEM_PROGRAM,
                           SYSVAR_OWNER)
from jitvm.svm.invoke import process_instruction
from jitvm.svm.nonce import NONCE_STATE_SIZE, is_initialized_nonce_account, nonce_transaction_allowed
from jitvm.svm.precompiles import PRECOMPILES, signature_count
from jitvm.svm.precompiles import process as run_precompile
from jitvm.svm.rent import rent_state, transition_allowed
from jitvm.svm.signatures import transaction_verified

MAX_TX_ACCOUNT_LOCKS = 128


@dataclass(slots=True)
class TransactionOutcome:
    signature: bytes
    error: TransactionError | None
    compute_units_consumed: int = 0
    fee: int = 0
    logs: list[str] = field(default_factory=list)
    return_data: tuple[bytes, bytes] = (bytes(32), b"")
    post_accounts: dict[bytes, Account] = field(default_factory=dict)  # what to store
    included: bool = False  # recorded in the history (it was executed, successfully or not)
    trace: tuple = (0, ())  # top-level instruction count, (stack height, frame) of each instruction run


class MessageView:
    """The account flags of a legacy message (solders' Message)."""

    def __init__(self, message, loaded: tuple[list[bytes], list[bytes]] = ([], [])):
        header = message.header
        self.keys = keys = [bytes(address) for address in message.account_keys]
        self.static_count, self.loaded_writable_count = len(keys), len(loaded[0])
        keys += loaded[0] + loaded[1]  # a v0 message's addresses from lookup tables
        self.signed = signed = header.num_required_signatures
        self.readonly_signed = header.num_readonly_signed_accounts
        self.readonly_unsigned = header.num_readonly_unsigned_accounts
        self.instructions = [(ix.program_id_index, bytes(ix.accounts), bytes(ix.data)) for ix in message.instructions]
        self.recent_blockhash = bytes(message.recent_blockhash)
        self.invoked = {program for program, _, _ in self.instructions}
        self.instruction_accounts = {index for _, accounts, _ in self.instructions for index in accounts}
        # Writable by the header: the first signed - readonly_signed keys, the unsigned static ones
        # before the last readonly_unsigned, and the lookups' writable addresses; then reserved keys
        # and (without the upgradeable loader among the keys) invoked programs are demoted to read-only.
        demote_invoked = BPF_LOADER_UPGRADEABLE not in keys
        static = self.static_count
        writable_unsigned_end, writable_loaded_end = static - self.readonly_unsigned, static + self.loaded_writable_count
        self.writable = [
            (index < writable_loaded_end if index >= static
             else index < signed - self.readonly_signed if index < signed else index < writable_unsigned_end)
            and address not in RESERVED_KEYS and not (demote_invoked and index in self.invoked)
            for index, address in enumerate(keys)]

    def is_signer(self, index: int) -> bool:
        return index < self.signed


def message_view(bank, wire_message) -> MessageView:
    """The MessageView of a legacy or v0 message, a v0 message's lookups resolved against the bank's
    tables; raises TransactionError when a lookup fails."""
    lookups = None if type(wire_message) is LegacyMessage else getattr(wire_message, "address_table_lookups", None)
    if not lookups:
        return MessageView(wire_message)
    from jitvm.svm.lookup_tables import load_addresses

    return MessageView(wire_message, load_addresses(bank, lookups))


def process(bank, transaction, *, release_gil: bool = False, message: MessageView | None = None,
            signatures_accepted: bool = False) -> TransactionOutcome:
    """`release_gil`: on a worker thread among others, check signatures without holding the GIL.
    `message`: the transaction's MessageView, already built (by a replay's plan) against this bank's
    lookup tables as they are now. `signatures_accepted`: its signatures were already checked and
    accepted (jitvm.sealevel.sigverify)."""
    signatures = transaction.signatures
    signature = bytes(signatures[0]) if signatures else bytes(64)
    try:
        transaction.sanitize()
    except Exception:
        return TransactionOutcome(signature, TransactionError("SanitizeFailure"))
    wire_message = transaction.message  # solders builds a new object on every access
    if message is None:
        try:
            message = message_view(bank, wire_message)
        except TransactionError as error:
            return TransactionOutcome(signature, error)
    if bank.sigverify and not (signatures_accepted or transaction_verified(transaction, wire_message, message.keys,
                                                                          release_gil=release_gil)):
        return TransactionOutcome(signature, TransactionError("SignatureFailure"))
    if len(set(message.keys)) != len(message.keys):
        return TransactionOutcome(signature, TransactionError("AccountLoadedTwice"))
    if len(message.keys) > MAX_TX_ACCOUNT_LOCKS:
        return TransactionOutcome(signature, TransactionError("TooManyAccountLocks"))
    if (bank.blockhash_check and message.recent_blockhash != bank.blockhash
            and not nonce_transaction_allowed(bank, message)):
        return TransactionOutcome(signature, TransactionError("BlockhashNotFound"))
    try:
        limits = compute_budget.limits_of([(message.keys[program], data)
                                           for program, _, data in message.instructions])
    except TransactionError as error:
        return TransactionOutcome(signature, error)
    if signature in bank.history:
        return TransactionOutcome(signature, TransactionError("AlreadyProcessed"))
    precompile_signatures = sum([signature_count(message.keys[program], data)
                                 for program, _, data in message.instructions if message.keys[program] in PRECOMPILES])
    fee = compute_budget.fee(message.signed + precompile_signatures, limits)
    outcome = TransactionOutcome(signature, None, fee=fee)
    log = LogCollector(bank.log_bytes_limit)
    outcome.logs = log.messages

    accounts, payer = [], None
    stored_accounts, writable = bank.accounts, message.writable
    for index, address in enumerate(message.keys):
        if address == INSTRUCTIONS:
            accounts.append(instructions_sysvar(message))
            continue
        stored = stored_accounts.get(address)
        if stored is None:
            account = Account()
        elif stored.executable and not writable[index]:
            account = stored  # a read-only program account (its whole ELF under loaders v1 and v2): never changed
        else:
            account = stored.copy()
        if payer is None and (index not in message.invoked or index in message.instruction_accounts):
            if account is stored:
                account = stored.copy()  # the fee is taken from it
            problem = _validate_fee_payer(bank, account, index, fee, stored is None)
            if problem is not None:
                outcome.error = problem
                return outcome
            payer = address
        accounts.append(account)
    if payer is None:
        outcome.error = TransactionError("AccountNotFound")
        return outcome
    for program_index, _, _ in message.instructions:
        problem = _check_program(bank, message.keys[program_index], accounts[program_index])
        if problem is not None:
            outcome.error = problem
            return outcome

    context = TransactionContext(message.keys, accounts, limits.compute_unit_limit, log, limits.heap_size,
                                 bank.sysvars.rent, bank.sysvars)
    context.engine = bank.engine
    context.programs = bank.programs
    context.bank_account = bank.accounts.get
    context.blockhash = message.recent_blockhash
    error = None
    signed = message.signed
    has_instructions_sysvar = INSTRUCTIONS in message.keys
    for position, (program_index, indices, data) in enumerate(message.instructions):
        instruction_accounts = [InstructionAccount(index, index, index < signed, writable[index]) for index in indices]
        if has_instructions_sysvar:  # the sysvar's last two bytes: the instruction being executed
            sysvar = accounts[message.keys.index(INSTRUCTIONS)].data
            sysvar[-2:] = struct.pack("<H", position)
        try:
            if message.keys[program_index] in PRECOMPILES:
                run_precompile(context, program_index, instruction_accounts, data,
                               [instruction_data for _, _, instruction_data in message.instructions])
            else:
                process_instruction(context, program_index, instruction_accounts, data)
        except InstructionError as failure:
            error = TransactionError.instruction(position, failure)
            break
    if error is None:
        error = _check_rent(bank, message, accounts)
    outcome.compute_units_consumed = context.meter.used
    outcome.return_data = context.return_data
    outcome.included = True
    outcome.trace = (len(message.instructions), context.trace)
    outcome.error = error
    if error is None:
        outcome.post_accounts = {address: account for address, account, flag in zip(message.keys, accounts, writable)
                                 if flag}
    else:
        charged = bank.accounts[payer].copy()
        charged.lamports -= fee
        outcome.post_accounts = {payer: charged}
    return outcome


def instructions_sysvar(message: MessageView) -> Account:
    """The instructions sysvar: every instruction of the message with its accounts' flags, then
    room for the index of the instruction being executed."""
    count = len(message.instructions)
    body = bytearray(struct.pack("<H", count) + bytes(2 * count))
    for position, (program, indices, data) in enumerate(message.instructions):
        struct.pack_into("<H", body, 2 + 2 * position, len(body))
        body += struct.pack("<H", len(indices))
        for index in indices:
            body.append(int(message.is_signer(index)) | int(message.writable[index]) << 1)
            body += message.keys[index]
        body += message.keys[program] + struct.pack("<H", len(data)) + data
    return Account(0, body + bytes(2), SYSVAR_OWNER)


def _validate_fee_payer(bank, account: Account, index: int, fee: int, missing: bool):
    if missing or account.lamports == 0:
        return TransactionError("AccountNotFound")
    if account.owner != SYSTEM_PROGRAM or (account.data and not is_initialized_nonce_account(account.data)):
        return TransactionError("InvalidAccountForFee")
    minimum = bank.sysvars.rent.minimum_balance(NONCE_STATE_SIZE) if account.data else 0
    if account.lamports < minimum + fee:
        return TransactionError("InsufficientFundsForFee")
    rent = bank.sysvars.rent
    before = rent_state(rent, account.lamports, len(account.data))
    account.lamports -= fee
    if not transition_allowed(before, rent_state(rent, account.lamports, len(account.data))):
        return TransactionError("InsufficientFundsForRent", account_index=index)
    return None


def _check_program(bank, address: bytes, account: Account):
    if address == NATIVE_LOADER:
        return None
    if not account.executable:
        return TransactionError("InvalidProgramForExecution")
    if account.owner == NATIVE_LOADER:
        return None
    owner = bank.accounts.get(account.owner)
    if owner is None or owner.owner != NATIVE_LOADER or not owner.executable:
        return TransactionError("InvalidProgramForExecution")
    return None


def _check_rent(bank, message: MessageView, accounts: list[Account]):
    rent = bank.sysvars.rent
    for index, (address, account, writable) in enumerate(zip(message.keys, accounts, message.writable)):
        if not writable or address == bank.incinerator:
            continue
        stored = bank.accounts.get(address)
        if stored is not None and stored.lamports == account.lamports and len(stored.data) == len(account.data):
            continue  # the same state before and after: always allowed
        before = rent_state(rent, stored.lamports, len(stored.data)) if stored is not None else rent_state(rent, 0, 0)
        after = rent_state(rent, account.lamports, len(account.data))
        if not transition_allowed(before, after):
            return TransactionError("InsufficientFundsForRent", account_index=index)
    return None
