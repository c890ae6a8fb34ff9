"""Address lookup tables against LiteSVM: the lookup-table program (Agave 4's Core BPF program, its
ELF taken from LiteSVM and run on jitvm's engines) creates, extends, freezes, deactivates and closes
tables, and v0 transactions load addresses through them, with the runtime's errors (missing table,
wrong owner, bad data, index out of range or not active yet, deactivated table, an address loaded twice)."""

from __future__ import annotations

import pytest

pytest.importorskip("solders.litesvm", reason="solders (the peers extra) provides LiteSVM, the oracle")

import struct

from solders.address_lookup_table_account import AddressLookupTableAccount, derive_lookup_table_address
from solders.instruction import AccountMeta, CompiledInstruction, Instruction
from solders.keypair import Keypair
from solders.message import MessageAddressTableLookup, MessageHeader, MessageV0
from solders.pubkey import Pubkey
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from jitvm.svm.lookup_tables import AddressLookupError, add_lookup_table_program, parse_table
from tests.svm.harness import Pair

ALT = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")
SYSTEM = Pubkey.default()


def _alt_pair(engine: str) -> Pair:
    pair = Pair(engine=engine, programs=())
    add_lookup_table_program(pair.svm)
    return pair


def create_table(authority: Pubkey, payer: Pubkey, recent_slot: int):
    table, bump = derive_lookup_table_address(authority, recent_slot)
    return table, Instruction(ALT, struct.pack("<IQB", 0, recent_slot, bump), [
        AccountMeta(table, False, True), AccountMeta(authority, True, False), AccountMeta(payer, True, True),
        AccountMeta(SYSTEM, False, False)])


def extend_table(table: Pubkey, authority: Pubkey, payer: Pubkey, addresses) -> Instruction:
    data = struct.pack("<IQ", 2, len(addresses)) + b"".join(bytes(address) for address in addresses)
    return Instruction(ALT, data, [AccountMeta(table, False, True), AccountMeta(authority, True, False),
                                   AccountMeta(payer, True, True), AccountMeta(SYSTEM, False, False)])


def table_instruction(tag: int, table: Pubkey, authority: Pubkey, recipient: Pubkey | None = None) -> Instruction:
    metas = [AccountMeta(table, False, True), AccountMeta(authority, True, False)]
    if recipient is not None:
        metas.append(AccountMeta(recipient, False, True))
    return Instruction(ALT, struct.pack("<I", tag), metas)


FREEZE, DEACTIVATE, CLOSE = 1, 3, 4


class Tables:
    def __init__(self, engine: str):
        self.pair = _alt_pair(engine)
        self.payer = Keypair()
        self.pair.fund(self.payer.pubkey(), 10**12)
        self.slot = self.pair.lite.get_clock().slot

    def send(self, instructions, *signers, expect_error=None, tables=()):
        message = MessageV0.try_compile(self.payer.pubkey(), instructions, list(tables), self.pair.blockhash)
        return self.send_message(message, *signers, expect_error=expect_error, tables=tables)

    def send_message(self, message, *signers, expect_error=None, tables=()):
        transaction = VersionedTransaction(message, [self.payer, *signers])
        result = self.pair.send(transaction, expect_error=expect_error)
        for table in tables:
            for address in table.addresses:
                self.pair.assert_same_account(address)
        self.pair.lite.expire_blockhash()
        self.pair.svm.expire_blockhash()
        self.pair.blockhash = self.pair.lite.latest_blockhash()
        return result

    def warp(self) -> None:
        self.slot += 1
        self.pair.lite.warp_to_slot(self.slot)
        self.pair.svm.warp_to_slot(self.slot)

    def table_account(self, table: Pubkey, addresses) -> AddressLookupTableAccount:
        return AddressLookupTableAccount(table, list(addresses))


@pytest.mark.parametrize("engine", ["reference", "baseline"])
def test_table_life_and_lookups(engine):
    t = Tables(engine)
    payer = t.payer.pubkey()
    table, create = create_table(payer, payer, t.slot)
    t.send([create], expect_error=False)
    t.send([create])  # again: the program accepts an existing table it owns
    recipients = [Keypair().pubkey() for _ in range(4)]
    t.pair.fund(recipients[0], 10**9)
    t.send([extend_table(table, payer, payer, recipients)], expect_error=False)
    view = t.table_account(table, recipients)
    pay = [transfer(TransferParams(from_pubkey=payer, to_pubkey=recipient, lamports=10**7)) for recipient in recipients[:2]]
    t.send(pay, tables=[view], expect_error=True)  # extended in this slot: not active yet
    t.warp()
    t.send(pay, tables=[view], expect_error=False)
    t.send(pay[:1] + [transfer(TransferParams(from_pubkey=payer, to_pubkey=recipients[1], lamports=1))],
           tables=[view], expect_error=False)
    wrong_view = t.table_account(table, recipients + [Keypair().pubkey()])  # an index past the end
    t.send([transfer(TransferParams(from_pubkey=payer, to_pubkey=wrong_view.addresses[-1], lamports=10**7))],
           tables=[wrong_view], expect_error=True)
    t.send([extend_table(table, payer, payer, [Keypair().pubkey()])], expect_error=False)
    t.send([table_instruction(FREEZE, table, payer)], expect_error=False)
    t.send([extend_table(table, payer, payer, [Keypair().pubkey()])], expect_error=True)  # frozen
    t.send([table_instruction(DEACTIVATE, table, payer)], expect_error=True)  # frozen tables stay


