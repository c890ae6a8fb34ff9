"""The lean transaction path of `jitvm.EVM` keeps what it may between calls (the warm set per
sender and target, the State's containers, code hashes) and runs a call's frame without the frame
driver until it calls out. None of that may change a result: every call of a long-lived EVM must
give exactly what the same call gives on a fresh EVM holding the same accounts and environment,
whatever changed in between through the public setters."""

from __future__ import annotations

import itertools
import random

import pytest

import jitvm
from jitvm.api import Env
from jitvm.evm.callee_table import CalleeTable
from jitvm.evm.state import Account, State
from tests.api.bytecode import assemble, initcode

SENDER = "0x" + "a1" * 20
TARGET = "0x" + "c0" * 20
OTHER = "0x" + "0e" * 20  # an address the probe reads the balance of (cold unless listed)
COINBASE = "0x" + "cb" * 20

# Reads OTHER's and the coinbase's balance (warm or cold), adds CALLVALUE to slot 0 and logs the new
# value with CALLER as topic, then returns it and the gas left: gas, storage, logs and output all
# show any difference in what the call started with.
PROBE = assemble(
    int(OTHER, 16), "BALANCE", "POP", "COINBASE", "BALANCE", "POP",
    0, "SLOAD", "CALLVALUE", "ADD", "DUP1", 0, "SSTORE",
    "DUP1", 0, "MSTORE", "CALLER", 32, 0, "LOG1",
    "GAS", 32, "MSTORE", 64, 0, "RETURN",
)
CHANGED_PROBE = PROBE + assemble("STOP")


def fresh_copy(evm: jitvm.EVM, engine: str, spec_id: str) -> jitvm.EVM:
    """A new EVM with `evm`'s accounts, storage and environment, and none of its memory of earlier calls."""
    env = evm.env
    copy = jitvm.EVM(env=Env(cfg=env.cfg, block=env.block, tx=env.tx), engine=engine, spec_id=spec_id)
    for address, account in evm._state.accounts.items():
        name = "0x" + address.hex()
        copy.insert_account_info(name, jitvm.AccountInfo(balance=account.balance, nonce=account.nonce,
                                                         code=account.code or None))
        for key, value in account.storage.items():
            copy.insert_account_storage(name, key, value)
    return copy


def outcome(evm: jitvm.EVM, call) -> tuple:
    try:
        output = call(evm)
        error = None
    except RuntimeError as exc:
        output, error = b"", str(exc)
    result = evm.result
    return (output, error, result.is_success, result.reason, result.gas_used, result.gas_refunded,
            [(log.address, log.topics, log.data) for log in result.logs],
            {address: (a.balance, a.nonce, a.code) for address, a in evm._state.accounts.items()})


def probe_call(value: int = 0):
    return lambda evm: evm.message_call(SENDER, TARGET, b"", value=value)


def edits(evm: jitvm.EVM):
    """(name, edit) in order: each changes something between two calls, through a public setter."""
    yield "nothing", lambda: None
    yield "set_balance", lambda: evm.set_balance(SENDER, 10**18 + 5)
    yield "insert_account_info target", lambda: evm.insert_account_info(TARGET, jitvm.AccountInfo(code=CHANGED_PROBE))
    yield "insert_account_info other", lambda: evm.insert_account_info(OTHER, jitvm.AccountInfo(balance=3))
    yield "insert_account_storage", lambda: evm.insert_account_storage(TARGET, 0, 7)
    yield "deploy", lambda: evm.deploy(SENDER, assemble(0, 0, "RETURN"))
    checkpoint = []
    yield "snapshot", lambda: checkpoint.append(evm.snapshot())
    yield "revert", lambda: evm.revert(checkpoint.pop())
    yield "set_block_env", lambda: evm.set_block_env(jitvm.BlockEnv(number=5, coinbase=OTHER))
    yield "set_tx_env access list", lambda: evm.set_tx_env(jitvm.TxEnv(access_list=[(OTHER, [0])]))
    yield "set_tx_env back", lambda: evm.set_tx_env(jitvm.TxEnv())
    yield "set_block_env coinbase", lambda: evm.set_block_env(jitvm.BlockEnv(coinbase=COINBASE))


