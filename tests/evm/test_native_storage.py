"""The state's native storage table (jitvm.evm.storage_table): slots an account's earlier frames and
transactions touched stay in it, cold at each transaction's start, and native code reads and writes
them without the host. Gas, refunds, out-of-gas points, reverts and static frames must come out
exactly as on the reference, on every engine, in the second and later transactions (the ones that
find their slots in the table); and the table's own bookkeeping (epochs, journal, growth, lazy
Account.storage) must equal a plain model of storage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jitvm
import jitvm.api
from jitvm.evm.storage_layout import ADDRESS
from jitvm.evm.storage_table import StorageTable
from tests.api.bytecode import assemble
from tests.evm.test_call_trees import CALLER, code_of, nodes, number

ENGINES = ("baseline", "jit", "auto")
CONTRACT = "0x" + "c0" * 20

# Reads two slots, writes one of them and a third (nonzero to nonzero, zero to nonzero, back to the
# original), reads again and logs: every EIP-2929/2200/3529 case of a slot loaded COLD.
TOUCH_SLOTS = assemble(
    1, "SLOAD", "POP", 2, "SLOAD", "POP",
    0, "CALLDATALOAD", 1, "SSTORE",
    0, "CALLDATALOAD", 3, "SSTORE",
    7, 3, "SSTORE",
    3, "SLOAD", 2, "SLOAD", "ADD", 0, "MSTORE", 32, 0, "LOG0",
    1, "SLOAD", 0, "MSTORE", 32, 0, "RETURN",
)


def contract_evm(engine: str, code: bytes) -> jitvm.EVM:
    """An EVM on `engine` with a funded CALLER and `code` at CONTRACT."""
    evm = jitvm.EVM(engine=engine)
    evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**20))
    evm.insert_account_info(CONTRACT, jitvm.AccountInfo(code=code))
    return evm


def call_ending(evm: jitvm.EVM, data: bytes, gas: int) -> tuple:
    """How a call from CALLER to CONTRACT ended: ("success", output), ("revert", output) or
    ("halt", reason)."""
    try:
        return ("success", evm.message_call(CALLER, CONTRACT, data, gas=gas))
    except jitvm.api.ExecutionReverted as reverted:
        return ("revert", reverted.output)
    except jitvm.api.ExecutionHalted as halted:
        return ("halt", halted.reason)


def run(engine: str, calls: list[tuple[bytes, int]]) -> list:
    evm = contract_evm(engine, TOUCH_SLOTS)
    evm.insert_account_storage(CONTRACT, 1, 11)
    evm.insert_account_storage(CONTRACT, 2, 22)
    seen = []
    for data, gas in calls:
        ended = call_ending(evm, data, gas)
        result = evm.result
        seen.append((ended, result.gas_used, result.gas_refunded, len(result.logs),
                     [evm.storage(CONTRACT, key) for key in range(4)]))
    return seen


def test_out_of_gas_points_of_known_slots_equal_the_reference():
    """The same transaction again with every gas limit across its cold accesses: where it runs out
    of gas, and what it costs when it does not, is the reference's."""
    warm_up = [((5).to_bytes(32, "big"), 200_000)]
    for gas in range(21_000 + 2_000, 21_000 + 30_000, 211):
        calls = warm_up + [((5).to_bytes(32, "big"), gas), ((0).to_bytes(32, "big"), gas + 5_000)]
        expected = run("reference", calls)
        for engine in ENGINES:
            assert run(engine, calls) == expected, (engine, gas)


def outcome_twice(engine: str, tree) -> list:
    """The call tree as two transactions on one EVM (the second starts with the first's hints and
    its storage)."""
    evm = jitvm.EVM(engine=engine)
    evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**20))
    every = number(tree, [0])
    for node in every:
        evm.insert_account_info(f"0x{node.address:040x}", jitvm.AccountInfo(balance=5, code=code_of(node)))
    seen = []
    for _ in range(2):
        try:
            ended = ("success", evm.message_call(CALLER, f"0x{tree.address:040x}", b"", gas=3_000_000))
        except jitvm.api.ExecutionReverted as reverted:
            ended = ("revert", reverted.output)
        except jitvm.api.ExecutionHalted as halted:
            ended = ("halt", halted.reason)
        result = evm.result
        seen.append([ended, result.gas_used, result.gas_refunded,
                     [(log.address, log.topics, log.data) for log in result.logs],
                     {address: (account.balance, account.nonce, dict(account.storage))
                      for address, account in evm._state.accounts.items()}])
    return seen


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(nodes())
def test_call_trees_run_twice_equal_the_reference(tree):
    expected = outcome_twice("reference", tree)
    for engine in ENGINES:
        assert outcome_twice(engine, tree) == expected, engine


