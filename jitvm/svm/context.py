"""What one transaction executes in: its accounts, the instruction stack, the compute meter, the log
and the return data; and the rules every change to an account goes through (Agave's
TransactionContext, InstructionContext and BorrowedAccount)."""

from __future__ import annotations

from dataclasses import dataclass

from jitvm.svm.accounts import Account
from jitvm.svm.errors import InstructionError

MAX_PERMITTED_DATA_LENGTH = 10 * 1024 * 1024
MAX_PERMITTED_ACCOUNTS_DATA_ALLOCATIONS_PER_TRANSACTION = 2 * MAX_PERMITTED_DATA_LENGTH
MAX_INSTRUCTION_STACK_DEPTH = 5  # top level plus four nested invocations
MAX_RETURN_DATA = 1024


class LogCollector:
    """Program logs, cut off with "Log truncated" once they would reach `bytes_limit` bytes."""

    def __init__(self, bytes_limit: int | None = 10_000):
        self.bytes_limit = bytes_limit
        self.messages: list[str] = []
        self.bytes_written = 0
        self.limit_warning = False

    def log(self, message: str) -> None:
        if self.bytes_limit is None:
            self.messages.append(message)
            return
        written = self.bytes_written + len(message.encode())
        if written >= self.bytes_limit:
            if not self.limit_warning:
                self.limit_warning = True
                self.messages.append("Log truncated")
        else:
            self.bytes_written = written
            self.messages.append(message)


class ComputeMeter:
    """The transaction's compute units; `consume` fails like Agave's consume_checked (the meter
    drops to zero and the instruction fails with ComputationalBudgetExceeded)."""

    __slots__ = ("limit", "remaining")

    def __init__(self, limit: int):
        self.limit = limit
        self.remaining = limit

    def consume(self, units: int) -> None:
        exceeded = self.remaining < units
        self.remaining = max(0, self.remaining - units)
        if exceeded:
            raise InstructionError("ComputationalBudgetExceeded")

    @property
    def used(self) -> int:
        return self.limit - self.remaining


@dataclass(slots=True)
class InstructionAccount:
    index_in_transaction: int
    index_in_caller: int
    is_signer: bool
    is_writable: bool


@dataclass(slots=True)
class InstructionFrame:
    program_id: bytes
    program_index: int  # the program account's index in the transaction
    accounts: list[InstructionAccount]
    data: bytes
    lamport_sum: int = 0
    unique_indices: tuple | None = None  # the transaction indices of its accounts, each once (lamport_sum)


class TransactionContext:
    def __init__(self, keys: list[bytes], accounts: list[Account], compute_limit: int, log: LogCollector,
                 heap_size: int, rent, sysvars):
        self.keys = keys
        self.accounts = accounts
        self.meter = ComputeMeter(compute_limit)
        self.log = log
        self.heap_size = heap_size
        self.rent = rent
        self.sysvars = sysvars  # the bank's sysvar values (clock, rent, epoch schedule...)
        self.stack: list[InstructionFrame] = []
        self.trace: list[tuple[int, InstructionFrame]] = []  # every instruction pushed, with its stack height
        self.return_data: tuple[bytes, bytes] = (bytes(32), b"")
        self.resize_delta = 0
        self.engine = "reference"
        self.programs = None  # the bank's program cache (jitvm.svm.loader.ProgramCache)
        self.bank_account = lambda address: None  # accounts outside the transaction (programdata)
        self.blockhash = bytes(32)  # the message's recent blockhash (the nonce instructions use it)

    # -- the instruction stack -------------------------------------------------------------------

    @property
    def frame(self) -> InstructionFrame:
        return self.stack[-1]

    @property
    def stack_height(self) -> int:
        return len(self.stack)

    def index_of_key(self, address: bytes) -> int | None:
        try:
            return self.keys.index(address)
        except ValueError:
            return None

    def account_by_key(self, address: bytes):
        index = self.index_of_key(address)
        return self.accounts[index] if index is not None else self.bank_account(address)

    def lamport_sum(self, frame: InstructionFrame) -> int:
        accounts = self.accounts
        if frame.unique_indices is None:
            frame.unique_indices = tuple({account.index_in_transaction: None for account in frame.accounts})
        return sum([accounts[index].lamports for index in frame.unique_indices])

    def borrow(self, position: int) -> BorrowedAccount:
        """The instruction account at `position` of the current instruction."""
        frame = self.frame
        if position >= len(frame.accounts):
            raise InstructionError("MissingAccount")
        return BorrowedAccount(self, frame, frame.accounts[position])

    def key_of(self, position: int) -> bytes:
        frame = self.frame
        if position >= len(frame.accounts):
            raise InstructionError("MissingAccount")
        return self.keys[frame.accounts[position].index_in_transaction]

    def is_signer(self, position: int) -> bool:
        frame = self.frame
        if position >= len(frame.accounts):
            raise InstructionError("MissingAccount")
        return frame.accounts[position].is_signer

    def signers(self) -> set[bytes]:
        return {self.keys[account.index_in_transaction] for account in self.frame.accounts if account.is_signer}

    def log_message(self, message: str) -> None:
        self.log.log(message)


