"""One EVM case on every engine and on pyrevm, and what differs.

jitvm's engines run the case as a real transaction (`apply_transaction`) and must agree on everything: status, output, gas
used and refunded, logs, and the root of the whole post-state. pyrevm runs it as `message_call` on a
fresh EVM (one call, so its warm-slot carry-over does not come into play, docs/pyrevm-compat.md) and
must agree on what it can show: success / revert / halt (its halt reasons are finer than jitvm's),
output, gas used, logs, and every account the case can touch (balance, code hash, the storage slots
the programs use). A pyrevm call buys no gas and does not bump the caller's nonce, so its caller and
coinbase balances are compared after adding what the transaction paid, and the caller's nonce is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jitvm.evm.context import BlockEnv
from jitvm.evm.roots import logs_hash, state_root
from jitvm.evm.state import Account, State
from jitvm.evm.transaction import InvalidTransaction, Transaction, apply_transaction
from jitvm.evm.jumpdests import instruction_starts
from jitvm.fuzz.evm_programs import (
    CALLER, CALLER_BALANCE, COINBASE, CONTRACTS, EMPTY_ACCOUNT, OP, SLOTS, EvmCase,
)

FORK = "Cancun"
ENGINES = ("reference", "baseline", "jit", "auto")
PEERS = ("pyrevm",)
BASEFEE = OP["BASEFEE"]
PRECOMPILES = tuple(n.to_bytes(20, "big") for n in range(1, 11))
WATCHED = (CALLER, COINBASE, EMPTY_ACCOUNT, *CONTRACTS, *PRECOMPILES)
GAS_PRICE = 10
BLOCK = dict(coinbase=COINBASE, number=1, timestamp=1000, gas_limit=30_000_000, base_fee=7, prev_randao=0)


@dataclass(frozen=True)
class Mismatch:
    engine: str
    fields: tuple[str, ...]
    expected: dict
    actual: dict

    def describe(self) -> str:
        return "; ".join(f"{name}: reference {_short(self.expected.get(name))} != {self.engine} "
                         f"{_short(self.actual.get(name))}" for name in self.fields)


def _short(value) -> str:
    text = value.hex() if isinstance(value, bytes) else repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def pre_accounts(case: EvmCase) -> dict[bytes, Account]:
    accounts = {CALLER: Account(balance=CALLER_BALANCE)}
    for address, code, storage, balance in zip(CONTRACTS, case.codes(), case.storage, case.balances):
        accounts[address] = Account(nonce=1, balance=balance, code=code, storage=dict(storage))
    return accounts


def transaction(case: EvmCase) -> Transaction:
    return Transaction(sender=CALLER, to=CONTRACTS[0], nonce=0, gas_limit=case.gas, value=case.value,
                       data=case.calldata, gas_price=GAS_PRICE)


@cache
def _engine(name: str):
    """The engine objects. 'jit' compiles every code before its first frame: the registered one runs
    a code's first 2,000,000 instructions on the baseline kernel (JITVM_JIT_COLD_STEPS), so it would
    run no fuzz program compiled. 'auto' compiles a code at its second frame (the registered one
    waits for 64 frames, which one fuzz transaction rarely reaches), so frames of one code run on
    both tiers."""
    from jitvm.evm.engines import get_engine
    from jitvm.evm.jit.engine import JitEngine

    if name == "jit":
        return JitEngine(cold_steps=0)
    if name == "auto":
        return JitEngine(hot_calls=1, background=True)
    return get_engine(name)


class RecordingReference:
    """The reference interpreter, noting the code of every frame it starts (the codes the JIT will
    be asked for: jitvm.fuzz.jit_batch compiles them together beforehand)."""

    name = "reference"

    def __init__(self):
        from jitvm.evm.reference import run_frame

        self._run_frame = run_frame
        self.codes: dict[bytes, None] = {}

    def run_frame(self, message, ctx):
        if message.code:
            self.codes[message.code] = None
        return self._run_frame(message, ctx)


def jitvm_outcome(case: EvmCase, engine, same_root_as: dict | None = None) -> dict:
    """The outcome on the engine named `engine` (or on that engine object). The state root is hashed
    unless `same_root_as` (the reference's outcome) left exactly the same accounts: then it is that
    outcome's root (a quarter of an engine's run went into hashing it)."""
    from jitvm.evm.forks import get_fork

    state = State(pre_accounts(case))
    try:
        result = apply_transaction(state, BlockEnv(**BLOCK), transaction(case), get_fork(FORK),
                                   engine=_engine(engine) if isinstance(engine, str) else engine)
    except InvalidTransaction as rejection:
        return {"rejected": rejection.code}
    post_state = _post_state(state.accounts)
    same = same_root_as is not None and same_root_as.get("post_state") == post_state
    return {
        "status": result.status.name.lower(),
        "kind": _kind(result.status.name),
        "output": result.output,
        "gas_used": result.gas_used,
        "gas_refunded": result.gas_refunded,
        "logs": tuple((log.address, tuple(log.topics), log.data) for log in result.logs),
        "logs_hash": logs_hash(result.logs),
        "accounts": _watched(state.accounts),
        "post_state": post_state,
        "state_root": same_root_as["state_root"] if same else state_root(state.accounts),
    }


def _post_state(accounts) -> tuple:
    """Everything of the accounts that the state root hashes (equal values, equal roots)."""
    return tuple(sorted((address, account.nonce, account.balance, account.code,
                         tuple(sorted((slot, value) for slot, value in account.storage.items() if value)))
                        for address, account in accounts.items()))


def _kind(status: str) -> str:
    return {"SUCCESS": "success", "REVERT": "revert"}.get(status, "halt")


def _watched(accounts) -> tuple:
    from jitvm.evm.state import EMPTY_KECCAK256

    seen = []
    for address in WATCHED:
        account = accounts.get(address)
        storage = account.storage if account is not None else {}
        slots = tuple(storage.get(slot, 0) for slot in range(SLOTS)) if address in CONTRACTS else ()
        if account is None:
            seen.append((address.hex(), 0, EMPTY_KECCAK256.hex(), slots))
        else:
            seen.append((address.hex(), account.balance, account.code_hash.hex(), slots))
    return tuple(seen)


def pyrevm_available() -> bool:
    try:
        import pyrevm  # noqa: F401
    except ImportError:
        return False
    return True


def pyrevm_comparable(case: EvmCase) -> bool:
    """Whether pyrevm can be compared on the case (docs/pyrevm-compat.md): not with starting storage
    (pyrevm's inserted storage starts warm and dirty), nor with a BASEFEE instruction in a code
    (pyrevm's message_call reads it as 0; the generator writes none, a byte mutation can; jumps land
    only on JUMPDESTs, so a BASEFEE byte inside PUSH data never runs and does not count)."""
    if any(case.storage):
        return False
    return not any(op == BASEFEE for code in case.codes() for _, op, _ in instruction_starts(code))


def pyrevm_outcome(case: EvmCase) -> dict:
    import pyrevm

    evm = pyrevm.EVM()
    # Every field the engines see. pyrevm 0.3's message_call still reads BASEFEE as 0 whatever the
    # block says (docs/pyrevm-compat.md): a fuzz mismatch on pyrevm alone at a BASEFEE is that.
    evm.set_block_env(pyrevm.BlockEnv(number=BLOCK["number"], coinbase="0x" + COINBASE.hex(),
                                      timestamp=BLOCK["timestamp"], basefee=BLOCK["base_fee"],
                                      gas_limit=BLOCK["gas_limit"],
                                      prevrandao=BLOCK["prev_randao"].to_bytes(32, "big")))
    evm.set_balance("0x" + CALLER.hex(), CALLER_BALANCE)
    for address, code, storage, balance in zip(CONTRACTS, case.codes(), case.storage, case.balances):
        evm.insert_account_info("0x" + address.hex(), pyrevm.AccountInfo(balance=balance, nonce=1, code=code))
        for slot, value in storage:
            evm.insert_account_storage("0x" + address.hex(), slot, value)
    output = b""
    try:
        output = bytes(evm.message_call("0x" + CALLER.hex(), "0x" + CONTRACTS[0].hex(), case.calldata,
                                        case.value, case.gas, GAS_PRICE))
    except RuntimeError as error:
        message = str(error)
        if evm.result is None:
            return {"rejected": message}
        if message.startswith("Revert") and "output: 0x" in message:
            output = bytes.fromhex(message.split("output: 0x", 1)[1].split()[0].rstrip("},"))
    result = evm.result
    kind = "success" if result.is_success else ("halt" if result.is_halt else "revert")
    paid = {CALLER: -result.gas_used * GAS_PRICE, COINBASE: result.gas_used * (GAS_PRICE - BLOCK["base_fee"])}
    accounts = []
    for address in WATCHED:
        info = evm.basic("0x" + address.hex())
        slots = tuple(evm.storage("0x" + address.hex(), slot) for slot in range(SLOTS)) if address in CONTRACTS else ()
        accounts.append((address.hex(), info.balance + paid.get(address, 0), bytes(info.code_hash).hex(), slots))
    logs = []
    for log in result.logs:
        topics, data = log.data
        logs.append((bytes.fromhex(log.address[2:].lower()), tuple(int.from_bytes(bytes(t), "big") for t in topics),
                     bytes(data)))
    return {"kind": kind, "output": output if kind != "halt" else b"", "gas_used": result.gas_used,
            "logs": tuple(logs), "accounts": tuple(accounts)}


JITVM_FIELDS = ("rejected", "status", "output", "gas_used", "gas_refunded", "logs", "accounts", "state_root")
EELS_FIELDS = ("rejected", "success", "gas_used", "logs_hash", "state_root")
PEER_NAMES = ("pyrevm", "eels")
PYREVM_FIELDS = ("rejected", "kind", "output", "gas_used", "logs", "accounts")


def outcome(case: EvmCase, engine: str, expected: dict | None = None) -> dict:
    """The outcome on an engine or peer (`expected`: the reference's, whose state root a jitvm engine
    that leaves the same accounts shares)."""
    if engine == "pyrevm":
        return pyrevm_outcome(case)
    if engine == "eels":
        from jitvm.fuzz import eels_oracle

        return eels_oracle.outcome(case)
    return jitvm_outcome(case, engine, same_root_as=expected)


def peer_view(expected: dict, engine: str) -> dict:
    """The reference's outcome as a peer can be compared with it."""
    if engine == "eels":
        from jitvm.fuzz import eels_oracle

        return eels_oracle.as_reference(expected)
    return expected


def differences(expected: dict, actual: dict, engine: str) -> tuple[str, ...]:
    fields = {"pyrevm": PYREVM_FIELDS, "eels": EELS_FIELDS}.get(engine, JITVM_FIELDS)
    if engine in PEER_NAMES and "rejected" in expected and "rejected" in actual:
        return ()  # both refused the transaction (their messages differ by design)
    return tuple(name for name in fields if expected.get(name) != actual.get(name))


def check_case(case: EvmCase, engines=ENGINES[1:], peers=PEERS, expected: dict | None = None) -> list[Mismatch]:
    """Every engine and peer against the reference (whose outcome may be given); an empty list when
    all agree."""
    if expected is None:
        expected = jitvm_outcome(case, "reference")
    mismatches = []
    if "pyrevm" in peers and not pyrevm_comparable(case):
        peers = tuple(peer for peer in peers if peer != "pyrevm")
    for engine in (*engines, *peers):
        try:
            actual = outcome(case, engine, expected)
        except Exception as error:  # an engine that crashes disagrees too
            actual = {"crash": f"{type(error).__name__}: {error}"}
        wanted = peer_view(expected, engine)
        fields = differences(wanted, actual, engine) if "crash" not in actual else ("crash",)
        if fields:
            mismatches.append(Mismatch(engine, fields, wanted, actual))
    return mismatches
