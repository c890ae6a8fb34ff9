"""The bank: accounts, sysvars, programs and a transaction history, with an API shaped like
`solders.litesvm.LiteSVM` (send_transaction, simulate_transaction, get_account, set_account,
add_program...) plus the jitvm engine that runs BPF programs.

    from jitvm.svm import SVM
    svm = SVM(engine="jit")
    svm.add_program_from_file(program_id, "token.so")           # upgradeable loader by default
    result = svm.send_transaction(tx)                            # a solders Transaction
    result.err, result.meta.logs, result.meta.compute_units_consumed, result.meta.fee
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

from solders.signature import Signature
from solders.transaction import Transaction, VersionedTransaction

from jitvm.bpf.engines import resolve as resolve_engine
from jitvm.errors import InputError
from jitvm.svm import processor
from jitvm.svm.accounts import Account
from jitvm.svm.errors import TransactionError
from jitvm.svm.inner_instructions import inner_instructions_from_trace
from jitvm.svm.ids import (BPF_LOADER, BPF_LOADER_DEPRECATED, BPF_LOADER_UPGRADEABLE, CLOCK, COMPUTE_BUDGET,
                           EPOCH_REWARDS, EPOCH_SCHEDULE, FEES, INCINERATOR, LAST_RESTART_SLOT, NATIVE_LOADER,
                           RECENT_BLOCKHASHES, RENT, SLOT_HASHES, SLOT_HISTORY, STAKE_HISTORY, SYSTEM_PROGRAM,
                           SYSVAR_OWNER, base58)
from jitvm.svm.compute_budget import LAMPORTS_PER_SIGNATURE
from jitvm.svm.loader import ProgramCache, program_account_data, programdata_account_data
from jitvm.svm.precompiles import PRECOMPILES
from jitvm.svm.rent import Rent
from jitvm.svm.syscalls import SyscallHost

# LiteSVM's genesis: sha256("genesis") as the first blockhash, this slot on the clock.
GENESIS_BLOCKHASH = hashlib.sha256(b"genesis").digest()
SLOT_HASHES_SIZE = 20_488  # room for 512 (slot, hash) entries
SYSVAR_CACHE = (CLOCK, EPOCH_SCHEDULE, EPOCH_REWARDS, RENT, SLOT_HASHES, STAKE_HISTORY, LAST_RESTART_SLOT)
# A new bank's slot history (bincode: Some(1,048,576-bit vector) with slot 0 set, next slot 1).
SLOT_HISTORY_WORDS = 16_384
NEW_SLOT_HISTORY = (b"\x01" + struct.pack("<QQ", SLOT_HISTORY_WORDS, 1) + bytes(8 * (SLOT_HISTORY_WORDS - 1))
                    + struct.pack("<QQ", 64 * SLOT_HISTORY_WORDS, 1))
HISTORY_CAPACITY = 32  # LiteSVM remembers this many signatures (AlreadyProcessed), dropping the oldest
LITESVM_SLOT = 435_888_000  # the slot on a new LiteSVM's clock
BUILTIN_PROGRAMS = {
    SYSTEM_PROGRAM: b"system_program", COMPUTE_BUDGET: b"compute_budget_program",
    BPF_LOADER_UPGRADEABLE: b"solana_bpf_loader_upgradeable_program", BPF_LOADER: b"solana_bpf_loader_program",
    BPF_LOADER_DEPRECATED: b"solana_bpf_loader_deprecated_program",
    **{precompile: b"" for precompile in PRECOMPILES},  # jitvm/svm/precompiles.py
}


@dataclass
class Clock:
    slot: int = 0
    epoch_start_timestamp: int = 0
    epoch: int = 0
    leader_schedule_epoch: int = 0
    unix_timestamp: int = 0

    def to_bytes(self) -> bytes:
        return struct.pack("<QqQQq", self.slot, self.epoch_start_timestamp, self.epoch, self.leader_schedule_epoch,
                           self.unix_timestamp)


@dataclass
class EpochSchedule:
    slots_per_epoch: int = 432_000
    leader_schedule_slot_offset: int = 432_000
    warmup: bool = True
    first_normal_epoch: int = 14
    first_normal_slot: int = 524_256

    def to_bytes(self) -> bytes:  # bincode: no padding after the bool
        return struct.pack("<QQ?QQ", self.slots_per_epoch, self.leader_schedule_slot_offset, self.warmup,
                           self.first_normal_epoch, self.first_normal_slot)

    def struct_bytes(self) -> bytes:  # #[repr(C)]: the bool is padded to 8 bytes
        return struct.pack("<QQ?7xQQ", self.slots_per_epoch, self.leader_schedule_slot_offset, self.warmup,
                           self.first_normal_epoch, self.first_normal_slot)


@dataclass
class Sysvars:
    clock: Clock = field(default_factory=Clock)
    rent: Rent = field(default_factory=Rent)
    epoch_schedule: EpochSchedule = field(default_factory=EpochSchedule)
    recent_blockhashes: list = field(default_factory=lambda: [(GENESIS_BLOCKHASH, 0)])  # (hash, lamports/signature)
    slot_hashes_slot: int | None = None  # the slot-hashes entry's slot once the clock has moved (warp_to_slot)

    def struct_bytes(self, name: str) -> bytes:
        """The sysvar as the get-sysvar syscalls write it (Rust's in-memory #[repr(C)] layout)."""
        if name == "clock":
            return self.clock.to_bytes()
        if name == "rent":
            return self.rent.to_bytes() + bytes(7)
        if name == "last_restart_slot":
            return bytes(8)
        if name == "epoch_rewards":  # no distribution: all zero, padded to 16-byte alignment (a u128 inside)
            return bytes(96)
        return self.epoch_schedule.struct_bytes()

    def account_data(self, address: bytes) -> bytes | None:
        """A sysvar's account data, for sol_get_sysvar: only the sysvars Agave's sysvar cache holds."""
        if address not in SYSVAR_CACHE:
            return None
        return bytes(self.accounts()[address].data)

    def accounts(self) -> dict[bytes, Account]:
        """The sysvar accounts of a new LiteSVM (slot history left out)."""
        slot = self.clock.slot if self.slot_hashes_slot is None else self.slot_hashes_slot
        slot_hashes = struct.pack("<QQ", 1, slot) + GENESIS_BLOCKHASH
        contents = {
            CLOCK: self.clock.to_bytes(), RENT: self.rent.to_bytes(), EPOCH_SCHEDULE: self.epoch_schedule.to_bytes(),
            EPOCH_REWARDS: bytes(81), LAST_RESTART_SLOT: bytes(8), STAKE_HISTORY: bytes(8),
            SLOT_HASHES: slot_hashes + bytes(SLOT_HASHES_SIZE - len(slot_hashes)),
            RECENT_BLOCKHASHES: struct.pack("<Q", len(self.recent_blockhashes)) + b"".join(
                blockhash + struct.pack("<Q", fee) for blockhash, fee in self.recent_blockhashes),
            FEES: bytes(8),
            SLOT_HISTORY: NEW_SLOT_HISTORY,
        }
        return {address: Account(1, bytearray(data), SYSVAR_OWNER) for address, data in contents.items()}


@dataclass
class TransactionMetadata:
    """LiteSVM's TransactionMetadata: what a transaction did."""

    signature: object
    logs: list[str]
    compute_units_consumed: int
    fee: int
    return_data: tuple[bytes, bytes]
    trace: tuple = field(default=(0, ()), repr=False)  # (top-level count, instruction trace): inner_instructions

    @property
    def inner_instructions(self) -> list:
        """Per top-level instruction that ran, the instructions it invoked (jitvm.svm.inner_instructions),
        built on first use: most callers never read them."""
        cached = self.__dict__.get("_inner_instructions")
        if cached is None:
            cached = self.__dict__["_inner_instructions"] = inner_instructions_from_trace(*self.trace)
        return cached


@dataclass
class TransactionResult:
    """`err` is None on success, else the TransactionError (str(err) is its Rust Debug form)."""

    err: TransactionError | None
    meta: TransactionMetadata

    @property
    def ok(self) -> bool:
        return self.err is None


class SVM:
    def __init__(self, engine: str = "reference", *, sigverify: bool = True, blockhash_check: bool = True,
                 log_bytes_limit: int | None = 10_000):
        self.engine = resolve_engine(engine)
        self.sigverify = sigverify
        self.blockhash_check = blockhash_check
        self.log_bytes_limit = log_bytes_limit
        self.blockhash = GENESIS_BLOCKHASH
        self.sysvars = Sysvars(clock=Clock(slot=LITESVM_SLOT))
        self.incinerator = INCINERATOR
        self.history: dict[bytes, TransactionResult] = {}  # oldest first
        self.history_capacity = HISTORY_CAPACITY
        self.accounts: dict[bytes, Account] = {}
        self.host = SyscallHost()
        self.programs = ProgramCache(self.host)
        for address, name in BUILTIN_PROGRAMS.items():
            self.accounts[address] = Account(1, bytearray(name), NATIVE_LOADER, True)
        self.accounts.update(self.sysvars.accounts())

    # -- accounts ------------------------------------------------------------------------------------

    def get_account(self, address) -> Account | None:
        account = self.accounts.get(bytes(address))
        return account.copy() if account is not None else None

    def set_account(self, address, account) -> None:
        """Store an account as is; an executable account of a BPF loader must hold a program that
        loads (LiteSVM refuses it otherwise, "invalid account data for instruction")."""
        if not isinstance(account, Account):
            account = Account.from_solders(account)
        address, account = bytes(address), account.copy()
        if account.executable and account.owner in (BPF_LOADER, BPF_LOADER_DEPRECATED, BPF_LOADER_UPGRADEABLE):
            try:
                loaded = self.programs.program_for(address, account, self.accounts.get)
            except Exception:  # noqa: BLE001 - any ELF the loader rejects
                loaded = None
            if loaded is None:
                raise InputError(base58(address), "invalid account data for instruction (not a loadable program)")
        self.accounts[address] = account

    def get_balance(self, address) -> int | None:
        account = self.accounts.get(bytes(address))
        return account.lamports if account is not None else None

    def airdrop(self, address, lamports: int) -> None:
        account = self.accounts.setdefault(bytes(address), Account())
        account.lamports += lamports

    def minimum_balance_for_rent_exemption(self, data_length: int) -> int:
        return self.sysvars.rent.minimum_balance(data_length)

    def latest_blockhash(self):
        from solders.hash import Hash

        return Hash(self.blockhash)

    # -- programs ------------------------------------------------------------------------------------

    def add_program(self, program_id, elf: bytes, loader: str | bytes = "upgradeable") -> None:
        """Deploy `elf` at `program_id` under loader "v1", "v2" or "upgradeable" (or a loader id).
        The ELF is loaded now, so a bad one raises jitvm.bpf.ElfError (an InputError) here."""
        from jitvm.svm.ids import LOADERS

        address = bytes(program_id)
        loader_id = LOADERS.get(loader) if isinstance(loader, str) else bytes(loader)
        if loader_id not in (BPF_LOADER, BPF_LOADER_DEPRECATED, BPF_LOADER_UPGRADEABLE):
            raise InputError("loader", f"unknown loader {loader!r} (choose v1, v2 or upgradeable)")
        try:
            program = self.programs.load(address, bytes(elf))  # a bad ELF fails here
        except InputError:
            raise
        except Exception as error:  # noqa: BLE001 - a malformed ELF may still trip the parser underneath
            raise InputError(base58(address), f"ELF rejected: {type(error).__name__}: {error}") from None
        rent = self.sysvars.rent
        if loader_id == BPF_LOADER_UPGRADEABLE:
            programdata_address = self.programdata_address(address)
            data = programdata_account_data(bytes(elf), slot=self.sysvars.clock.slot)  # as LiteSVM writes it
            self.accounts[programdata_address] = Account(rent.minimum_balance(len(data)), bytearray(data), loader_id)
            data = program_account_data(programdata_address)
        else:
            data = bytes(elf)
        self.accounts[address] = Account(rent.minimum_balance(len(data)), bytearray(data), loader_id, True)
        source = self.accounts[programdata_address] if loader_id == BPF_LOADER_UPGRADEABLE else self.accounts[address]
        self.programs.remember(address, source, bytes(elf), program)

    def add_program_from_file(self, program_id, path, loader: str | bytes = "upgradeable") -> None:
        try:
            elf = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(str(path), exc.strerror or str(exc)) from None
        self.add_program(program_id, elf, loader)

    @staticmethod
    def programdata_address(program_id: bytes) -> bytes:
        from solders.pubkey import Pubkey

        address, _ = Pubkey.find_program_address([program_id], Pubkey.from_bytes(BPF_LOADER_UPGRADEABLE))
        return bytes(address)

    # -- transactions --------------------------------------------------------------------------------

    def send_transaction(self, transaction) -> TransactionResult:
        return self.commit(processor.process(self, _legacy(transaction)))

    def commit(self, outcome: processor.TransactionOutcome) -> TransactionResult:
        """Store what a processed transaction changed and remember it; its result."""
        if outcome.included:
            for address, account in outcome.post_accounts.items():
                if account.lamports == 0:
                    self.accounts.pop(address, None)
                else:
                    self.accounts[address] = account
        result = self._result(outcome)
        if outcome.included and self.history_capacity > 0:
            if len(self.history) >= self.history_capacity:
                del self.history[next(iter(self.history))]
            self.history[outcome.signature] = result
        return result

    def simulate_transaction(self, transaction) -> TransactionResult:
        """Run without committing anything (accounts and history are left as they were)."""
        return self._result(processor.process(self, _legacy(transaction)))

    def get_transaction(self, signature) -> TransactionResult | None:
        """A result from the history (the last HISTORY_CAPACITY executed transactions)."""
        return self.history.get(bytes(signature))

    def expire_blockhash(self) -> None:
        """A new blockhash (sha256 of the last), also the recent-blockhashes sysvar's one entry."""
        self.blockhash = hashlib.sha256(self.blockhash).digest()
        self.sysvars.recent_blockhashes = [(self.blockhash, LAMPORTS_PER_SIGNATURE)]
        self.accounts[RECENT_BLOCKHASHES] = self.sysvars.accounts()[RECENT_BLOCKHASHES]

    def warp_to_slot(self, slot: int) -> None:
        """Move the clock to `slot` (as LiteSVM does: only the clock sysvar changes)."""
        if self.sysvars.slot_hashes_slot is None:
            self.sysvars.slot_hashes_slot = self.sysvars.clock.slot
        self.sysvars.clock.slot = slot
        self.accounts[CLOCK] = self.sysvars.accounts()[CLOCK]

    def _result(self, outcome: processor.TransactionOutcome) -> TransactionResult:
        meta = TransactionMetadata(Signature.from_bytes(outcome.signature), list(outcome.logs),
                                   outcome.compute_units_consumed, outcome.fee, outcome.return_data,
                                   outcome.trace)
        return TransactionResult(outcome.error, meta)


def _legacy(transaction):
    if isinstance(transaction, Transaction):
        return transaction
    if isinstance(transaction, VersionedTransaction):
        legacy = transaction.into_legacy_transaction()
        if legacy is not None:
            return legacy
        return transaction  # a v0 message: its lookups are resolved against the bank's tables
    if isinstance(transaction, (bytes, bytearray)):
        try:
            return _legacy(VersionedTransaction.from_bytes(bytes(transaction)))
        except InputError:
            raise
        except Exception as exc:
            raise InputError("transaction", f"not a wire-format transaction ({exc})") from None
    raise TypeError(f"expected a solders Transaction, got {type(transaction).__name__}")


def describe_account(address: bytes, account: Account) -> dict:
    import base64

    return {"pubkey": base58(address), "lamports": account.lamports, "owner": base58(account.owner),
            "executable": account.executable, "data": base64.b64encode(bytes(account.data)).decode()}
