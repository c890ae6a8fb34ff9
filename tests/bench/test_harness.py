"""The harness checks before it times, interleaves, and keeps what it measured when interrupted."""

import pytest

from jitvm.bench.harness import Settings, run_cases
from jitvm.bench.results import FAILED, INTERRUPTED, OK, SKIPPED
from jitvm.bench.runners import Observation, Runner, Unavailable, discover
from jitvm.bench.userfile import load_workload_file
from jitvm.errors import InputError

from .helpers import evm_answer, write_workloads

# The budget is far above what three fake calls cost on a loaded machine: `repeat` alone sets the sample count.
QUICK = Settings(repeat=3, budget=5, min_sample_seconds=0.0001)


class FakeRunner(Runner):
    """Answers `answer` with `units` work; counts its calls; may raise on the call numbered `interrupt_at`."""

    kind = "evm"

    def __init__(self, name, answer, units=18, python_speed=None, interrupt_at=None):
        self.name, self.answer, self.units, self.speed = name, answer, units, python_speed
        self.prepared = self.calls = 0
        self.interrupt_at = interrupt_at

    def python_speed(self):
        return self.speed

    def prepare(self, case):
        self.prepared += 1

        def call():
            self.calls += 1
            if self.calls == self.interrupt_at:
                raise KeyboardInterrupt
            return Observation(self.answer, self.units)

        return call


@pytest.fixture
def case(tmp_path):
    (case,) = load_workload_file(write_workloads(tmp_path, evm_answer(expected_gas=None)))
    return case


def test_a_wrong_answer_fails_and_is_never_timed(case):
    right = FakeRunner("right", case.expected_output)
    wrong = FakeRunner("wrong", b"\x01" * 32)
    run = run_cases([case], [right, wrong], QUICK)
    by_engine = {m.engine: m for m in run.measurements}
    assert by_engine["right"].status == OK and len(by_engine["right"].samples) == 3
    assert by_engine["wrong"].status == FAILED and by_engine["wrong"].samples == []
    assert "output 0x0101" in by_engine["wrong"].note
    assert wrong.calls == 1  # the verifying call only
    assert run.failures == [by_engine["wrong"]]


def test_without_expected_gas_every_engine_must_agree_with_pyrevm(case):
    pyrevm = FakeRunner("pyrevm", case.expected_output, units=18)
    other = FakeRunner("other", case.expected_output, units=19)
    run = run_cases([case], [other, pyrevm], QUICK)
    by_engine = {m.engine: m for m in run.measurements}
    assert by_engine["pyrevm"].status == OK
    assert by_engine["other"].status == FAILED and "gas 19 != 18 (pyrevm)" in by_engine["other"].note


def test_a_python_interpreter_skips_calls_expected_to_take_too_long(case):
    fast = FakeRunner("fast", case.expected_output, units=10**9)
    slow = FakeRunner("slow", case.expected_output, units=10**9, python_speed=1e6)
    run = run_cases([case], [slow, fast], QUICK)
    by_engine = {m.engine: m for m in run.measurements}
    assert by_engine["fast"].status == OK
    assert by_engine["slow"].status == SKIPPED and "~1000 s per call expected" in by_engine["slow"].note
    assert slow.calls == 0


def test_ctrl_c_keeps_what_was_measured(case):
    steady = FakeRunner("steady", case.expected_output)
    stopper = FakeRunner("stopper", case.expected_output, interrupt_at=4)
    run = run_cases([case, case], [steady, stopper], Settings(repeat=50, budget=5, min_sample_seconds=0, warmup_calls=1))
    assert run.interrupted
    assert "0 of 2 workloads finished" in run.notes[0]
    assert [m.status for m in run.measurements] == [INTERRUPTED, INTERRUPTED]  # the second case never started
    assert run.measurements[0].samples  # kept


