"""The memory budget of a transaction: how many bytes of EVM memory all its frames may take.

Gas bounds one frame's memory (gas.MEMORY_LIMIT), but a call tree whose every frame expands its
memory as far as its gas allows can hold hundreds of such frames at once. Every engine takes what
it allocates for EVM memory from `ctx.memory_left` first (the reference interpreter as memory
expands, the native engines when their buffer must grow); past the budget the transaction cannot
complete, and MemoryBudgetExceeded unwinds every frame to whoever runs the transaction, which undoes
it (jitvm.EVM reports a halt, `OutOfGas(MemoryLimit)` as revm names it).
"""

from __future__ import annotations

# How many bytes of EVM memory the frames of one transaction may take in all, by default: revm's
# default memory limit. Gas bounds a frame's memory (to gas.MEMORY_LIMIT), but not a deep call tree's.
DEFAULT_MEMORY_LIMIT = (1 << 32) - 1


class MemoryBudgetExceeded(Exception):
    """The frames of one transaction asked for more memory than its budget (ctx.memory_left). The
    transaction cannot complete; whoever runs it undoes its changes (jitvm.EVM reports a halt)."""


def take_memory(ctx, size: int) -> None:
    """Take `size` bytes of the transaction's memory budget before allocating them."""
    left = ctx.memory_left - size
    if left < 0:
        raise MemoryBudgetExceeded(f"the transaction's frames need more than its memory budget "
                                   f"(another {size:,} bytes, {ctx.memory_left:,} left)")
    ctx.memory_left = left
