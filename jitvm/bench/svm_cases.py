"""The `svm` group of `jitvm bench`: signed Solana transactions on jitvm's SVM (one row per BPF
engine) and on LiteSVM (solders, Agave's runtime) side by side. One timed call is one transaction,
(`mixed`: one of each of its four kinds), so the time per call is the time per transaction: signature verification, account loading, the
program run, the checks and the commit, as `send_transaction` does them in both.

Workloads (each a cycle of distinct transactions sent one after another, state committed between
them, as a validator replays a ledger):
- `spl-token/transfer`: SPL Token transfers (the mainnet token.so) between two token accounts,
  alternating direction so every balance stays far from zero;
- `mixed`: in turn a System transfer, an SPL Token transfer, an SPL Token transfer with a Compute
  Budget unit limit and priority fee, and a Memo v3 memo.

Before a jitvm session is timed it replays one whole cycle and checks every transaction's error,
compute units, fee and logs against LiteSVM's (computed once per workload); a difference fails the
row instead of timing it. The programs (SPL Token and Memo, Apache-2.0) are bundled in
jitvm/bench/data/svm/programs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GROUP = "svm"
PROGRAMS = Path(__file__).with_name("data") / "svm" / "programs"
TOKEN_ID = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
MEMO_ID = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"
COMPUTE_BUDGET_ID = "ComputeBudget111111111111111111111111111111"
UPGRADEABLE = "BPFLoaderUpgradeab1e11111111111111111111111"
LOADER_V2 = "BPFLoader2111111111111111111111111111111111"
CYCLE = 512  # distinct transactions per workload (more than the 32 signatures either bank remembers)
PAYER_LAMPORTS = 10**15
WORKLOADS = ("spl-token/transfer", "mixed")
QUICK_WORKLOADS = ("spl-token/transfer",)
PER_CALL = {"mixed": 4}  # one call sends one transaction of each kind (their costs differ a lot)
ENGINES = ("reference", "baseline", "jit")
PEER = "litesvm"


@dataclass(frozen=True, slots=True)
class SvmCase:
    """A workload of the svm group; a call sends the session's next transaction, which must succeed."""

    name: str
    per_call: int = 1  # transactions sent by one timed call
    group: str = GROUP
    expected_output: str = "ok"
    kind = "svm"
    unit = "transactions"
    expected_units = None  # a call's compute units depend on its place in the cycle (checked at setup)

    @property
    def key(self) -> str:
        return f"svm/{self.name}"

    def describe_answer(self) -> str:
        return "every transaction as LiteSVM runs it"


def svm_cases() -> list[SvmCase]:
    if not (PROGRAMS / "token.so").is_file():
        return []
    return [SvmCase(name, PER_CALL.get(name, 1)) for name in WORKLOADS]


# -- the ledgers ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ledger:
    programs: tuple[tuple[str, bytes, str], ...]  # (program id, ELF, loader id)
    accounts: tuple  # (pubkey, solders Account) set before the setup transactions
    setup: tuple  # transactions that build the state (mint, token accounts...)
    cycle: tuple  # the timed transactions, in order