def test_runs_are_interleaved_across_engines(case):
    order = []

    class Recording(FakeRunner):
        def prepare(self, case):
            call = super().prepare(case)
            return lambda: (order.append(self.name), call())[1]

    runners = [Recording("a", case.expected_output), Recording("b", case.expected_output)]
    run_cases([case], runners, Settings(repeat=3, budget=5, min_sample_seconds=0, warmup_calls=1))
    timed = order[4:]  # after two verifying and two warm-up calls
    assert sorted(timed) == ["a", "a", "a", "b", "b", "b"]
    assert timed != ["a", "a", "a", "b", "b", "b"] and timed[:2] in (["a", "b"], ["b", "a"])


def test_the_real_engines_and_peers_agree_on_a_pre_state(tmp_path):
    # SLOAD(0) of the contract, returned: the pre-state's storage must reach every engine and peer.
    contract = "0x00000000000000000000000000000000c0de0001"
    path = write_workloads(tmp_path, evm_answer(
        name="storage", code="0x60005460005260206000f3", expected_output="0x" + (7).to_bytes(32, "big").hex(),
        expected_gas=None, pre_state={contract: {"storage": {"0x0": 7}}}))
    runners, _ = discover(["evm"], None)
    run = run_cases(load_workload_file(path), runners, QUICK)
    assert {m.engine: m.status for m in run.measurements} == {runner.name: OK for runner in runners}
    assert len({m.units for m in run.measurements}) == 1  # the same gas everywhere (2100: a cold SLOAD + 14)


def test_engines_named_on_the_command_line_must_exist(monkeypatch):
    with pytest.raises(InputError, match="unknown engine 'turbo'"):
        discover(["evm"], ["reference", "turbo"])
    import jitvm.bench.runners as runners

    monkeypatch.setattr(runners, "registered_engines", lambda kind: ["reference"])
    found, unavailable = discover(["evm", "bpf"], ["reference", "baseline"])
    assert [(r.kind, r.name) for r in found] == [("evm", "reference"), ("bpf", "reference")]
    assert set(unavailable) == {"evm/baseline", "bpf/baseline"}
    assert "registry" in unavailable["evm/baseline"]


def test_a_peer_that_is_not_installed_is_unavailable(monkeypatch):
    import jitvm.bench.peers as peers

    monkeypatch.setattr(peers, "peer_installed", lambda module: False)
    with pytest.raises(Unavailable, match="not installed"):
        peers.make_peer("pyrevm")


def test_an_engine_that_crashes_fails_without_stopping_the_run(case):
    class Crashing(FakeRunner):
        def prepare(self, case):
            call = super().prepare(case)
            return lambda: call() if self.calls < 2 else 1 / 0

    crashing, steady = Crashing("crashing", case.expected_output), FakeRunner("steady", case.expected_output)
    run = run_cases([case], [crashing, steady], QUICK)
    by_engine = {m.engine: m for m in run.measurements}
    assert by_engine["crashing"].status == FAILED and "ZeroDivisionError" in by_engine["crashing"].note
    assert by_engine["steady"].status == OK and len(by_engine["steady"].samples) == 3


def test_a_tiered_engine_is_timed_after_it_settles(case):
    """settle() runs once, after the verifying call and before any timed call; its compile seconds
    are reported as `optimize`; an engine whose settle() fails is FAILED, the others still run."""

    class Engine:
        def __init__(self, fail=False):
            self.fail, self.settled_after_calls, self.optimize = fail, None, 0.0

        def compile_stats(self):
            return {"compile_seconds": 0.5, "optimize_seconds": self.optimize}

    class Tiered(FakeRunner):
        def __init__(self, name, answer, fail=False):
            super().__init__(name, answer)
            self.engine = Engine(fail)

        def settle(self):
            if self.engine.fail:
                raise RuntimeError("background compile failed")
            self.engine.settled_after_calls, self.engine.optimize = self.calls, 2.0

    tiered, broken = Tiered("tiered", case.expected_output), Tiered("broken", case.expected_output, fail=True)
    run = run_cases([case], [tiered, broken], QUICK)
    by_engine = {m.engine: m for m in run.measurements}
    assert tiered.engine.settled_after_calls == 1  # the verifying call only
    assert by_engine["tiered"].status == OK and by_engine["tiered"].optimize_seconds == 2.0
    assert by_engine["broken"].status == FAILED and "background compile failed" in by_engine["broken"].note