def test_deactivate_and_close():
    t = Tables("reference")
    payer = t.payer.pubkey()
    table, create = create_table(payer, payer, t.slot)
    recipient = Keypair().pubkey()
    t.send([create, extend_table(table, payer, payer, [recipient])], expect_error=False)
    t.warp()
    view = t.table_account(table, [recipient])
    pay = [transfer(TransferParams(from_pubkey=payer, to_pubkey=recipient, lamports=10**7))]
    t.send([table_instruction(CLOSE, table, payer, payer)], expect_error=True)  # not deactivated
    t.send([table_instruction(DEACTIVATE, table, payer)], expect_error=False)
    t.send(pay, tables=[view], expect_error=False)  # deactivating in this slot: still usable
    t.warp()
    t.send(pay, tables=[view], expect_error=True)  # deactivated: not found
    t.send([table_instruction(CLOSE, table, payer, payer)], expect_error=False)
    t.send(pay, tables=[view], expect_error=True)


def test_table_deactivated_in_a_slot_still_in_slot_hashes():
    """Deactivated in the slot the slot-hashes sysvar holds: it stays "deactivating" after the clock
    moves on, so lookups still work and closing fails."""
    t = Tables("reference")
    payer = t.payer.pubkey()
    table, create = create_table(payer, payer, t.slot)
    recipient = Keypair().pubkey()
    t.send([create, extend_table(table, payer, payer, [recipient])], expect_error=False)
    t.send([table_instruction(DEACTIVATE, table, payer)], expect_error=False)
    t.warp()
    t.send([table_instruction(CLOSE, table, payer, payer)], expect_error=True)
    t.send([transfer(TransferParams(from_pubkey=payer, to_pubkey=recipient, lamports=10**9))],
           tables=[t.table_account(table, [recipient])], expect_error=False)


def test_lookup_errors():
    t = Tables("reference")
    payer = t.payer.pubkey()
    recipient = Keypair().pubkey()
    pay = [transfer(TransferParams(from_pubkey=payer, to_pubkey=recipient, lamports=10**9))]
    missing = Keypair().pubkey()
    t.send(pay, tables=[t.table_account(missing, [recipient])], expect_error=True)
    system_owned = Keypair().pubkey()
    t.pair.fund(system_owned, 10**9, bytes(56 + 32))
    t.send(pay, tables=[t.table_account(system_owned, [recipient])], expect_error=True)
    for data in (b"", bytes(56), b"\x01\x00\x00\x00" + bytes(52) + b"\x01" * 31, b"\x02" + bytes(87)):
        garbage = Keypair().pubkey()
        t.pair.fund(garbage, 10**9, data, owner=ALT)
        t.send(pay, tables=[t.table_account(garbage, [recipient])], expect_error=True)
    from solders.hash import Hash
    from solders.signature import Signature

    stale = MessageV0.try_compile(payer, pay, [t.table_account(missing, [recipient])], Hash.new_unique())
    assert t.send_message(stale, expect_error=True)[0] == "AddressLookupTableNotFound"  # before the blockhash
    unsigned = VersionedTransaction.populate(MessageV0.try_compile(
        payer, pay, [t.table_account(missing, [recipient])], t.pair.blockhash), [Signature.default()])
    assert t.pair.send(unsigned)[0] == "AddressLookupTableNotFound"  # and before the signatures
    table, create = create_table(payer, payer, t.slot)
    t.send([create, extend_table(table, payer, payer, [payer, recipient])], expect_error=False)
    t.warp()
    amount = struct.pack("<IQ", 2, 10**9)
    for indexes in ([0, 1], [1]):  # the payer again from the table: loaded twice; then only the recipient
        header = MessageHeader(1, 0, 1)
        instruction = CompiledInstruction(1, amount, bytes([0, 2 + len(indexes) - 1]))
        message = MessageV0(header, [payer, SYSTEM], t.pair.blockhash, [instruction],
                            [MessageAddressTableLookup(table, bytes(indexes), b"")])
        t.send_message(message, expect_error=len(indexes) == 2)


def test_parse_table_rules():
    meta = struct.pack("<IQQB", 1, 2**64 - 1, 0, 0) + b"\x01" + bytes(range(32)) + bytes(2)
    assert len(meta) == 56
    table = parse_table(meta + bytes(64))
    assert table.authority == bytes(range(32)) and len(table.addresses) == 2
    frozen = struct.pack("<IQQB", 1, 2**64 - 1, 0, 0) + b"\x00" + bytes(34)
    assert parse_table(frozen).authority is None
    for bad in (meta[:40], meta + bytes(31), struct.pack("<I", 0) + bytes(52), meta[:21] + b"\x02" + meta[22:]):
        with pytest.raises(AddressLookupError):
            parse_table(bad)
