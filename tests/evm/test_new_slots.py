"""Slots the native storage table does not hold yet (their first access ever), in an account whose
whole storage the table holds: native code adds them itself (zero, cold), on the baseline and the
JIT, with the reference's gas (cold 2,100, EIP-2200/3529), refunds and reverts. The table's
"complete" mark (StorageTable.completeness) must follow every way an account's storage dictionary
can change outside the table."""

from __future__ import annotations

import pytest

import jitvm
import jitvm.api
from jitvm.evm.state import Account
from jitvm.evm.storage_table import StorageTable
from tests.api.bytecode import assemble
from tests.evm.test_native_storage import (
    CALLER,
    CONTRACT,
    ENGINES,
    assert_native_lookup_finds_every_entry,
    slot_entries,
    call_ending,
    contract_evm,
)

CONTRACT_BYTES = bytes.fromhex(CONTRACT[2:])


def new_slots_code() -> bytes:
    """Calldata words: base key, count, mode. Adds one to slots base .. base + count - 1 and to
    transient slots 0 .. count - 1; then mode 1 reverts, mode 2 writes zero to slot `base` (a slot
    set and cleared in one transaction: a refund) and reads slot base + count (a cold read of a
    new slot), any other mode logs transient slot 0."""
    loop = assemble(0)
    body = assemble("JUMPDEST", "DUP1", 0, "CALLDATALOAD", "ADD", "DUP1", "SLOAD", 1, "ADD", "SWAP1", "SSTORE",
                    "DUP1", "TLOAD", 1, "ADD", "DUP2", "TSTORE", 1, "ADD", "DUP1", 32, "CALLDATALOAD", "GT",
                    "PUSH2", len(loop).to_bytes(2, "big"), "JUMPI", 64, "CALLDATALOAD")
    head = loop + body
    checks_length = len(assemble("DUP1", 1, "EQ", "PUSH2", b"\0\0", "JUMPI", 2, "EQ", "PUSH2", b"\0\0", "JUMPI"))
    logging = assemble(0, "TLOAD", 0, "MSTORE", 32, 0, "LOG0", "STOP")
    revert_at = len(head) + checks_length + len(logging)
    reverting = assemble("JUMPDEST", 0, 0, "REVERT")
    zero_at = revert_at + len(reverting)
    checks = assemble("DUP1", 1, "EQ", "PUSH2", revert_at.to_bytes(2, "big"), "JUMPI",
                      2, "EQ", "PUSH2", zero_at.to_bytes(2, "big"), "JUMPI")
    zeroing = assemble("JUMPDEST", 0, 0, "CALLDATALOAD", "SSTORE",
                       32, "CALLDATALOAD", 0, "CALLDATALOAD", "ADD", "SLOAD", "POP", "STOP")
    code = head + checks + logging + reverting + zeroing
    assert code[revert_at] == code[zero_at] == 0x5B
    return code


NEW_SLOTS = new_slots_code()


def calldata(base: int, count: int, mode: int = 0) -> bytes:
    return base.to_bytes(32, "big") + count.to_bytes(32, "big") + mode.to_bytes(32, "big")


def outcome(evm: jitvm.EVM, data: bytes, gas: int, keys) -> tuple:
    ended = call_ending(evm, data, gas)
    result = evm.result
    return (ended, result.gas_used, result.gas_refunded, [(log.topics, log.data) for log in result.logs],
            [evm.storage(CONTRACT, key) for key in keys])


def run_calls(engine: str, calls, prepare=None) -> list:
    evm = contract_evm(engine, NEW_SLOTS)
    if prepare is not None:
        prepare(evm)
    keys = range(60)
    return [outcome(evm, data, gas, keys) for data, gas in calls]


# New slots each time (bases 0, 10, 20, ...), some written again later; reverted and cleared ones.
CALLS = [
    (calldata(0, 3), 200_000),
    (calldata(10, 4, 1), 200_000),  # reverted: its new slots read zero again
    (calldata(10, 4), 200_000),
    (calldata(20, 2, 2), 200_000),  # slot 20 set and cleared (refund), slot 22 read cold
    (calldata(2, 3), 200_000),  # slots 2 (known), 3 and 4 (new)
    (calldata(30, 5), 21_000 + 3 * 24_000),  # out of gas partway: no slot changes
]


def test_new_slots_equal_the_reference():
    expected = run_calls("reference", CALLS)
    assert expected[0][4][:3] == [1, 1, 1] and expected[1][0][0] == "revert" and expected[5][0][0] == "halt"
    assert expected[3][2] > 0  # the refund of a slot set and cleared
    for engine in ENGINES:
        assert run_calls(engine, CALLS) == expected, engine