def counting_loop(slots: int) -> bytes:
    """Adds one to slots 0 .. slots - 1, then reverts if the calldata's first word is nonzero."""
    loop = assemble(0)
    body = ["JUMPDEST", "DUP1", "SLOAD", 1, "ADD", "DUP2", "SSTORE", 1, "ADD", "DUP1", slots, "GT", len(loop), "JUMPI"]
    head = loop + assemble(*body, 0, "CALLDATALOAD")
    tail_start = len(head) + len(assemble(0xFFFF, "JUMPI", "STOP"))  # PUSH2 destination
    code = head + assemble("PUSH2", tail_start.to_bytes(2, "big"), "JUMPI", "STOP", "JUMPDEST", 0, 0, "REVERT")
    assert code[tail_start] == 0x5B
    return code


def test_a_frame_touching_more_slots_than_the_table_starts_with_equals_the_reference():
    """The table grows (a new array) while frames run on it; reverted writes come back."""
    code = counting_loop(1_500)

    def run_loop(engine: str) -> list:
        evm = contract_evm(engine, code)
        seen = []
        for revert in (0, 1, 0):
            try:
                evm.message_call(CALLER, CONTRACT, revert.to_bytes(32, "big"), gas=100_000_000)
                ended = "success"
            except jitvm.api.ExecutionReverted:
                ended = "revert"
            seen.append((ended, evm.result.gas_used, evm.result.gas_refunded,
                         sorted(evm._state.accounts[bytes.fromhex(CONTRACT[2:])].storage.items())))
        return seen

    expected = run_loop("reference")
    assert expected[-1][3][-1] == (1_499, 2)
    for engine in ENGINES:
        assert run_loop(engine) == expected, engine


# -- the table against a model ------------------------------------------------------------------------

ADDRESSES = (b"\x0a" * 20, b"\x0b" * 20, b"\x0c" * 20)

state_operations = st.lists(st.one_of(
    st.tuples(st.just("set"), st.sampled_from(ADDRESSES), st.integers(0, 40), st.sampled_from((0, 1, 7, 2**256 - 1))),
    st.tuples(st.just("warm"), st.sampled_from(ADDRESSES), st.integers(0, 40)),
    st.tuples(st.just("snapshot")),
    st.tuples(st.just("revert")),
    st.tuples(st.just("transaction")),
    st.tuples(st.just("destroy"), st.sampled_from(ADDRESSES)),
    st.tuples(st.just("transient"), st.sampled_from(ADDRESSES), st.integers(0, 3), st.sampled_from((0, 9))),
), max_size=120)


