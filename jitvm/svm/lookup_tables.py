"""Address lookup tables: reading a table account and resolving a v0 message's lookups into the
addresses it loads, as Agave's address loader does (solana-address-lookup-table-interface's state and
`load_lookup_table_addresses`), with its transaction errors.

A table account (owned by the lookup-table program) is a bincode `ProgramState`: u32 tag (1 = a lookup
table), then the meta (deactivation slot, last extended slot, the address count before that extension,
Option<authority>, u16 padding) in the first 56 bytes, then the addresses, 32 bytes each.

The lookup-table program itself (create, extend, freeze, deactivate, close) is a Core BPF program in
Agave 4: deploy its ELF like any program (LiteSVM ships it) and jitvm's engines run it."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from jitvm.svm.errors import TransactionError
from jitvm.svm.ids import SLOT_HASHES, key

ADDRESS_LOOKUP_TABLE_PROGRAM = key("AddressLookupTab1e1111111111111111111111111")
LOOKUP_TABLE_META_SIZE = 56
SLOT_MAX = (1 << 64) - 1


class AddressLookupError(Exception):
    """An AddressLookupError; `transaction_error` is the TransactionError it becomes."""

    def __init__(self, transaction_error: str):
        super().__init__(transaction_error)
        self.transaction_error = transaction_error


@dataclass(frozen=True)
class LookupTable:
    deactivation_slot: int
    last_extended_slot: int
    last_extended_slot_start_index: int
    authority: bytes | None
    addresses: tuple[bytes, ...]

    def is_active(self, current_slot: int, slot_hashes: list[int]) -> bool:
        """Activated, or deactivating until the deactivation slot leaves the slot hashes."""
        return (self.deactivation_slot == SLOT_MAX or self.deactivation_slot == current_slot
                or self.deactivation_slot in slot_hashes)

    def lookup(self, current_slot: int, indexes: bytes, slot_hashes: list[int]) -> list[bytes]:
        if not self.is_active(current_slot, slot_hashes):
            raise AddressLookupError("AddressLookupTableNotFound")  # deactivated tables read as absent
        # Addresses added in the current slot are not usable yet.
        active = (len(self.addresses) if current_slot > self.last_extended_slot
                  else self.last_extended_slot_start_index)
        if active > len(self.addresses):
            raise AddressLookupError("InvalidAddressLookupTableData")
        if any(index >= active for index in indexes):
            raise AddressLookupError("InvalidAddressLookupTableIndex")
        return [self.addresses[index] for index in indexes]


def parse_table(data: bytes) -> LookupTable:
    """AddressLookupTable::deserialize; any problem is InvalidAddressLookupTableData."""
    def invalid():
        return AddressLookupError("InvalidAddressLookupTableData")

    if len(data) < 4 or struct.unpack_from("<I", data)[0] != 1:
        raise invalid()  # too short, uninitialized or an unknown state
    if len(data) < 4 + 17 + 1:
        raise invalid()
    deactivation, last_extended, start_index = struct.unpack_from("<QQB", data, 4)
    option = data[21]
    if option == 0:
        authority, end = None, 22
    elif option == 1 and len(data) >= 54:
        authority, end = bytes(data[22:54]), 54
    else:
        raise invalid()
    if len(data) < end + 2 or len(data) < LOOKUP_TABLE_META_SIZE:
        raise invalid()
    raw = data[LOOKUP_TABLE_META_SIZE:]
    if len(raw) % 32:
        raise invalid()
    addresses = tuple(bytes(raw[i:i + 32]) for i in range(0, len(raw), 32))
    return LookupTable(deactivation, last_extended, start_index, authority, addresses)


def slot_hash_slots(bank) -> list[int]:
    """The slots in the bank's slot-hashes sysvar."""
    account = bank.accounts.get(SLOT_HASHES)
    if account is None or len(account.data) < 8:
        return []
    count = struct.unpack_from("<Q", account.data)[0]
    count = min(count, (len(account.data) - 8) // 40)
    return [struct.unpack_from("<Q", account.data, 8 + 40 * i)[0] for i in range(count)]


def load_addresses(bank, lookups) -> tuple[list[bytes], list[bytes]]:
    """The writable and read-only addresses a v0 message's lookups (solders MessageAddressTableLookups)
    load, table by table; raises TransactionError as Agave names the failure."""
    current_slot = bank.sysvars.clock.slot
    slot_hashes = slot_hash_slots(bank)
    writable: list[bytes] = []
    readonly: list[bytes] = []
    for lookup in lookups:
        table_key = bytes(lookup.account_key)
        account = bank.accounts.get(table_key)
        try:
            if account is None or account.lamports == 0:
                raise AddressLookupError("AddressLookupTableNotFound")
            if account.owner != ADDRESS_LOOKUP_TABLE_PROGRAM:
                raise AddressLookupError("InvalidAddressLookupTableOwner")
            table = parse_table(bytes(account.data))
            writable += table.lookup(current_slot, bytes(lookup.writable_indexes), slot_hashes)
            readonly += table.lookup(current_slot, bytes(lookup.readonly_indexes), slot_hashes)
        except AddressLookupError as error:
            raise TransactionError(error.transaction_error) from None
    return writable, readonly


def add_lookup_table_program(svm) -> None:
    """Deploy the lookup-table program on `svm` (jitvm.svm.SVM) at its address, with the ELF LiteSVM
    ships (solders, a dependency): jitvm does not carry the binary itself."""
    from jitvm.errors import InputError

    try:
        from solders.litesvm import LiteSVM
        from solders.pubkey import Pubkey
    except ImportError:
        raise InputError("lookup-table program", "needs solders (pip install solders) for its ELF") from None
    lite = LiteSVM()
    program = lite.get_account(Pubkey.from_bytes(ADDRESS_LOOKUP_TABLE_PROGRAM))
    programdata = lite.get_account(Pubkey.from_bytes(bytes(program.data)[4:36]))
    svm.add_program(ADDRESS_LOOKUP_TABLE_PROGRAM, bytes(programdata.data)[45:], "upgradeable")