@pytest.mark.parametrize("spec_id", ["CANCUN", "MERGE"])  # EIP-3651 (warm coinbase) only in the first
@pytest.mark.parametrize("engine", ["baseline", "jit", "reference"])
def test_long_lived_evm_equals_a_fresh_one(engine, spec_id):
    evm = jitvm.EVM(engine=engine, spec_id=spec_id)
    evm.set_balance(SENDER, 10**18)
    evm.insert_account_info(TARGET, jitvm.AccountInfo(code=PROBE))
    for name, edit in edits(evm):
        edit()
        for value in (0, 3):
            call = probe_call(value)
            expected = outcome(fresh_copy(evm, engine, spec_id), call)
            assert outcome(evm, call) == expected, f"after {name}, value {value}"


def test_results_keep_their_own_logs():
    """A State reuses an empty logs list for the next call; a result that has logs keeps them."""
    evm = jitvm.EVM(engine="baseline")
    evm.set_balance(SENDER, 10**18)
    evm.insert_account_info(TARGET, jitvm.AccountInfo(code=PROBE))
    quiet = "0x" + "5a" * 20
    evm.insert_account_info(quiet, jitvm.AccountInfo(code=assemble("STOP")))
    evm.message_call(SENDER, quiet)
    silent = evm.result
    evm.message_call(SENDER, TARGET)
    first = evm.result
    evm.message_call(SENDER, quiet)
    evm.message_call(SENDER, TARGET)
    last = evm.result
    assert silent.logs == []  # its (empty) list was not the one the later calls logged into
    assert len(first.logs) == 1 and len(last.logs) == 1
    assert first.logs[0].address.lower() == last.logs[0].address.lower() == TARGET


def _accounts(state: State) -> dict:
    return {address: (a.nonce, a.balance, a.code) for address, a in state.accounts.items()}


def _general_transfer(state: State, sender: bytes, recipient: bytes, value: int) -> None:
    """State.transfer as the general steps take it (what its fast case must equal)."""
    state.set_balance(sender, state.balance(sender) - value)
    state.add_balance(recipient, value)


def test_transfer_equals_the_general_steps():
    """State.transfer's plain-arithmetic case against set_balance / add_balance: same accounts
    (EIP-161 removals included), and a revert restores the same state."""
    rng = random.Random(7)
    addresses = [bytes([n]) * 20 for n in (1, 2, 3)]
    for case in range(300):
        shape = {address: rng.choice([None, (0, 0, b""), (0, 5, b""), (1, 0, b""), (0, 9, b"\x00")])
                 for address in addresses}
        sender, recipient = rng.choice(addresses), rng.choice(addresses)
        value = rng.choice([0, 1, 5, 9])
        states = []
        for transfer in (State.transfer, _general_transfer):
            state = State({a: Account(*s) for a, s in shape.items() if s is not None})
            start = state.snapshot()
            before = _accounts(state)
            transfer(state, sender, recipient, value)
            after = _accounts(state)
            state.revert(start)
            states.append((after, _accounts(state) == before))
        assert states[0] == states[1], (case, shape, sender, recipient, value)
        assert states[0][1], "the revert restores every account"


def test_value_call_reverted_by_snapshot():
    evm = jitvm.EVM(engine="baseline")
    evm.set_balance(SENDER, 100)
    evm.insert_account_info(TARGET, jitvm.AccountInfo(code=PROBE, balance=1))
    checkpoint = evm.snapshot()
    evm.message_call(SENDER, TARGET, b"", value=30)
    assert (evm.get_balance(SENDER), evm.get_balance(TARGET)) == (70, 31)
    evm.revert(checkpoint)
    assert (evm.get_balance(SENDER), evm.get_balance(TARGET)) == (100, 1)
    assert evm.storage(TARGET, 0) == 0


@pytest.mark.parametrize("caller, to", itertools.product([SENDER, bytes.fromhex(SENDER[2:])],
                                                          [TARGET, bytearray.fromhex(TARGET[2:])]))
def test_address_forms(caller, to):
    """message_call's address look-up takes strings, bytes and bytearrays, as _address does."""
    evm = jitvm.EVM(engine="baseline")
    evm.set_balance(SENDER, 10**18)
    evm.insert_account_info(TARGET, jitvm.AccountInfo(code=PROBE))
    assert len(evm.message_call(caller, to, bytearray())) == 64
    with pytest.raises(TypeError):
        evm.message_call(caller, "0x1234")


