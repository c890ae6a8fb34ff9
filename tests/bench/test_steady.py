"""jitvm.bench.steady.forget_code_memos and bench/steady_bar.py's steady-state calls."""

from __future__ import annotations

import sys
from pathlib import Path

from jitvm.bench.steady import forget_code_memos
from jitvm.evm import jumpdests
from jitvm.evm.baseline import layout


def test_forget_code_memos_empties_every_memo_keyed_by_code_bytes():
    code = bytes([0x5B, 0x00]) + bytes(3)
    layout.code_rows(code), layout.code_rows_at(code), layout.calldata_at(code), jumpdests.jump_destinations(code)
    memos = (layout.code_rows, layout.code_rows_at, layout.calldata_at, jumpdests.jumpdest_positions,
             jumpdests.jump_destinations)
    assert all(memo.cache_info().currsize for memo in memos)
    forget_code_memos()
    assert not any(memo.cache_info().currsize for memo in memos)
    assert jumpdests.jump_destinations(code) == frozenset({0})  # and they fill again


def test_steady_bar_times_a_workload_on_every_engine():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        import steady_bar
    finally:
        sys.path.pop(0)

    class Arguments:
        warm, warm_seconds, rounds, sample_seconds = 3, 1.0, 1, 0.001

    (case,) = steady_bar.cases("evm/zeros_0xffff", skip_long=True)
    seconds = steady_bar.time_side_by_side(case, Arguments)
    assert set(seconds) == {"baseline", "jit", "auto"} and all(value > 0 for value in seconds.values())
    assert not steady_bar.cases("snailtracer", skip_long=True)
