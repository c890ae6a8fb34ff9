"""py-evm chains run two ways — py-evm's own interpreter, and jitvm's engines through
jitvm.evm.pyevm_backend — must produce the same receipts, outputs and block state roots.

The script deploys contracts with creating transactions (constructors that write storage, revert,
run out of gas while depositing, return code starting with 0xEF), then calls them with every kind of
transaction (legacy, EIP-2930, EIP-1559): storage and logs, value transfers, nested CALL /
DELEGATECALL / STATICCALL, CREATE and CREATE2 from code, self-destructs, transient storage,
refunds, precompiles, the block environment and BLOCKHASH, out-of-gas and reverts — over three
blocks, checked after every transaction and every block.
"""

from __future__ import annotations

import pytest

pytest.importorskip("eth")

import rlp  # noqa: E402  (py-evm's dependency)
from eth.chains.base import MiningChain  # noqa: E402
from eth.db.atomic import AtomicDB  # noqa: E402
from eth.tools.builder.chain import build, cancun_at, chain_id, disable_pow_check, genesis, shanghai_at  # noqa: E402
from eth_keys import keys  # noqa: E402

from jitvm.evm.addresses import create_address  # noqa: E402
from jitvm.evm.engines import ENGINE_NAMES  # noqa: E402
from jitvm.evm.pyevm_backend import JitvmComputationMixin, jitvm_vm, on_jitvm  # noqa: E402
from tests.api.bytecode import assemble, initcode, word  # noqa: E402

pytestmark = pytest.mark.peers