@cache
def ledger(name: str) -> Ledger:
    """The signed transactions of workload `name` (the same objects for every runner)."""
    from solders.account import Account
    from solders.hash import Hash
    from solders.keypair import Keypair
    from solders.pubkey import Pubkey

    from jitvm.svm.bank import GENESIS_BLOCKHASH
    from jitvm.bench.svm_ledger import token_transfer_ledger

    blockhash = Hash(GENESIS_BLOCKHASH)  # both banks start from it (LiteSVM: sha256("genesis"))
    token = (TOKEN_ID, (PROGRAMS / "token.so").read_bytes(), UPGRADEABLE)
    if name == "spl-token/transfer":
        payer, setup, moves = token_transfer_ledger(CYCLE, blockhash)
        funded = Account(PAYER_LAMPORTS, b"", Pubkey.default(), False, 0)
        return Ledger((token,), ((payer.pubkey(), funded),), tuple(setup), tuple(moves))
    if name == "mixed":
        memo = (MEMO_ID, (PROGRAMS / "memo.so").read_bytes(), LOADER_V2)
        payer, setup, moves = token_transfer_ledger(CYCLE, blockhash)
        recipient = Keypair.from_seed(bytes([9]) * 32).pubkey()
        funded = Account(PAYER_LAMPORTS, b"", Pubkey.default(), False, 0)
        held = Account(10**9, b"", Pubkey.default(), False, 0)
        # Positions 4k+1 and 4k+2 move the same amount there and back, so balances hold over cycles.
        cycle = [_mixed_transaction(index, payer, recipient, moves[2 * (index // 4) + index % 4 - 1], blockhash)
                 for index in range(CYCLE)]
        return Ledger((token, memo), ((payer.pubkey(), funded), (recipient, held)), tuple(setup), tuple(cycle))
    raise KeyError(name)


def _mixed_transaction(index: int, payer, recipient, token_transfer, blockhash):
    """Every fourth: a System transfer, an SPL Token transfer, the same with a unit limit and a
    priority fee, a Memo."""
    from solders.instruction import Instruction
    from solders.message import Message
    from solders.pubkey import Pubkey
    from solders.system_program import TransferParams, transfer
    from solders.transaction import Transaction

    kind = index % 4
    if kind == 1:
        return token_transfer
    owner = payer.pubkey()
    if kind == 0:
        instructions = [transfer(TransferParams(from_pubkey=owner, to_pubkey=recipient, lamports=1000 + index))]
    elif kind == 2:
        budget = Pubkey.from_string(COMPUTE_BUDGET_ID)
        instructions = [Instruction(budget, bytes([2]) + struct.pack("<I", 20_000), []),
                        Instruction(budget, bytes([3]) + struct.pack("<Q", 1_000 + index), []),
                        *_token_instructions(token_transfer)]
    else:
        instructions = [Instruction(Pubkey.from_string(MEMO_ID), f"jitvm bench memo {index}".encode(), [])]
    return Transaction([payer], Message(instructions, owner), blockhash)


def _token_instructions(transaction) -> list:
    """The instructions of a signed transaction, decompiled (to put them into another message)."""
    from solders.instruction import AccountMeta, Instruction

    message = transaction.message
    keys, header = message.account_keys, message.header
    signed = header.num_required_signatures

    def writable(i: int) -> bool:
        if i < signed:
            return i < signed - header.num_readonly_signed_accounts
        return i < len(keys) - header.num_readonly_unsigned_accounts

    return [Instruction(keys[ix.program_id_index], bytes(ix.data),
                        [AccountMeta(keys[i], i < signed, writable(i)) for i in bytes(ix.accounts)])
            for ix in message.instructions]


# -- sessions -----------------------------------------------------------------------------------------

def _summary(result) -> tuple:
    """(error, compute units, fee, logs) of a jitvm or a LiteSVM result."""
    if hasattr(result, "meta") and not callable(result.meta):  # jitvm
        meta = result.meta
        return (None if result.err is None else str(result.err), meta.compute_units_consumed, meta.fee,
                tuple(meta.logs))
    failed = hasattr(result, "err")
    meta = result.meta() if failed else result
    return (str(result.err) if failed else None, meta.compute_units_consumed(), meta.fee(), tuple(meta.logs()))


def _new_bank(runner_name: str, workload: Ledger):
    from solders.pubkey import Pubkey

    if runner_name == PEER:
        from solders.litesvm import LiteSVM

        bank = LiteSVM()
        for program_id, elf, loader in workload.programs:
            bank.add_program_with_loader(Pubkey.from_string(program_id), elf, Pubkey.from_string(loader))
    else:
        from jitvm.svm import SVM

        bank = SVM(engine=runner_name)
        for program_id, elf, loader in workload.programs:
            bank.add_program(Pubkey.from_string(program_id), elf, Pubkey.from_string(loader))
    for address, account in workload.accounts:
        bank.set_account(address, account)
    return bank


@cache
def expected(name: str) -> tuple[tuple, ...]:
    """LiteSVM's summary of every setup and cycle transaction of workload `name`."""
    workload = ledger(name)
    bank = _new_bank(PEER, workload)
    return tuple(_summary(bank.send_transaction(tx)) for tx in workload.setup + workload.cycle)


class Session:
    """One workload on one bank: the setup, one checked pass over the cycle, then the timed calls."""

    def __init__(self, name: str, runner_name: str):
        workload = ledger(name)
        self.bank = _new_bank(runner_name, workload)
        self.cycle = workload.cycle
        self.position = 0
        self.peer = runner_name == PEER
        self.problem = None
        wanted = expected(name)
        for index, tx in enumerate(workload.setup + (() if self.peer else workload.cycle)):
            got = _summary(self.bank.send_transaction(tx))
            if got != wanted[index]:
                self.problem = f"transaction {index} differs from LiteSVM: {got[:3]} != {wanted[index][:3]}"
                break

    def send(self):
        """The next transaction of the cycle; its error (None when it succeeded)."""
        tx = self.cycle[self.position]
        self.position = self.position + 1 if self.position + 1 < len(self.cycle) else 0
        result = self.bank.send_transaction(tx)
        if self.peer:
            return None if type(result).__name__ == "TransactionMetadata" else str(result.err)
        return None if result.err is None else str(result.err)


_SESSIONS: dict[tuple[str, str], Session] = {}


def _session(name: str, runner_name: str) -> Session:
    session = _SESSIONS.get((name, runner_name))
    if session is None:
        session = _SESSIONS[(name, runner_name)] = Session(name, runner_name)
    return session


class SvmRunner:
    """jitvm's SVM on one BPF engine, or LiteSVM (the peer)."""

    kind = "svm"
    counts_work = False  # compute units are checked against LiteSVM when the session starts

    def __init__(self, name: str):
        from jitvm.bpf.engines import get_engine

        self.name = name
        self.peer = name == PEER
        self.engine = None if self.peer else get_engine(name)

    def applies_to(self, case) -> bool:
        return True

    @property
    def label(self) -> str:
        return self.name

    def python_speed(self) -> float | None:
        return None

    def settle(self) -> None:
        if self.engine is not None and hasattr(self.engine, "settle"):
            self.engine.settle()

    def compile_stats(self):
        return self.engine.compile_stats() if self.engine is not None and hasattr(self.engine, "compile_stats") \
            else None

    def prepare(self, case: SvmCase):
        from jitvm.bench.runners import Observation

        session = _session(case.name, self.name)
        if session.problem is not None:
            problem = session.problem

            def wrong() -> Observation:
                return Observation("differs", None, problem)

            return wrong

        if case.per_call == 1:
            def call() -> Observation:
                return Observation("ok", None, session.send())
        else:
            def call() -> Observation:
                errors = [session.send() for _ in range(case.per_call)]
                return Observation("ok", None, next((error for error in errors if error), None))

        return call