# Returns its first calldata word plus CALLVALUE, then the gas left: a root Message run with
# another call's calldata, value, gas or code would show in the output.
ECHO = assemble(0, "CALLDATALOAD", "CALLVALUE", "ADD", 0, "MSTORE", "GAS", 32, "MSTORE", 64, 0, "RETURN")


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_kept_root_messages_never_run_another_calls_inputs(engine):
    """jitvm.EVM keeps the root Message of each calldata a (sender, target) pair was called with:
    calls alternating between calldatas, with equal calldata in another bytes object, another gas
    or value, and after the target's code changed, each equal the same call on a fresh EVM."""
    evm = jitvm.EVM(engine=engine)
    evm.set_balance(SENDER, 10**18)
    evm.insert_account_info(TARGET, jitvm.AccountInfo(code=ECHO))
    first, second = (1).to_bytes(32, "big"), (2).to_bytes(32, "big")
    calls = [(first, 0, None), (second, 0, None), (first, 0, None), (bytes(bytearray(second)), 0, None),
             (first, 5, None), (first, 0, 100_000), (second, 0, 100_000), (first, 0, None)]
    for step in range(2):
        if step:  # the same calldata objects, now into other code
            evm.insert_account_info(TARGET, jitvm.AccountInfo(code=ECHO + assemble("STOP")))
        for data, value, gas in calls:
            def call(evm, data=data, value=value, gas=gas):
                return evm.message_call(SENDER, TARGET, data, value=value, gas=gas)

            expected = outcome(fresh_copy(evm, engine, "LATEST"), call)
            assert outcome(evm, call) == expected, (step, data[-1], value, gas)


def test_many_calldatas_between_two_accounts():
    """More calldatas than a plan keeps Messages for (they are dropped, then made again)."""
    evm = jitvm.EVM(engine="baseline")
    evm.set_balance(SENDER, 10**18)
    evm.insert_account_info(TARGET, jitvm.AccountInfo(code=ECHO))
    for round_ in range(2):
        for n in range(40):
            output = evm.message_call(SENDER, TARGET, n.to_bytes(32, "big"))
            assert int.from_bytes(output[:32], "big") == n, (round_, n)


# Sends 1 wei back to its caller with a CALL (run natively: the caller's balance then lives in the
# storage table, which Account.balance reads), and returns nothing.
PAY_BACK = assemble(0, 0, 0, 0, 1, "CALLER", 50_000, "CALL", "POP", "STOP")


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_a_call_that_may_cost_nothing_needs_no_balance(engine):
    """The balance check (gas * gas price + value) reads the sender's balance only when that sum
    is not zero: a sender without funds may still call for free, and one whose balance native code
    moved is refused with its true balance."""
    evm = jitvm.EVM(engine=engine)
    poor = "0x" + "9b" * 20
    assert evm.message_call(poor, TARGET) == b""  # nothing in it, nothing asked
    evm.insert_account_info(TARGET, jitvm.AccountInfo(code=PAY_BACK, balance=100))
    evm.set_balance(SENDER, 10)
    for expected_balance in (11, 12, 13):
        evm.message_call(SENDER, TARGET)
        assert evm.get_balance(SENDER) == expected_balance
    with pytest.raises(jitvm.api.TransactionError) as refused:
        evm.message_call(SENDER, TARGET, value=14)
    assert str(refused.value) == "Transaction(LackOfFundForMaxFee { fee: 14, balance: 13 })"
    with pytest.raises(jitvm.api.TransactionError) as refused:
        evm.message_call(SENDER, TARGET, gas=100_000, gas_price=1)
    assert str(refused.value) == "Transaction(LackOfFundForMaxFee { fee: 100000, balance: 13 })"
    with pytest.raises(jitvm.api.TransactionError) as refused:
        evm.message_call(poor, TARGET, value=1)
    assert str(refused.value) == "Transaction(LackOfFundForMaxFee { fee: 1, balance: 0 })"
    evm.message_call(SENDER, TARGET, value=13)  # all it has
    assert evm.get_balance(SENDER) == 1  # (13 sent, 1 paid back)