@settings(max_examples=60, deadline=None)
@given(state_operations)
def test_state_storage_equals_a_model(operations):
    """Values, original values and warmth through writes, snapshots, reverts, destroyed accounts
    and new transactions (with growth of the array and its journal on the way), and the accounts'
    storage dictionaries after, equal a dictionary model of them."""
    from jitvm.evm.state import Account, State
    from jitvm.evm.storage_table import StorageTable

    sizes = StorageTable.INITIAL_ENTRIES, StorageTable.INITIAL_RECORDS
    StorageTable.INITIAL_ENTRIES, StorageTable.INITIAL_RECORDS = 4, 2  # so that both grow
    try:
        state = State({address: Account(nonce=1, storage={1: 5, 2: 6}) for address in ADDRESSES})
    finally:
        StorageTable.INITIAL_ENTRIES, StorageTable.INITIAL_RECORDS = sizes
    model = {address: {1: 5, 2: 6} for address in ADDRESSES}
    originals = {address: dict(model[address]) for address in ADDRESSES}
    warm: set = set()
    transient: dict = {}
    snapshots = []
    for operation in operations:
        kind = operation[0]
        if kind == "set":
            _, address, key, value = operation
            if address in model:
                state.set_storage(address, key, value)
                model[address][key] = value
        elif kind == "warm":
            _, address, key = operation
            assert state.warm_slot(address, key) == ((address, key) not in warm)
            warm.add((address, key))
        elif kind == "snapshot":
            snapshots.append((state.snapshot(), {a: dict(s) for a, s in model.items()}, set(warm), dict(transient)))
        elif kind == "revert" and snapshots:
            snapshot, model, warm, transient = snapshots.pop()
            state.revert(snapshot)
        elif kind == "transaction":
            state.begin_transaction()
            snapshots.clear()
            warm = set()
            transient = {}
            originals = {a: dict(s) for a, s in model.items()}
        elif kind == "transient":  # journaled like storage, but never in Account.storage
            _, address, key, value = operation
            state.set_transient(address, key, value)
            transient[(address, key)] = value
        elif kind == "destroy" and operation[1] in model:
            state.destroy_account(operation[1])
            del model[operation[1]]
        for address in ADDRESSES:
            for key in range(0, 41, 5):
                expected = model.get(address, {}).get(key, 0)
                assert state.get_storage(address, key) == expected, (address, key)
                if address in model and address in originals:
                    assert state.original_storage(address, key) == originals[address].get(key, 0)
            for key in range(4):
                assert state.get_transient(address, key) == transient.get((address, key), 0)
    for address, storage in model.items():
        assert state.accounts[address].storage == {k: v for k, v in storage.items() if v}
    assert_native_lookup_finds_every_entry(state.storage_table)


def slot_entries(table) -> int:
    """The table's entries of storage and transient slots (not of account warmth)."""
    table.adopt()
    return sum(1 for account in table.entry_accounts if account < ADDRESS)


def assert_native_lookup_finds_every_entry(table) -> None:
    """Native code (storage_native.find, through the hash) finds every entry Python knows."""
    import numpy as np

    from jitvm.evm.storage_native import find

    for (account, key), entry in table._entry_of.items():
        limbs = tuple(np.uint64((key >> (64 * limb)) & (2**64 - 1)) for limb in range(4))
        assert find(table.cells, account, limbs) == entry, (account, key)


# -- what stays native ---------------------------------------------------------------------------------


def test_known_slots_never_leave_native_code(served_storage):
    """In the second transaction on the same slots, no SLOAD or SSTORE is served by the host, on the
    baseline and on the JIT; the table then holds only the slots paid for as cold accesses. (The
    account's storage holds more slots than the table takes at its first frame, so the first
    transaction's new slots go to the host: tests/evm/test_new_slots.py has the other case.)"""
    served = served_storage
    for engine in ("baseline", "jit"):
        evm = contract_evm(engine, counting_loop(40))
        unheld = {key: 1 for key in range(1000, 1000 + StorageTable.LOAD_LIMIT + 1)}
        evm._state.accounts[bytes.fromhex(CONTRACT[2:])].storage = unheld
        evm.message_call(CALLER, CONTRACT, bytes(32), gas=10_000_000)
        first = len(served)
        assert first >= 40, engine  # every slot once
        evm.message_call(CALLER, CONTRACT, bytes(32), gas=10_000_000)
        assert len(served) == first, engine
        assert evm.storage(CONTRACT, 39) == 2
        assert slot_entries(evm._state.storage_table) <= 40 + 1, engine  # the unheld slots were not added
        served.clear()


# Adds the calldata's first word to transient slot 0 and to storage slot 0 (so the second transaction
# finds its transient slot in the table, set in the first), returns what transient slot 0 held before.
TRANSIENT_COUNTER = assemble(
    0, "TLOAD", "DUP1", 0, "CALLDATALOAD", "ADD", 0, "TSTORE",
    0, "SLOAD", 0, "CALLDATALOAD", "ADD", 0, "SSTORE",
    0, "MSTORE", 32, 0, "RETURN",
)


