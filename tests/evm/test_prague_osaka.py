"""Prague and Osaka rules, one by one: fork data, CLZ, EIP-7702 delegation, EIP-7623, EIP-7825, blobs.

The execution-spec-tests fixtures (tests/evm/test_eest.py) and the t8n differential
(tests/t8n/test_t8n_prague_osaka.py) cover the rules in depth; these pin each down where it lives, with
the numbers the EIPs give, and the execution specification as an oracle where it has the function.
"""

from __future__ import annotations

import pytest

from jitvm.evm import DEFAULT_FORK, gas
from jitvm.evm.calls import call_code
from jitvm.evm.context import BlockEnv
from jitvm.evm.delegation import (
    Authorization,
    apply_authorizations,
    delegated_address,
    designator,
    recover_authority,
    sign_authorization,
)
from jitvm.evm.engines import ENGINE_NAMES, get_engine
from jitvm.evm.forks import BlobSchedule, get_fork
from jitvm.evm.message import Status
from jitvm.evm.opcodes import opcode_table
from jitvm.evm.state import Account, State
from jitvm.evm.transaction import InvalidTransaction, Transaction, apply_transaction
from jitvm.hashing import keccak256

CLZ = opcode_table("Osaka").by_name["CLZ"]
SENDER_KEY = keccak256(b"prague osaka sender")
AUTHORITY_KEY = keccak256(b"prague osaka authority")


def _address(secret: bytes) -> bytes:
    from coincurve import PrivateKey

    return keccak256(PrivateKey(secret).public_key.format(compressed=False)[1:])[12:]


SENDER, AUTHORITY = _address(SENDER_KEY), _address(AUTHORITY_KEY)
TARGET = bytes.fromhex("00000000000000000000000000000000000c0de1")
# Stores CALLER in slot 0 and ADDRESS in slot 1 of whichever account runs it.
STORE_CALLER = bytes.fromhex("33600055306001 55".replace(" ", ""))


# -- forks as data ---------------------------------------------------------------------------------


def test_the_default_fork_is_osaka():
    assert DEFAULT_FORK == "Osaka" and get_fork(DEFAULT_FORK).at_least("Prague")


@pytest.mark.parametrize("name, target, maximum, fraction, types", [
    ("Cancun", 3, 6, 3_338_477, {0, 1, 2, 3}),
    ("Prague", 6, 9, 5_007_716, {0, 1, 2, 3, 4}),
    ("Osaka", 6, 9, 5_007_716, {0, 1, 2, 3, 4}),
    ("BPO1", 10, 15, 8_346_193, {0, 1, 2, 3, 4}),
    ("BPO2", 14, 21, 11_684_671, {0, 1, 2, 3, 4}),
])
def test_blob_schedules_and_transaction_types(name, target, maximum, fraction, types):
    fork = get_fork(name)
    assert fork.blob_schedule == BlobSchedule(target, maximum, fraction)
    assert fork.transaction_types == frozenset(types)


def test_blob_parameter_only_forks_run_osaka():
    bpo1 = get_fork("BPO1")
    assert bpo1.name == "Osaka" and bpo1.opcodes is get_fork("Osaka").opcodes and repr(bpo1) == "Fork(BPO1)"
    assert bpo1.max_blobs_per_transaction == 6  # EIP-7594, whatever the block's maximum
    assert get_fork("Prague").max_blobs_per_transaction == 9


def test_blob_base_fee_follows_the_fork_fraction():
    """EIP-7691 changed the update fraction: the same excess costs less under Prague."""
    excess = 10_000_000
    assert get_fork("Cancun").blob_base_fee(excess) == gas.fake_exponential(1, excess, 3_338_477) == 19
    assert get_fork("Prague").blob_base_fee(excess) == gas.fake_exponential(1, excess, 5_007_716) == 7


def test_blob_base_fee_matches_the_execution_specification():
    pytest.importorskip("ethereum")
    from ethereum.forks.bpo1.vm.gas import calculate_blob_gas_price as bpo1_price
    from ethereum.forks.prague.vm.gas import calculate_blob_gas_price as prague_price
    from ethereum_types.numeric import U64

    for excess in (0, 1, 393216, 10**7, 10**8, 3 * 10**8):
        assert get_fork("Prague").blob_base_fee(excess) == prague_price(U64(excess))
        assert get_fork("BPO1").blob_base_fee(excess) == bpo1_price(U64(excess))


# -- CLZ (EIP-7939) --------------------------------------------------------------------------------


def test_clz_is_in_the_table_from_osaka():
    assert (CLZ.byte, CLZ.inputs, CLZ.outputs, CLZ.static_gas) == (0x1E, 1, 1, 5)
    assert opcode_table("Prague")[0x1E] is None


