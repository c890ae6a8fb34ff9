"""The shapes of a native log batch (jitvm.evm.logs.NativeLogBatch, made by host.flush_native): a
frame's one log (0 to 4 topics, data of 0, 1, 32 and 33 bytes) copied in its own short form, several
logs, a native child's log in its parent's buffer (other addresses), a frame ending with and without
output or reverting after its log, and a long-lived EVM whose transactions log one after another:
the logs read through `jitvm.EVM.result` equal the reference's, transaction by transaction."""

from __future__ import annotations

import pytest

import jitvm
from jitvm.evm.state import State
from tests.api.bytecode import assemble
from tests.evm.test_native_storage import CALLER, CONTRACT, ENGINES

CHILD = "0x" + "c1" * 20
TOPICS = (0xAA << 248 | 1, 2, 0, (1 << 256) - 1)  # a high limb, small, zero, all ones
ENDINGS = {"stop": assemble("STOP"), "return": assemble(32, 0, "RETURN"), "revert": assemble(0, 0, "REVERT")}


def one_log(topics: int, size: int) -> bytes:
    """A word of memory 0..63 filled with distinct bytes, then LOG<topics> of its first `size` bytes."""
    fill = assemble(int.from_bytes(bytes(range(1, 33)), "big"), 0, "MSTORE",
                    int.from_bytes(bytes(range(33, 65)), "big"), 32, "MSTORE")
    return fill + assemble(*reversed(TOPICS[:topics]), size, 0, f"LOG{topics}")


def logs_of(evm: jitvm.EVM, data: bytes = b"") -> tuple:
    """The call's ending and its logs, as read from the result (twice: the same both times)."""
    try:
        evm.message_call(CALLER, CONTRACT, data, gas=1_000_000)
        ending = "success"
    except jitvm.api.ExecutionReverted:
        ending = "revert"
    logs = [shown(log) for log in evm.result.logs]
    assert [shown(log) for log in evm.result.logs] == logs
    return ending, logs


def shown(log) -> tuple:
    """(address bytes, topics as ints, data) of a jitvm.api.Log (pyrevm's form)."""
    return (bytes.fromhex(log.address[2:]), tuple(int(topic, 16) for topic in log.topics), log.data[1])


def session(engine: str, code: bytes, child: bytes | None = None, calls: int = 3) -> list:
    evm = jitvm.EVM(engine=engine)
    evm.insert_account_info(CALLER, jitvm.AccountInfo(balance=10**20))
    evm.insert_account_info(CONTRACT, jitvm.AccountInfo(code=code))
    if child is not None:
        evm.insert_account_info(CHILD, jitvm.AccountInfo(code=child))
    return [logs_of(evm) for _ in range(calls)]  # the later calls run native children (docs/native-calls.md)


def same_on_every_engine(code: bytes, child: bytes | None = None) -> list:
    expected = session("reference", code, child)
    for engine in ENGINES:
        assert session(engine, code, child) == expected, engine
    return expected


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_one_log_of_every_shape(ending):
    for topics in range(5):
        for size in (0, 1, 32, 33):
            seen = same_on_every_engine(one_log(topics, size) + ENDINGS[ending])
            assert all(len(logs) == (ending != "revert") for _, logs in seen)
            if ending != "revert":
                assert seen[0][1][0][1:] == (TOPICS[:topics], bytes(range(1, size + 1)))


def test_several_logs_of_different_shapes_in_one_frame():
    code = one_log(0, 33) + one_log(4, 0) + one_log(2, 1) + one_log(1, 32) + ENDINGS["return"]
    seen = same_on_every_engine(code)
    assert [log[1] for log in seen[0][1]] == [(), TOPICS, TOPICS[:2], TOPICS[:1]]


def call_child(value: int = 0) -> bytes:
    return assemble(0, 0, 0, 0, value, int(CHILD, 16), "GAS", "CALL", "POP")


@pytest.mark.parametrize("parent_logs", [False, True])
def test_a_native_childs_log_keeps_its_address(parent_logs, monkeypatch):
    # The child's one log joins the parent's buffer (a mixed batch, even of one log).
    child = one_log(3, 5) + ENDINGS["stop"]
    code = call_child() + (one_log(1, 2) if parent_logs else b"") + ENDINGS["stop"]
    batches = []
    add_native_logs = State.add_native_logs
    monkeypatch.setattr(State, "add_native_logs",
                        lambda state, batch: batches.append(batch) or add_native_logs(state, batch))
    seen = same_on_every_engine(code, child)
    assert any(batch.addresses is not None for batch in batches)  # the native children's path was taken
    for _, logs in seen:
        assert [log[0] for log in logs] == [bytes.fromhex(CHILD[2:])] + [bytes.fromhex(CONTRACT[2:])] * parent_logs


def test_a_reverted_childs_log_vanishes_and_the_parents_stays():
    child = one_log(2, 7) + ENDINGS["revert"]
    code = one_log(1, 3) + call_child() + one_log(0, 0) + ENDINGS["stop"]
    seen = same_on_every_engine(code, child)
    assert all([log[1] for log in logs] == [TOPICS[:1], ()] for _, logs in seen)