KEY = keys.PrivateKey(bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8"))
SENDER = KEY.public_key.to_canonical_address()
OTHER_KEY = keys.PrivateKey(bytes.fromhex("41f6e321b31e72173f8ff2e292359e1862f24fba42fe6f97efaf641980eff298"))
OTHER = OTHER_KEY.public_key.to_canonical_address()
BENEFICIARY = bytes.fromhex("be" * 20)
GAS = 1_000_000


def n(address: bytes) -> int:
    return int.from_bytes(address, "big")


# -- contracts (runtime code) --------------------------------------------------------------------------

# Stores calldata word 0 at slot 1, logs it with two topics, returns it plus CALLVALUE.
STORE_LOG = assemble(0, "CALLDATALOAD", "DUP1", 1, "SSTORE", "DUP1", 0, "MSTORE", 0xAA, "CALLER", 32, 0, "LOG2",
                     "CALLVALUE", "ADD", 0, "MSTORE", 32, 0, "RETURN")
REVERTER = assemble(7, 3, "SSTORE", 0xDEAD, 0, "MSTORE", 2, 30, "REVERT")
SPINNER = assemble("JUMPDEST", 0, "JUMP")
# Writes slot 5 (fails under STATICCALL).
WRITER = assemble(1, 5, "SSTORE", "STOP")
ENVIRONMENT = assemble(*[part for slot, op in enumerate(
    ["NUMBER", "TIMESTAMP", "COINBASE", "BASEFEE", "CHAINID", "GASPRICE", "ORIGIN", "PREVRANDAO", "BLOBBASEFEE",
     "SELFBALANCE", "GASLIMIT", "CALLER"]) for part in (op, slot, "SSTORE")],
    1, "NUMBER", "SUB", "BLOCKHASH", 20, "SSTORE", "STOP")
# Clears slots 1 and 2 (refunds), sets slot 3 to 0 and back.
REFUNDER = assemble(0, 1, "SSTORE", 0, 2, "SSTORE", 9, 3, "SSTORE", 0, 3, "SSTORE", "STOP")
# SELFDESTRUCT to BENEFICIARY.
DESTROYER = assemble(n(BENEFICIARY), "SELFDESTRUCT")
# TSTORE, then call itself (with calldata, so the inner frame reads the transient slot into slot 9),
# then TLOAD into slot 8.
_TRANSIENT_OUTER = assemble(0x77, 1, "TSTORE", 0, 0, 1, 0, 0, "ADDRESS", "GAS", "CALL", "POP",
                            1, "TLOAD", 8, "SSTORE", "STOP")
_TRANSIENT_HEAD = 4  # CALLDATASIZE PUSH1 label JUMPI
TRANSIENT = assemble("CALLDATASIZE", _TRANSIENT_HEAD + len(_TRANSIENT_OUTER), "JUMPI") + _TRANSIENT_OUTER + assemble(
    "JUMPDEST", 1, "TLOAD", 9, "SSTORE", "STOP")


def caller_of(store_log: bytes, writer: bytes, reverter: bytes) -> bytes:
    """CALL store_log with value and data, DELEGATECALL it, STATICCALL writer, CALL reverter; store results."""
    return assemble(
        42, 0, "MSTORE",
        32, 32, 32, 0, 3, n(store_log), "GAS", "CALL", 10, "SSTORE", 32, "MLOAD", 11, "SSTORE",
        32, 32, 32, 0, n(store_log), "GAS", "DELEGATECALL", 12, "SSTORE",
        0, 0, 0, 0, n(writer), 50_000, "STATICCALL", 13, "SSTORE",  # fails, burning its 50,000
        0, 0, 0, 0, 0, n(reverter), "GAS", "CALL", 14, "SSTORE", "RETURNDATASIZE", 15, "SSTORE",
        "STOP",
    )


def factory() -> bytes:
    """CREATE a child that stores 1 and returns WRITER; CREATE2 a child whose constructor self-destructs."""
    child = initcode(WRITER, assemble(1, 0, "SSTORE"))
    doomed = assemble(n(BENEFICIARY), "SELFDESTRUCT")
    return assemble(
        int.from_bytes(child, "big"), 0, "MSTORE",
        len(child), 32 - len(child), 0, "CREATE", 0, "SSTORE",
        int.from_bytes(doomed, "big"), 0, "MSTORE",
        0x5A17, len(doomed), 32 - len(doomed), 0, "CREATE2", 1, "SSTORE",
        0, 0, 0, 0, 0, 0, "SLOAD", "GAS", "CALL", 2, "SSTORE",
        "STOP",
    )


def precompile_caller() -> bytes:
    """sha256, identity, modexp (3 ** 5 % 7) and bn254 add (0 + 0); outputs and results into slots."""
    calls = ((2, 0, 32), (4, 0, 96), (5, 0x100, 99), (6, 0x300, 128))  # (address, input offset, size)
    parts = [0xABCDEF, 0, "MSTORE", 0x030507, 0x143, "MSTORE",  # modexp's three bytes, then their lengths
             1, 0x100, "MSTORE", 1, 0x120, "MSTORE", 1, 0x140, "MSTORE"]
    for slot, (address, offset, size) in enumerate(calls):
        parts += [32, 0x200, size, offset, address, 100_000, "STATICCALL", 0x30 + slot, "SSTORE",
                  0x200, "MLOAD", 0x40 + slot, "SSTORE"]
    return assemble(*parts, "STOP")


# -- the script --------------------------------------------------------------------------------------


def make_chain(engine: str | None, fork_step=cancun_at):
    steps = [chain_id(1), fork_step(0)]
    if engine is not None:
        steps.append(on_jitvm(engine))
    return build(
        MiningChain, *steps, disable_pow_check(),
        # A genesis timestamp in the future makes every block's timestamp its parent's plus one, instead
        # of the wall clock: both runs see the same TIMESTAMP and block hashes.
        genesis(db=AtomicDB(), params={"gas_limit": 30_000_000, "difficulty": 0, "nonce": b"\0" * 8,
                                       "timestamp": 4_000_000_000},
                state={SENDER: {"balance": 10**21, "nonce": 0, "code": b"", "storage": {}},
                       OTHER: {"balance": 10**18, "nonce": 0, "code": b"", "storage": {}}}),
    )


class Script:
    """Sends transactions to a chain and records everything observable."""

    def __init__(self, chain):
        self.chain = chain
        self.nonces = {SENDER: 0, OTHER: 0}
        self.record: list = []

    def send(self, kind: str, to: bytes | None, data: bytes = b"", value: int = 0, gas: int = GAS, key=KEY,
             access_list=()):
        sender = key.public_key.to_canonical_address()
        nonce = self.nonces[sender]
        self.nonces[sender] += 1
        builder = self.chain.get_vm().get_transaction_builder()
        target = to if to is not None else b""
        if kind == "legacy":
            tx = self.chain.get_vm().create_unsigned_transaction(
                nonce=nonce, gas_price=10**10, gas=gas, to=target, value=value, data=data,
            ).as_signed_transaction(key, chain_id=1)
        elif kind == "2930":
            tx = builder.new_unsigned_access_list_transaction(
                chain_id=1, nonce=nonce, gas_price=10**10, gas=gas, to=target, value=value, data=data,
                access_list=list(access_list)).as_signed_transaction(key)
        else:
            tx = builder.new_unsigned_dynamic_fee_transaction(
                chain_id=1, nonce=nonce, max_priority_fee_per_gas=3, max_fee_per_gas=10**10, gas=gas, to=target,
                value=value, data=data, access_list=list(access_list)).as_signed_transaction(key)
        block, receipt, computation = self.chain.apply_transaction(tx)
        encoded = receipt.encode() if hasattr(receipt, "encode") else rlp.encode(receipt)
        self.record.append(("tx", len(self.record), encoded, computation.is_success,
                            computation.output if computation.is_success else None,
                            block.header.state_root))
        return create_address(sender, nonce) if to is None else None

    def mine(self):
        block = self.chain.mine_block()
        header = block.header
        self.record.append(("block", header.state_root, header.receipt_root, header.gas_used, header.bloom))


def run_script(chain) -> list:
    s = Script(chain)
    store_log = s.send("1559", None, initcode(STORE_LOG, assemble(5, 9, "SSTORE")))
    reverter = s.send("legacy", None, initcode(REVERTER))
    writer = s.send("2930", None, initcode(WRITER))
    spinner = s.send("1559", None, initcode(SPINNER))
    environment = s.send("1559", None, initcode(ENVIRONMENT))
    refunder = s.send("1559", None, initcode(REFUNDER, assemble(1, 1, "SSTORE", 2, 2, "SSTORE")))
    destroyer = s.send("1559", None, initcode(DESTROYER), value=10)
    transient = s.send("1559", None, initcode(TRANSIENT))
    caller = s.send("1559", None, initcode(caller_of(store_log, writer, reverter)), value=100)
    factory_address = s.send("1559", None, initcode(factory()))
    precompiles = s.send("1559", None, initcode(precompile_caller()))
    s.send("1559", None, assemble(0, 0, "REVERT"))  # constructor reverts
    s.send("1559", None, initcode(bytes(200)), gas=53_000 + 10_000)  # out of gas depositing the code
    s.send("1559", None, assemble(0xEF, 0, "MSTORE8", 1, 0, "RETURN"))  # EIP-3541
    s.mine()

    s.send("legacy", store_log, word(11), value=3)
    s.send("2930", store_log, word(12), access_list=[(store_log, [1])])
    s.send("1559", reverter)
    s.send("1559", spinner, gas=60_000)
    s.send("1559", environment, value=7)
    s.send("1559", refunder)
    s.send("1559", destroyer)
    s.send("1559", transient)
    s.send("1559", caller)
    s.send("1559", factory_address)
    s.send("1559", precompiles)
    s.mine()

    s.send("1559", BENEFICIARY, value=1)  # value to an account that exists now
    s.send("1559", bytes.fromhex("ab" * 20), value=0)  # nothing to a new account
    s.send("1559", OTHER, value=5, key=OTHER_KEY)  # to oneself
    s.send("legacy", writer, key=OTHER_KEY)
    s.send("1559", environment)
    s.send("1559", store_log, word(13), gas=21_000 + 200 + 5_000)  # out of gas in SSTORE
    s.mine()
    return s.record


# -- tests -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pyevm_record():
    return run_script(make_chain(None))


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_same_receipts_and_roots(pyevm_record, engine):
    chain = make_chain(engine)
    assert issubclass(chain.get_vm()._state_class.computation_class, JitvmComputationMixin)
    record = run_script(chain)
    assert len(record) == len(pyevm_record)
    for ours, theirs in zip(record, pyevm_record):
        assert ours == theirs


def test_the_script_exercises_what_it_claims(pyevm_record):
    transactions = [entry for entry in pyevm_record if entry[0] == "tx"]
    outcomes = [entry[3] for entry in transactions]
    assert outcomes.count(False) >= 5 and outcomes.count(True) >= 20  # reverts, halts, failed creates


def test_shanghai_chain():
    def script(chain):
        s = Script(chain)
        address = s.send("1559", None, initcode(STORE_LOG))
        s.send("1559", address, word(3), value=1)
        s.mine()
        return s.record

    assert script(make_chain("reference", shanghai_at)) == script(make_chain(None, shanghai_at))


def test_vm_class_configuration():
    from eth.vm.forks.cancun import CancunVM
    from eth.vm.forks.prague import PragueVM

    vm_class = jitvm_vm(CancunVM, engine="reference")
    computation_class = vm_class._state_class.computation_class
    assert issubclass(computation_class, JitvmComputationMixin)
    assert computation_class.jitvm_fork == "Cancun" and computation_class.jitvm_engine == "reference"
    with pytest.raises(TypeError):
        jitvm_vm(PragueVM)
