"""The native engines' storage-cache prefill (baseline.engine.SlotHints): slots an account's earlier
frames touched start a frame in its cache, COLD until first touched. Gas, refunds, out-of-gas
points, reverts and static frames must come out exactly as on the reference, on every engine, in
the second and later transactions (the ones that run with hints)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

import jitvm
import jitvm.api
from jitvm.evm.engines import get_engine
from tests.api.bytecode import assemble
from tests.evm.test_call_trees import CALLER, nodes, number, code_of

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


def run(engine: str, calls: list[tuple[bytes, int]]) -> list:
    evm = jitvm.EVM(engine=engine)
    evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**20))
    evm.insert_account_info(CONTRACT, jitvm.AccountInfo(code=TOUCH_SLOTS))
    evm.insert_account_storage(CONTRACT, 1, 11)
    evm.insert_account_storage(CONTRACT, 2, 22)
    seen = []
    for data, gas in calls:
        try:
            ended = ("success", evm.message_call(CALLER, CONTRACT, data, gas=gas))
        except jitvm.api.ExecutionReverted as reverted:
            ended = ("revert", reverted.output)
        except jitvm.api.ExecutionHalted as halted:
            ended = ("halt", halted.reason)
        result = evm.result
        seen.append((ended, result.gas_used, result.gas_refunded, len(result.logs),
                     [evm.storage(CONTRACT, key) for key in range(4)]))
    return seen


def test_out_of_gas_points_of_prefilled_slots_equal_the_reference():
    """The same transaction again with every gas limit across its cold accesses: where it runs out
    of gas, and what it costs when it does not, is the reference's."""
    warm_up = [((5).to_bytes(32, "big"), 200_000)]
    for engine in ENGINES:
        run(engine, warm_up * 2)
        assert get_engine(engine).slot_hints._keys.get(bytes.fromhex(CONTRACT[2:])), engine
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


def test_a_frame_touching_more_slots_than_the_cache_holds_equals_the_reference():
    """Past the cache's limit the host empties it (giving the state its writes) and goes on."""
    code = counting_loop(1_500)

    def run_loop(engine: str) -> list:
        evm = jitvm.EVM(engine=engine)
        evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**20))
        evm.insert_account_info(CONTRACT, jitvm.AccountInfo(code=code))
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
