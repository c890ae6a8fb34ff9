"""Logs the native engines buffer reach the state as raw batches (jitvm.evm.logs) and become Log
objects only when read: the same logs as the reference's, in the same order, on every engine; a
reverted frame's logs vanish; reading them twice gives the same; and the logs hash of a call stays
exact."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jitvm.evm.calls import call_code
from jitvm.evm.engines import get_engine
from jitvm.evm.logs import Log, Logs, NativeLogBatch
from jitvm.evm.roots import logs_hash
from tests.api.bytecode import assemble
from tests.evm.test_native_storage import ENGINES


def many_logs_code() -> bytes:
    """Calldata words: count, mode. Emits `count` LOG2s (topics i + 7 and i, data: i % 33 bytes of
    memory holding i); then mode 1 reverts, mode 2 calls itself with (count, 1) (a child whose logs
    are reverted) and emits one LOG0 after it, any other mode stops."""
    loop = assemble(0)
    body = assemble("JUMPDEST", "DUP1", 0, "MSTORE", "DUP1", "DUP1", 7, "ADD", 33, "DUP4", "MOD", 0, "LOG2",
                    1, "ADD", "DUP1", 0, "CALLDATALOAD", "GT", "PUSH2", len(loop).to_bytes(2, "big"), "JUMPI",
                    32, "CALLDATALOAD")
    head = loop + body
    checks_length = len(assemble("DUP1", 1, "EQ", "PUSH2", b"\0\0", "JUMPI", 2, "EQ", "PUSH2", b"\0\0", "JUMPI",
                                 "STOP"))
    revert_at = len(head) + checks_length
    reverting = assemble("JUMPDEST", 0, 0, "REVERT")
    call_at = revert_at + len(reverting)
    checks = assemble("DUP1", 1, "EQ", "PUSH2", revert_at.to_bytes(2, "big"), "JUMPI",
                      2, "EQ", "PUSH2", call_at.to_bytes(2, "big"), "JUMPI", "STOP")
    calling = assemble("JUMPDEST", 0, "CALLDATALOAD", 0, "MSTORE", 1, 32, "MSTORE",
                       0, 0, 64, 0, 0, "ADDRESS", "GAS", "CALL", "POP", 0, 0, "LOG0", "STOP")
    code = head + checks + reverting + calling
    assert code[revert_at] == code[call_at] == 0x5B
    return code


MANY_LOGS = many_logs_code()


def calldata(count: int, mode: int) -> bytes:
    return count.to_bytes(32, "big") + mode.to_bytes(32, "big")


def logs_of(engine: str, count: int, mode: int):
    outcome = call_code(MANY_LOGS, calldata(count, mode), gas=30_000_000, engine=get_engine(engine))
    return outcome.status, outcome.gas_used, outcome.state.logs


def test_logs_equal_the_reference_and_are_built_when_read():
    # 150 logs: more than the native buffer holds (64), so batches and host-served logs interleave.
    for count, mode in ((150, 0), (150, 2), (3, 1)):
        status, gas_used, expected = logs_of("reference", count, mode)
        assert len(expected) == {0: count, 2: count + 1, 1: 0}[mode]
        for engine in ENGINES:
            seen_status, seen_gas, logs = logs_of(engine, count, mode)
            assert (seen_status, seen_gas) == (status, gas_used), engine
            if engine != "auto":  # auto may run a short call on the reference
                assert mode == 1 or any(isinstance(record, NativeLogBatch) for record in logs._records), engine
            assert len(logs) == len(expected), engine  # known before any Log object is made
            assert list(logs) == list(expected), engine
            assert list(logs) == list(expected) and logs == expected, engine  # read twice
            assert logs_hash(logs) == logs_hash(expected), engine


def test_the_logs_of_a_reverted_child_vanish():
    _, _, logs = logs_of("baseline", 5, 2)
    assert len(logs) == 6
    assert [log.topics for log in logs][:5] == [(i + 7, i) for i in range(5)] and logs[5].topics == ()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["log", "batch", "pop", "read"]), max_size=40))
def test_logs_equal_a_list(operations):
    """Logs against a plain list of Log: appends, native batches, pops and reads in any order."""
    logs, model = Logs(), []
    records = []  # how many logs each record added
    for step, operation in enumerate(operations):
        if operation == "log":
            log = Log(bytes(20), (step,), bytes([step]))
            logs.append(log)
            model.append(log)
            records.append(1)
        elif operation == "batch":
            count = step % 3 + 1
            topics = b"".join((step * 10 + index).to_bytes(32, "little") + bytes(96) for index in range(count))
            counts = b"".join((1).to_bytes(8, "little") for _ in range(count))
            sizes = b"".join((1).to_bytes(8, "little") for _ in range(count)) if count > 1 else None
            logs.append_batch(NativeLogBatch(b"\x01" * 20, count, topics, counts, sizes, bytes(range(count))))
            model += [Log(b"\x01" * 20, (step * 10 + index,), bytes([index])) for index in range(count)]
            records.append(count)
        elif operation == "pop" and records:
            logs.pop()
            del model[len(model) - records.pop() :]
        assert len(logs) == len(model)
        if operation == "read":
            assert list(logs) == model
    assert list(logs) == model and logs == model


def test_jitvm_evm_result_logs_read_twice_equal_the_reference():
    from tests.evm.test_native_storage import CALLER, CONTRACT, contract_evm

    def logs(engine: str) -> list:
        evm = contract_evm(engine, MANY_LOGS)
        evm.message_call(CALLER, CONTRACT, calldata(70, 2), gas=10_000_000)
        first = [(log.address, log.topics, log.data) for log in evm.result.logs]
        assert [(log.address, log.topics, log.data) for log in evm.result.logs] == first, engine
        return first

    expected = logs("reference")
    assert len(expected) == 71
    for engine in ENGINES:
        assert logs(engine) == expected, engine