@pytest.mark.parametrize("engine_name", [name for name in ENGINE_NAMES if name != "auto"])
@pytest.mark.parametrize("value", [0, 1, 2**63, 2**64 - 1, 2**64, 2**128 + 3, 2**255, 2**256 - 1])
def test_clz_counts_leading_zero_bits(engine_name, value):
    # PUSH32 value, CLZ, PUSH0, MSTORE, PUSH1 32, PUSH0, RETURN
    code = b"\x7f" + value.to_bytes(32, "big") + bytes.fromhex("1e5f5260205ff3")
    outcome = call_code(code, engine=get_engine(engine_name), fork="Osaka")
    assert int.from_bytes(outcome.output, "big") == 256 - value.bit_length()
    assert outcome.gas_used == 3 + 5 + 2 + (3 + 3) + 3 + 2 + 0  # MSTORE pays one word of memory


@pytest.mark.parametrize("engine_name", [name for name in ENGINE_NAMES if name != "auto"])
def test_clz_is_undefined_before_osaka(engine_name):
    assert call_code(bytes.fromhex("5f1e"), engine=get_engine(engine_name), fork="Prague").status \
        is Status.INVALID_OPCODE


# -- EIP-7702 --------------------------------------------------------------------------------------


def _authorization(chain_id=1, address=TARGET, nonce=0, secret=AUTHORITY_KEY) -> Authorization:
    return sign_authorization(secret, chain_id, address, nonce)


def test_authorities_are_recovered_and_bad_signatures_are_not():
    good = _authorization()
    assert recover_authority(good) == AUTHORITY
    from dataclasses import replace

    from jitvm.evm.delegation import SECP256K1_N

    assert recover_authority(replace(good, y_parity=2)) is None
    assert recover_authority(replace(good, s=SECP256K1_N - good.s)) is None  # EIP-2: high s
    assert recover_authority(replace(good, r=0)) is None


def test_apply_authorizations_skips_what_does_not_hold():
    state = State({AUTHORITY: Account(balance=1)})
    state.begin_transaction()
    refund = apply_authorizations(state, [
        _authorization(chain_id=5),  # another chain
        _authorization(nonce=1),  # wrong nonce
        _authorization(),  # applies: the authority exists, so it is refunded
        _authorization(nonce=1, address=bytes(20)),  # applies: clears the code again
        _authorization(nonce=2, chain_id=0, address=TARGET),  # chain id 0 is valid anywhere
    ], chain_id=1)
    assert refund == 3 * (gas.PER_EMPTY_ACCOUNT_COST - gas.PER_AUTH_BASE_COST)
    assert state.code(AUTHORITY) == designator(TARGET) and state.nonce(AUTHORITY) == 3
    assert delegated_address(state.code(AUTHORITY)) == TARGET and AUTHORITY in state.warm_addresses


def _set_code_tx(authorizations, to=AUTHORITY, gas_limit=200_000, data=b"") -> Transaction:
    return Transaction(SENDER, to, nonce=0, gas_limit=gas_limit, data=data, max_fee_per_gas=10,
                       max_priority_fee_per_gas=1, access_list=(), authorizations=tuple(authorizations))


@pytest.mark.parametrize("engine_name", [name for name in ENGINE_NAMES if name != "auto"])
def test_a_set_code_transaction_runs_the_delegate_in_the_authority(engine_name):
    state = State({SENDER: Account(balance=10**18), TARGET: Account(nonce=1, code=STORE_CALLER)})
    result = apply_transaction(state, BlockEnv(), _set_code_tx([_authorization()]), get_fork("Prague"),
                               engine=get_engine(engine_name))
    assert result.is_success
    authority = state.get(AUTHORITY)
    assert authority.code == designator(TARGET) and authority.nonce == 1
    assert authority.storage == {0: int.from_bytes(SENDER, "big"), 1: int.from_bytes(AUTHORITY, "big")}
    assert state.get(TARGET).storage == {}


def test_type_4_rules():
    state = State({SENDER: Account(balance=10**18)})
    with pytest.raises(InvalidTransaction) as empty:
        apply_transaction(state, BlockEnv(), _set_code_tx([]), get_fork("Prague"))
    with pytest.raises(InvalidTransaction) as create:
        apply_transaction(state, BlockEnv(), _set_code_tx([_authorization()], to=None), get_fork("Prague"))
    with pytest.raises(InvalidTransaction) as early:
        apply_transaction(state, BlockEnv(), _set_code_tx([_authorization()]), get_fork("Cancun"))
    assert (empty.value.code, create.value.code, early.value.code) == (
        "TYPE_4_EMPTY_AUTHORIZATION_LIST", "TYPE_4_TX_CONTRACT_CREATION", "TYPE_4_TX_PRE_FORK")


