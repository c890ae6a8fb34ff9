"""A new State per call (docs/new-state.md): its first call gives what a reused State's calls give,
a fresh storage table copied from the template of an earlier State (storage_table._FreshWarmTable)
keeps nothing that State did, and the small tables grow (the vectorized rehash) without losing an
entry."""

from __future__ import annotations

import pytest

from jitvm.evm import storage_table
from jitvm.evm.calls import CALLER_ADDRESS, CONTRACT_ADDRESS, call_code, default_state
from jitvm.evm.engines import get_engine
from jitvm.evm.state import Account, State
from jitvm.evm.storage_table import StorageTable, slot_home
from tests.api.bytecode import assemble
from tests.evm.test_native_storage import assert_native_lookup_finds_every_entry

OTHER = bytes.fromhex("00000000000000000000000000000000000b0b01")
OTHER_NUMBER = int.from_bytes(OTHER, "big")
ENGINES = ("baseline", "jit")

# Writes slot 5 (a slot and its warmth), reads OTHER's balance (warms an account), sends 3 wei to
# OTHER (moves balances, natively where the table holds them), returns slot 6 and OTHER's balance.
CHANGES_EVERYTHING = assemble(
    7, 5, "SSTORE",
    OTHER_NUMBER, "BALANCE", "POP",
    0, 0, 0, 0, 3, OTHER_NUMBER, 50_000, "CALL", "POP",
    6, "SLOAD", 0, "MSTORE", OTHER_NUMBER, "BALANCE", 32, "MSTORE", 64, 0, "RETURN",
)
# Reads slot 5 and OTHER's balance, cold or warm as the transaction finds them: the gas shows it.
READS_WHAT_IS_LEFT = assemble(5, "SLOAD", 0, "MSTORE", OTHER_NUMBER, "BALANCE", 32, "MSTORE", 64, 0, "RETURN")


def fresh_state(code: bytes) -> State:
    state = default_state(code)
    state.accounts[CONTRACT_ADDRESS].balance = 1_000
    state.accounts[OTHER] = Account(balance=10)
    return state


def outcome_of(result):
    storage = {address: dict(account.storage) for address, account in result.state.accounts.items()}
    balances = {address: account.balance for address, account in result.state.accounts.items()}
    logs = [(log.address, log.topics, log.data) for log in result.logs]
    return result.status, result.output, result.gas_used, storage, balances, logs


@pytest.mark.parametrize("engine_name", ENGINES)
def test_a_new_states_calls_equal_the_reference_and_a_reused_states(engine_name):
    """Call after call, each on a new State, equals the reference on a new State; calls on one
    reused State equal the reference's calls on its own reused State (storage carried over)."""
    engine = get_engine(engine_name)
    reused, reference_reused = fresh_state(CHANGES_EVERYTHING), fresh_state(CHANGES_EVERYTHING)
    for _ in range(4):
        expected = outcome_of(call_code(CHANGES_EVERYTHING, state=fresh_state(CHANGES_EVERYTHING),
                                        engine=get_engine("reference")))
        assert outcome_of(call_code(CHANGES_EVERYTHING, state=fresh_state(CHANGES_EVERYTHING), engine=engine)) == expected
        assert outcome_of(call_code(CHANGES_EVERYTHING, state=reused, engine=engine)) == outcome_of(
            call_code(CHANGES_EVERYTHING, state=reference_reused, engine=get_engine("reference")))


@pytest.mark.parametrize("engine_name", ENGINES)
def test_a_table_from_the_template_keeps_no_slot_warmth_or_balance_of_an_earlier_state(engine_name):
    """One State writes a slot, warms an account and moves a balance; a new State whose fresh table
    comes from the same template (made before or after that) reads the slot as zero and cold, the
    account cold and its balance as it was: what a State made with no template reads."""
    engine = get_engine(engine_name)
    storage_table._FRESH_TABLES.clear()
    no_template = outcome_of(call_code(READS_WHAT_IS_LEFT, state=fresh_state(READS_WHAT_IS_LEFT), engine=engine))
    assert storage_table._FRESH_TABLES  # that call made the template
    assert no_template[1] == bytes(32) + (10).to_bytes(32, "big")
    for _ in range(3):
        busy = fresh_state(CHANGES_EVERYTHING)
        changed = call_code(CHANGES_EVERYTHING, state=busy, engine=engine)
        assert changed.is_success and busy.accounts[OTHER].balance == 13
        assert busy.get_storage(CONTRACT_ADDRESS, 5) == 7
        assert outcome_of(call_code(READS_WHAT_IS_LEFT, state=fresh_state(READS_WHAT_IS_LEFT), engine=engine)) == no_template
        # the busy State itself goes on from where it was: warm slot, new balance
        again = call_code(READS_WHAT_IS_LEFT, state=busy, engine=engine)
        assert again.output == (7).to_bytes(32, "big") + (13).to_bytes(32, "big")


def test_a_table_growing_past_its_first_size_keeps_every_entry_findable():
    """Entries whose hash homes crowd the end of the grown table (the rehash places the run that
    passes the last slot from the start, one by one), then more, through several doublings."""
    table = StorageTable()
    account = table.account_index(CONTRACT_ADDRESS)
    grown_bits = (2 * 2 * StorageTable.INITIAL_ENTRIES).bit_length() - 1  # after one doubling
    crowded = [key for key in range(200_000) if slot_home(account, key, grown_bits) >= (1 << grown_bits) - 4]
    keys = crowded[: StorageTable.INITIAL_ENTRIES + 8] + list(range(10**6, 10**6 + 5 * StorageTable.INITIAL_ENTRIES))
    for value, key in enumerate(keys, start=1):
        table.insert(account, key, value)
    assert table.capacity >= len(keys) > 4 * StorageTable.INITIAL_ENTRIES
    for value, key in enumerate(keys, start=1):
        assert table.value(table.find(account, key)) == value
    assert_native_lookup_finds_every_entry(table)


def test_the_callers_state_is_the_default_one():
    """call_code without a state makes the default one (caller with its balance, the contract)."""
    result = call_code(assemble(int.from_bytes(CALLER_ADDRESS, "big"), "BALANCE", 0, "MSTORE", 32, 0, "RETURN"), engine=get_engine("baseline"))
    assert int.from_bytes(result.output, "big") == result.state.accounts[CALLER_ADDRESS].balance > 0
