"""CPU instructions (callgrind) of the host work inside realworld transactions: each transaction's
total, and what chosen functions (the storage table's per-transaction start, the value transfer,
the frame's set-up, the kernel's runs, the flush of native logs and refunds, ...) take of it,
inclusive of what they call. Starts itself under valgrind.

    python bench/realworld/count_host_work.py [--engine baseline] [--filter weth,approve] [--calls 50]

Each chosen function is wrapped so that the counter is read on its entry and exit; the wrapper's
own few hundred instructions per call go to the caller, so the totals are a little above a plain
run's (the first column, counted unwrapped, is exact). A function's figure includes the wrapped
functions it calls (e.g. run_to_host includes frame_result, which includes flush_native).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

from callgrind_run import rerun_under_callgrind  # this script's folder is on sys.path
from jitvm.bench.counting import InstructionCounter

DEFAULT_WORKLOADS = "call/stop_contract,weth/deposit,weth/withdraw,erc20/approve,erc20/transfer,nft/mint"

# (label, module, owner (a class name or None for a module function), attribute)
PIECES = [
    ("EVM._transact", "jitvm.api", "EVM", "_transact"),
    ("  State.begin_transaction", "jitvm.evm.state", "State", "begin_transaction"),
    ("    StorageTable.next_epoch", "jitvm.evm.storage_table", "StorageTable", "next_epoch"),
    ("  run_call_frame", "jitvm.evm.transaction", None, "run_call_frame"),
    ("    State.transfer", "jitvm.evm.state", "State", "transfer"),
    ("    start_frame", "jitvm.evm.baseline.engine", "BaselineEngine", "start_frame"),
    ("      _set_up", "jitvm.evm.baseline.engine", "BaselineEngine", "_set_up"),
    ("        StorageTable.frame_account", "jitvm.evm.storage_table", "StorageTable", "frame_account"),
    ("      _children", "jitvm.evm.baseline.engine", "BaselineEngine", "_children"),
    ("      run_to_host", "jitvm.evm.baseline.engine", None, "run_to_host"),
    ("        serve_storage", "jitvm.evm.baseline.engine", None, "serve_storage"),
    ("        frame_result", "jitvm.evm.baseline.engine", None, "frame_result"),
    ("          flush_native", "jitvm.evm.baseline.host", None, "flush_native"),
    ("            State.add_native_logs", "jitvm.evm.state", "State", "add_native_logs"),
    ("            State.add_refund", "jitvm.evm.state", "State", "add_refund"),
    ("      serve_host", "jitvm.evm.baseline.engine", None, "serve_host"),
    ("      continue_message", "jitvm.evm.transaction", None, "continue_message"),
    ("    State.revert", "jitvm.evm.state", "State", "revert"),
    ("    State.snapshot", "jitvm.evm.state", "State", "snapshot"),
    ("  Account.balance (get)", "jitvm.evm.state", "Account", "balance"),
    ("  StorageTable.value", "jitvm.evm.storage_table", "StorageTable", "value"),
    ("  StorageTable.write_balance", "jitvm.evm.storage_table", "StorageTable", "write_balance"),
    ("  StorageTable.adopt", "jitvm.evm.storage_table", "StorageTable", "adopt"),
]


def wrap_pieces(counter, totals: dict, calls: dict) -> None:
    """Replace every PIECES function, wherever a jitvm module holds it, by a counting wrapper."""
    import importlib

    for label, module_name, owner, attribute in PIECES:
        module = importlib.import_module(module_name)
        holder = getattr(module, owner) if owner else module
        original = holder.__dict__.get(attribute) if owner else getattr(module, attribute, None)
        if original is None:
            continue
        if isinstance(original, property):
            getter = _counting(original.fget, label, counter, totals, calls)
            setattr(holder, attribute, property(getter, original.fset))
            continue
        wrapper = _counting(original, label, counter, totals, calls)
        if owner:
            setattr(holder, attribute, wrapper)
            continue
        for other in list(sys.modules.values()):
            if getattr(other, "__name__", "").startswith("jitvm") and getattr(other, attribute, None) is original:
                setattr(other, attribute, wrapper)


_NESTED = [0]  # wrapped calls made so far (to take their wrappers' cost off their callers' figures)
_COST = {"inside": 0.0, "whole": 0.0}  # a wrapper's instructions inside its own figure / in its caller's


def _counting(function, label, counter, totals, calls):
    import inspect

    def record(started: int, nested: int) -> None:
        ended = counter()
        inner = _NESTED[0] - nested
        _NESTED[0] += 1
        totals[label] += ended - started - _COST["inside"] - inner * _COST["whole"]
        calls[label] += 1

    if inspect.isgeneratorfunction(function):
        def generator(*args, **kwargs):
            nested, started = _NESTED[0], counter()
            try:
                return (yield from function(*args, **kwargs))
            finally:
                record(started, nested)
        return generator

    def wrapper(*args, **kwargs):
        nested, started = _NESTED[0], counter()
        try:
            return function(*args, **kwargs)
        finally:
            record(started, nested)
    return wrapper


def calibrate(counter, loops: int = 200) -> None:
    """Measure a wrapper's own cost on an empty function: what lands inside its figure, and what
    a call of it adds to its caller's."""
    totals, calls = defaultdict(float), defaultdict(int)
    empty = _counting(lambda: None, "empty", counter, totals, calls)
    bare = lambda: None  # noqa: E731
    with counter.measuring():
        before = counter()
        for _ in range(loops):
            bare()
        plain = counter() - before
        before = counter()
        for _ in range(loops):
            empty()
        wrapped = counter() - before
    _COST["inside"] = totals["empty"] / loops
    _COST["whole"] = (wrapped - plain) / loops


