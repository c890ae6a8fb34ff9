"""Replaying an EVM reproducer (`jitvm fuzz replay FILE`): the state test `jitvm fuzz evm` wrote, run
again on every engine and peer, with the same comparison the fuzzer made.

The file holds the whole multi-contract pre-state and the transaction; they are read back into the
fuzzer's case (each contract's code as one piece), so the replay is the fuzzer's own check, not an
approximation of it. `jitvm statetest FILE --engine E` replays it too, against the reference's
post-state root written in the file; this also shows every engine and pyrevm side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jitvm.errors import InputError
from jitvm.fuzz.evm_programs import CONTRACTS, EvmCase, Piece


@dataclass
class Replay:
    name: str
    case: EvmCase
    expected_root: bytes  # written in the file: the reference's root when the file was written
    outcomes: dict[str, dict]  # engine or peer -> outcome (the reference's included)
    mismatches: list  # evm_check.Mismatch, as the fuzzer reports them


def case_from_state_test(case) -> EvmCase:
    """The fuzzer's case behind a state-test case it wrote; InputError for any other state test."""
    from jitvm.fuzz.evm_check import pre_accounts, transaction

    count = 0
    while count < len(CONTRACTS) and CONTRACTS[count] in case.pre:
        count += 1
    tx = case.transaction
    if count == 0 or tx is None:
        raise InputError(case.file, f"{case.name}: not a reproducer written by `jitvm fuzz evm`")
    accounts = [case.pre[address] for address in CONTRACTS[:count]]
    rebuilt = EvmCase(
        contracts=tuple((Piece(account.code),) for account in accounts),
        storage=tuple(tuple(sorted(account.storage.items())) for account in accounts),
        balances=tuple(account.balance for account in accounts),
        calldata=tx.data, value=tx.value, gas=tx.gas_limit,
    )
    same_transaction = (transaction(rebuilt).to, transaction(rebuilt).gas_price) == (tx.to, tx.gas_price)
    if pre_accounts(rebuilt) != case.pre or not same_transaction:
        raise InputError(case.file, f"{case.name}: its pre-state or transaction is not the fuzzer's, "
                                    f"replay it with `jitvm statetest` instead")
    return rebuilt


def replay_file(path: str, engines, peers) -> list[Replay]:
    from jitvm.evm.statetest import load_cases
    from jitvm.fuzz import evm_check

    if not Path(path).is_file():
        raise InputError(path, "no such file")
    if Path(path).suffix == ".data":
        raise InputError(path, "a BPF reproducer: replay it with `jitvm bpf run FILE --engine E` "
                               "(the file's notes give the command)")
    replays = []
    for state_case in load_cases(Path(path)):
        case = case_from_state_test(state_case)
        expected = evm_check.jitvm_outcome(case, "reference")
        outcomes = {"reference": expected}
        for engine in (*engines, *peers):
            try:
                outcomes[engine] = evm_check.outcome(case, engine)
            except Exception as error:
                outcomes[engine] = {"crash": f"{type(error).__name__}: {error}"}
        mismatches = evm_check.check_case(case, engines, peers, expected=expected)
        replays.append(Replay(state_case.name, case, state_case.expected_root, outcomes, mismatches))
    return replays