class BorrowedAccount:
    """An instruction account with the checks Agave puts on every change."""

    __slots__ = ("context", "frame", "instruction_account", "account")

    def __init__(self, context: TransactionContext, frame: InstructionFrame, account: InstructionAccount):
        self.context = context
        self.frame = frame
        self.instruction_account = account
        self.account = context.accounts[account.index_in_transaction]

    @property
    def key(self) -> bytes:
        return self.context.keys[self.instruction_account.index_in_transaction]

    @property
    def lamports(self) -> int:
        return self.account.lamports

    @property
    def data(self) -> bytearray:
        return self.account.data

    @property
    def owner(self) -> bytes:
        return self.account.owner

    @property
    def is_writable(self) -> bool:
        return self.instruction_account.is_writable

    @property
    def is_signer(self) -> bool:
        return self.instruction_account.is_signer

    def is_owned_by_current_program(self) -> bool:
        return self.account.owner == self.frame.program_id

    # Executable-flag checks are gone with remove_accounts_executable_flag_checks (active in LiteSVM).

    def set_lamports(self, lamports: int) -> None:
        if not self.is_owned_by_current_program() and lamports < self.account.lamports:
            raise InstructionError("ExternalAccountLamportSpend")
        if not self.is_writable:
            raise InstructionError("ReadonlyLamportChange")
        self.account.lamports = lamports

    def checked_add_lamports(self, lamports: int) -> None:
        total = self.account.lamports + lamports
        if total >= 1 << 64:
            raise InstructionError("ArithmeticOverflow")
        self.set_lamports(total)

    def checked_sub_lamports(self, lamports: int) -> None:
        if lamports > self.account.lamports:
            raise InstructionError("ArithmeticOverflow")
        self.set_lamports(self.account.lamports - lamports)

    def can_data_be_changed(self) -> None:
        if not self.is_writable:
            raise InstructionError("ReadonlyDataModified")
        if not self.is_owned_by_current_program():
            raise InstructionError("ExternalAccountDataModified")

    def can_data_be_resized(self, new_length: int) -> None:
        old_length = len(self.account.data)
        if new_length != old_length and not self.is_owned_by_current_program():
            raise InstructionError("AccountDataSizeChanged")
        if new_length > MAX_PERMITTED_DATA_LENGTH:
            raise InstructionError("InvalidRealloc")
        delta = self.context.resize_delta + new_length - old_length
        if delta > MAX_PERMITTED_ACCOUNTS_DATA_ALLOCATIONS_PER_TRANSACTION:
            raise InstructionError("MaxAccountsDataAllocationsExceeded")

    def set_data_length(self, new_length: int) -> None:
        self.can_data_be_resized(new_length)
        self.can_data_be_changed()
        old_length = len(self.account.data)
        if old_length == new_length:
            return
        self.context.resize_delta += new_length - old_length
        if new_length < old_length:
            del self.account.data[new_length:]
        else:
            self.account.data.extend(bytes(new_length - old_length))

    def set_data_from_slice(self, payload: bytes) -> None:
        self.can_data_be_resized(len(payload))
        self.can_data_be_changed()
        self.context.resize_delta += len(payload) - len(self.account.data)
        self.account.data[:] = payload

    def set_owner(self, owner: bytes) -> None:
        if not self.is_owned_by_current_program() or not self.is_writable:
            raise InstructionError("ModifiedProgramId")
        if any(self.account.data):
            raise InstructionError("ModifiedProgramId")
        self.account.owner = owner
