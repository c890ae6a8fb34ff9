"""Helpers for measuring engines side by side in one process, each as it runs alone.

The baseline's per-code memos (`code_rows`, `code_rows_at`, `calldata_at`, the JUMPDEST analysis)
are functools.lru_caches keyed by the code's (or calldata's) bytes. A key compares by identity
first, so a process whose accounts keep their code objects finds a code met before without
comparing its bytes. But an engine measured after another, on a session of its own (a new
deployment, a new `codes()` list), holds equal code in other bytes objects: every lookup then
compares the whole code with the first engine's key (a 64 KB code costs about 10k CPU instructions
a frame). That cost belongs to the measurement's order, not to the engine: forget the memos before
each engine's session.
"""

from __future__ import annotations


def forget_code_memos() -> None:
    """Empty the memos keyed by code or calldata bytes (the next frames fill them again)."""
    from jitvm.evm import jumpdests
    from jitvm.evm.baseline import layout

    for memo in (layout.code_rows, layout.code_rows_at, layout.calldata_at, jumpdests.jumpdest_positions,
                 jumpdests.jump_destinations):
        memo.cache_clear()
