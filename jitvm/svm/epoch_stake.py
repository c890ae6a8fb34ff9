"""sol_get_epoch_stake (SIMD-0133): the cluster's total active stake for the epoch (a null address),
or the stake delegated to one vote account (0 for an account that is no vote account). jitvm's bank,
like a new LiteSVM, has no stakes: a TransactionContext may carry `epoch_stakes` (vote account ->
stake) to give some."""

from __future__ import annotations

SYSCALL_BASE_COST = 100
MEM_OP_BASE_COST = 10
CPI_BYTES_PER_UNIT = 250


def sol_get_epoch_stake(runtime, call, vote_address, *_):
    stakes = getattr(runtime.context, "epoch_stakes", {})
    if vote_address == 0:
        call.consume(SYSCALL_BASE_COST)
        return sum(stakes.values())
    call.consume(SYSCALL_BASE_COST + 32 // CPI_BYTES_PER_UNIT + MEM_OP_BASE_COST)
    return stakes.get(call.read(vote_address, 32, 1), 0)