def test_a_deployment_and_the_calls_into_it_share_one_warm_set():
    """The deployment's warm set and the plan of later calls into the deployed contract are one
    frozenset object, the one the storage table remembers where to mark (next_epoch looks it up
    by identity first: an equal set that is another object is compared element by element)."""
    for _ in range(2):  # the second EVM's table starts as a copy of the first one's (_FreshWarmTable)
        evm = jitvm.EVM(engine="baseline")
        evm.set_balance(SENDER, 10**18)
        created = evm.deploy(SENDER, initcode(ECHO))
        evm.message_call(SENDER, created, bytes(32))
        warm = evm._plans[(bytes.fromhex(SENDER[2:]), bytes.fromhex(created[2:]))][0]
        remembered = [key for key in evm._state.storage_table._start_sets if key == warm]
        assert remembered and remembered[0] is warm


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_senders_and_gas_prices_in_turns(engine):
    """ORIGIN and GASPRICE as each call gives them, when calls from several senders at several gas
    prices alternate (the engine keeps each pair's rows and writes them into the frame's buffers
    only when the buffers hold another pair's)."""
    evm = jitvm.EVM(engine=engine)
    evm.insert_account_info(TARGET, jitvm.AccountInfo(code=assemble("ORIGIN", 0, "MSTORE", "GASPRICE", 32,
                                                                    "MSTORE", 64, 0, "RETURN")))
    senders = [SENDER, OTHER, COINBASE]
    for sender in senders:
        evm.set_balance(sender, 10**18)
    for n in range(30):
        sender, gas_price = senders[n % 3], (0, 1, 7)[n % 2 + n % 5 // 4]
        output = evm.message_call(sender, TARGET, gas=100_000, gas_price=gas_price)
        assert output == bytes(12) + bytes.fromhex(sender[2:]) + gas_price.to_bytes(32, "big"), n


# Reads slot 0 (a first SLOAD: served in Python between two kernel runs), CALLs the address in its
# calldata twice (the first call into an account new to the callee table is served in Python, which
# adds it, the second runs natively through the table) and returns the second call's output word,
# its success flag and the gas left.
_CALL_ADDRESS_IN_CALLDATA = (32, 0, 0, 0, 0, 0, "CALLDATALOAD", 50_000, "CALL")
CALL_FROM_CALLDATA = assemble(
    0, "SLOAD", "POP", *_CALL_ADDRESS_IN_CALLDATA, "POP", *_CALL_ADDRESS_IN_CALLDATA, 32, "MSTORE",
    "GAS", 64, "MSTORE", 96, 0, "RETURN",
)


@pytest.mark.parametrize("engine", ["baseline", "jit"])
def test_calls_into_accounts_added_between_transactions(engine):
    """A transaction frame's first kernel run finds callees through the registers _set_up packs,
    later runs through those written again after Python served the frame (the callee table may
    have grown into a new array meanwhile; it holds 64 accounts before it first grows): calls
    into 80 contracts added one after another, by
    insert_account_info and by deploy (each call twice: the kept root Message), equal the same
    sequence on the reference engine."""
    evms = [jitvm.EVM(engine=engine), jitvm.EVM(engine="reference")]
    for evm in evms:
        evm.set_balance(SENDER, 10**18)
        evm.insert_account_info(TARGET, jitvm.AccountInfo(code=CALL_FROM_CALLDATA))
    for n in range(1, 81):
        runtime = assemble(n, 0, "MSTORE", 32, 0, "RETURN")
        if n % 2:
            callee = "0x" + "dd" * 19 + f"{n:02x}"
            for evm in evms:
                evm.insert_account_info(callee, jitvm.AccountInfo(code=runtime))
        else:
            callee = {evm.deploy(SENDER, initcode(runtime)) for evm in evms}.pop()
        data = bytes(12) + bytes.fromhex(callee[2:])
        for _ in range(2):
            def call(evm, data=data):
                return evm.message_call(SENDER, TARGET, data)

            results = [outcome(evm, call) for evm in evms]
            assert results[0] == results[1], n
            assert int.from_bytes(results[0][0][:32], "big") == n and results[0][0][63] == 1, n
    assert len(evms[0]._state.callees) > CalleeTable.INITIAL_ENTRIES  # the table grew on the way