def test_every_gas_limit_across_new_slots_equals_the_reference():
    """Where a transaction writing new slots runs out of gas (the cold SLOAD, the SSTORE, the TSTORE
    of each), on every engine."""
    evm = contract_evm("reference", NEW_SLOTS)
    evm.message_call(CALLER, CONTRACT, calldata(0x1111, 2), gas=200_000)
    needed = evm.result.gas_used
    limits = sorted({needed - cut for cut in (0, 1, 2, 100, 101, 2_100, 2_101, 2_200, 20_000, 22_100, 22_200,
                                              24_300, 24_400, 26_000, 30_000)})
    # New slots every time; every base has two nonzero bytes (the same intrinsic gas).
    calls = [(calldata(0x1111 * (index + 1), 2), limit) for index, limit in enumerate(limits)]
    expected = [(ended, used, refund, logs) for ended, used, refund, logs, _ in run_calls("reference", calls)]
    assert any(ended[0] == "halt" for ended, *_ in expected) and expected[-1][0][0] == "success"
    for engine in ("baseline", "jit"):
        seen = [(ended, used, refund, logs) for ended, used, refund, logs, _ in run_calls(engine, calls)]
        assert seen == expected, engine


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_first_accesses_stay_native_and_the_table_grows_only_by_paid_slots(engine, served_storage):
    evm = contract_evm(engine, NEW_SLOTS)
    table = evm._state.storage_table
    evm.message_call(CALLER, CONTRACT, calldata(0, 40), gas=10_000_000)
    assert served_storage == []
    assert slot_entries(table) == 40 + 40  # 40 slots, 40 transient keys
    assert [evm.storage(CONTRACT, key) for key in (0, 39, 40)] == [1, 1, 0]
    # Out of gas after a few cold slots: only slots whose cold access was paid were added.
    before = slot_entries(table)
    gas = 21_000 + 5 * 24_400
    with pytest.raises(jitvm.api.ExecutionHalted):
        evm.message_call(CALLER, CONTRACT, calldata(1_000, 40), gas=gas)
    assert served_storage == []
    assert 0 < slot_entries(table) - before <= 2 * (gas - 21_000) // 2_100
    assert evm.storage(CONTRACT, 1_000) == 0
    # Python finds every entry native code added, and Account.storage shows their values.
    assert table.find(table.known_account(CONTRACT_BYTES), 39) is not None
    assert_native_lookup_finds_every_entry(table)
    assert evm._state.accounts[CONTRACT_BYTES].storage == {key: 1 for key in range(40)}


def test_the_table_grows_when_native_code_fills_it(served_storage):
    """Past the table's room, the host adds the slot (and grows the table); native code goes on
    after."""
    evm = contract_evm("baseline", NEW_SLOTS)
    table = evm._state.storage_table
    slots = StorageTable.INITIAL_ENTRIES
    evm.message_call(CALLER, CONTRACT, calldata(0, slots), gas=30_000_000)
    # (The entry that does not fit may be a TSTORE's, which the host serves as an instruction, not
    # as a storage miss: which one depends on how many accounts' warmth entries came first.)
    assert len(served_storage) < 4
    assert table.capacity > StorageTable.INITIAL_ENTRIES
    assert_native_lookup_finds_every_entry(table)
    assert sum(evm.storage(CONTRACT, key) for key in range(slots)) == slots


# -- "complete" never goes stale ------------------------------------------------------------------------


def replace_dictionary(small: bool):
    def change(evm):
        storage = {5: 7} if small else {key: 3 for key in range(5, 5 + StorageTable.LOAD_LIMIT + 10)}
        evm._state.accounts[CONTRACT_BYTES].storage = storage
    return change


def add_to_dictionary(evm):
    evm._state.accounts[CONTRACT_BYTES].storage[6] = 9


def replace_account(evm):
    state = evm._state
    state.accounts[CONTRACT_BYTES] = Account(code=NEW_SLOTS, storage={7: 4, 0: 8})


def insert_account_info(evm):
    evm.insert_account_info(CONTRACT, jitvm.AccountInfo(code=NEW_SLOTS, balance=5))


def insert_storage(evm):
    evm.insert_account_storage(CONTRACT, 8, 2)


CHANGES = [replace_dictionary(True), replace_dictionary(False), add_to_dictionary, replace_account,
           insert_account_info, insert_storage]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: getattr(change, "__name__", "replace"))
def test_storage_changed_outside_the_table_is_seen(change):
    """After a transaction (the account marked complete), its storage changes outside the table; the
    next transactions read the new slots on every engine as on the reference."""
    def scenario(engine):
        evm = contract_evm(engine, NEW_SLOTS)
        seen = [outcome(evm, calldata(0, 3), 300_000, range(12))]
        change(evm)
        seen += [outcome(evm, calldata(4, 6), 300_000, range(12)), outcome(evm, calldata(0, 12), 600_000, range(12))]
        return seen

    expected = scenario("reference")
    for engine in ENGINES:
        assert scenario(engine) == expected, engine