def test_a_delegated_sender_may_send():
    """EIP-3607 rejects senders with code, except a delegation designator (EIP-7702)."""
    state = State({SENDER: Account(balance=10**18, code=designator(TARGET))})
    tx = Transaction(SENDER, TARGET, gas_limit=50_000, max_fee_per_gas=10, max_priority_fee_per_gas=1,
                     access_list=())
    assert apply_transaction(state.copy(), BlockEnv(), tx, get_fork("Prague")).is_success
    with pytest.raises(InvalidTransaction, match="SENDER_NOT_EOA"):
        apply_transaction(state, BlockEnv(), tx, get_fork("Cancun"))


# -- EIP-7623 and EIP-7825 -------------------------------------------------------------------------


def test_calldata_floor():
    data = bytes(10) + b"\x01" * 10  # 10 + 40 tokens
    assert gas.calldata_floor(data) == 21000 + 10 * 50
    state = State({SENDER: Account(balance=10**18)})
    tx = Transaction(SENDER, TARGET, gas_limit=21000 + 4 * 10 + 16 * 10, data=data, gas_price=10)
    assert apply_transaction(state.copy(), BlockEnv(), tx, get_fork("Cancun")).gas_used == 21200
    with pytest.raises(InvalidTransaction, match="INTRINSIC_GAS_BELOW_FLOOR_GAS_COST"):
        apply_transaction(state.copy(), BlockEnv(), tx, get_fork("Prague"))
    tx.gas_limit = 30_000
    assert apply_transaction(state, BlockEnv(), tx, get_fork("Prague")).gas_used == 21500  # the floor


def test_transaction_gas_cap_from_osaka():
    state = State({SENDER: Account(balance=10**18)})
    tx = Transaction(SENDER, TARGET, gas_limit=2**24 + 1, gas_price=10)
    block = BlockEnv(gas_limit=60_000_000)
    assert apply_transaction(state.copy(), block, tx, get_fork("Prague")).is_success
    with pytest.raises(InvalidTransaction, match="GAS_LIMIT_EXCEEDS_MAXIMUM"):
        apply_transaction(state.copy(), block, tx, get_fork("Osaka"))
    tx.gas_limit = 2**24
    assert apply_transaction(state, block, tx, get_fork("Osaka")).is_success


# -- blobs (EIP-7594, EIP-7918) ----------------------------------------------------------------------


def _blob_tx(count: int) -> Transaction:
    return Transaction(SENDER, TARGET, gas_limit=50_000, max_fee_per_gas=10, max_priority_fee_per_gas=1,
                       access_list=(), blob_hashes=tuple(b"\x01" + bytes(31) for _ in range(count)),
                       max_fee_per_blob_gas=10)


def test_blobs_per_transaction():
    state = State({SENDER: Account(balance=10**18)})
    assert apply_transaction(state.copy(), BlockEnv(), _blob_tx(7), get_fork("Prague")).is_success
    with pytest.raises(InvalidTransaction, match="TYPE_3_TX_BLOB_COUNT_EXCEEDED"):
        apply_transaction(state.copy(), BlockEnv(), _blob_tx(7), get_fork("Osaka"))
    with pytest.raises(InvalidTransaction, match="TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED"):
        apply_transaction(state.copy(), BlockEnv(), _blob_tx(7), get_fork("Cancun"))


@pytest.mark.parametrize("fork_name", ["Prague", "Osaka", "BPO1", "BPO2"])
def test_excess_blob_gas_matches_the_execution_specification(fork_name):
    pytest.importorskip("ethereum")
    import importlib

    from ethereum_types.numeric import U64, Uint

    from jitvm.evm.t8n import expected_excess_blob_gas

    module = importlib.import_module(f"ethereum.forks.{fork_name.lower()}.vm.gas")
    header = importlib.import_module(f"ethereum.forks.{fork_name.lower()}.blocks").Header
    fields = {name: None for name in header.__dataclass_fields__}
    fork = get_fork(fork_name)
    for excess in (0, 393216, 786432, 10**7, 10**8):
        for used in (0, 131072, 786432, 1572864):
            for base_fee in (0, 7, 10**9, 10**12):
                parent = header(**{**fields, "excess_blob_gas": U64(excess), "blob_gas_used": U64(used),
                                   "base_fee_per_gas": Uint(base_fee)})
                assert expected_excess_blob_gas(fork, excess, used, base_fee) == module.calculate_excess_blob_gas(
                    parent), (excess, used, base_fee)