def test_transient_storage_starts_empty_in_every_transaction():
    """TLOAD in a later transaction reads zero although the table still holds the key from an
    earlier one, on every engine, with the reference's gas."""
    def outcomes(engine: str) -> list:
        evm = contract_evm(engine, TRANSIENT_COUNTER)
        seen = []
        for amount in (3, 4, 5):
            output = evm.message_call(CALLER, CONTRACT, amount.to_bytes(32, "big"), gas=100_000)
            seen.append((output, evm.result.gas_used, evm.storage(CONTRACT, 0)))
        return seen

    expected = outcomes("reference")
    assert [int.from_bytes(output, "big") for output, _, _ in expected] == [0, 0, 0]
    assert expected[-1][2] == 12
    for engine in ENGINES:
        assert outcomes(engine) == expected, engine


@pytest.mark.parametrize("wipe", ["destroy", "destroy_storage", "destroy_then_recreate"])
def test_a_revert_brings_back_the_slots_read_while_the_storage_was_gone(wipe):
    """Slots first reached after an account's storage was destroyed enter the table as zero; a revert
    past the destruction must give them the account's values again (found by the model test above:
    `{1: 5}` was lost)."""
    from jitvm.evm.state import Account, State

    address = b"\x0a" * 20
    state = State({address: Account(nonce=1, storage={1: 5, 2: 6})})
    state.begin_transaction()
    state.set_storage(address, 0, 7)
    snapshot = state.snapshot()
    if wipe == "destroy_storage":
        state.destroy_storage(address)
    else:
        state.destroy_account(address)
        if wipe == "destroy_then_recreate":
            state.set_balance(address, 1)  # a new, empty account at the address
    assert state.warm_slot(address, 1)
    assert state.get_storage(address, 1) == 0 and state.get_storage(address, 2) == 0
    state.revert(snapshot)
    assert [state.get_storage(address, key) for key in (0, 1, 2)] == [7, 5, 6]
    assert [state.original_storage(address, key) for key in (0, 1, 2)] == [0, 5, 6]
    assert state.accounts[address].storage == {0: 7, 1: 5, 2: 6}


def test_a_fresh_table_warmed_from_the_template_equals_one_warmed_entry_by_entry():
    """warm_at_start on a fresh table copies what it left in the last fresh table given the same warm
    set (jitvm.evm.storage_table._FreshWarmTable): the copy must be the table the slow way builds,
    and stay independent of it."""
    from copy import deepcopy as copy_of

    from jitvm.evm import storage_table
    from jitvm.evm.state import Account, State

    warm = frozenset(bytes([0] * 19 + [number]) for number in range(1, 12)) | {ADDRESSES[0]}
    storage_table._FRESH_TABLES.pop(warm, None)
    states = [State({ADDRESSES[0]: Account(nonce=1, storage={1: 5})}) for _ in range(3)]
    for state in states:
        state.begin_transaction()
        state.warm_at_start(warm)
    assert warm in storage_table._FRESH_TABLES  # the first made it; the others copied it
    first, *copies = (state.storage_table for state in states)
    for copy in copies:
        assert np.array_equal(copy.cells, first.cells)
        for name in ("_account_of", "addresses", "entries_of_account", "_entry_of", "entry_keys",
                     "entry_accounts", "_indexed", "_warmth_entries", "_completeness"):
            assert getattr(copy, name) == getattr(first, name), name
    indexes = {name: copy_of(getattr(first, name)) for name in ("_entry_of", "entry_keys", "entries_of_account")}
    states[1].set_storage(ADDRESSES[0], 2, 9)  # a change in one copy shows in no other table
    states[1].warm_address(ADDRESSES[2])
    later = State({})
    later.begin_transaction()
    later.warm_at_start(warm)
    for table in (states[2].storage_table, later.storage_table):
        assert {name: getattr(table, name) for name in indexes} == indexes
    assert states[1].warm_slot(ADDRESSES[0], 1) and not states[1].warm_slot(ADDRESSES[0], 1)
    for state in (states[0], states[2]):
        assert state.get_storage(ADDRESSES[0], 2) == 0 and state.warm_slot(ADDRESSES[0], 1)
        assert all(state.is_warm_address(address) for address in warm)
        assert not state.is_warm_address(ADDRESSES[1])
    assert_native_lookup_finds_every_entry(states[1].storage_table)
    assert_native_lookup_finds_every_entry(states[2].storage_table)