def count_flush(counter, sessions) -> None:
    """flush_native of the log the last weth/deposit frame buffered (its buffer still holds it)."""
    from callgrind_run import instructions_per_run
    from jitvm.evm.baseline.engine import frame_result
    from jitvm.evm.baseline.host import flush_native
    from jitvm.evm.baseline.layout import LOG_BYTES, LOGS, NATIVE_WRITES

    session = sessions.get("weth/deposit")
    if session is None:
        return
    session.run()
    frame = session.deployment.evm._engine._pool._free[-1].frame
    registers = frame.registers

    def flush():
        registers[NATIVE_WRITES], registers[LOGS], registers[LOG_BYTES] = 1, 1, 32
        flush_native(frame)

    def result():
        registers[NATIVE_WRITES], registers[LOGS], registers[LOG_BYTES] = 1, 1, 32
        frame_result(frame)

    print(f"{'setting three registers':38}{instructions_per_run(counter, lambda: None, 200):14,.0f}")
    print(f"{'flush_native, one log (+ the above)':38}{instructions_per_run(counter, flush, 200):14,.0f}")
    print(f"{'frame_result, one log (+ the above)':38}{instructions_per_run(counter, result, 200):14,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="baseline")
    parser.add_argument("--filter", default=DEFAULT_WORKLOADS)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--flush", action="store_true", help="also count flush_native of one buffered log alone")
    args = parser.parse_args()
    rerun_under_callgrind()

    from jitvm.bench.realworld import _session

    counter = InstructionCounter()
    names = [name for name in args.filter.split(",") if name]
    sessions = {name: _session(name, args.engine) for name in names}
    for session in sessions.values():
        for _ in range(5):
            session.run()
    if args.engine in ("jit", "auto"):
        from jitvm.evm.engines import get_engine

        get_engine(args.engine).settle()
    plain = {}
    for name, session in sessions.items():
        with counter.measuring():
            before = counter()
            for _ in range(args.calls):
                session.run()
            plain[name] = (counter() - before) / args.calls
    if args.flush:
        count_flush(counter, sessions)
    per_workload = {}
    calibrate(counter)
    totals, calls = defaultdict(float), defaultdict(int)
    wrap_pieces(counter, totals, calls)
    for name, session in sessions.items():
        totals.clear()
        calls.clear()
        with counter.measuring():
            for _ in range(args.calls):
                session.run()
        per_workload[name] = {label: (totals[label] / args.calls, calls[label] / args.calls) for label in totals}
    print(f"{'instructions per transaction':38}" + "".join(f"{name.split('/')[-1][:13]:>14}" for name in names))
    print(f"{'whole message_call (unwrapped)':38}" + "".join(f"{plain[name]:14,.0f}" for name in names))
    for label, *_ in PIECES:
        if any(label in per_workload[name] for name in names):
            cells = []
            for name in names:
                total, count = per_workload[name].get(label, (0, 0))
                cells.append(f"{total:10,.0f} x{count:<2.0f}" if count else f"{'':14}")
            print(f"{label:38}" + "".join(cells))
    print(f"(a wrapper's own cost, taken off: {_COST['inside']:,.0f} inside a figure, {_COST['whole']:,.0f} per call"
          " in its caller's)")


if __name__ == "__main__":
    main()
