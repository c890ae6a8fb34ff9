"""Asynchronous calls, run after the frame that asked for them has returned (same shard): the call,
then the caller's callback with the outcome (a return-code byte, then the callee's results, or its
error message) and, as its payment and back transfers, what the callee sent back. A failed call is
undone, and so is a failed callback, each on its own: the transaction as a whole still succeeds, as
on MultiversX. A call to an account the world does not hold goes to another shard: it leaves as an
outgoing transfer (its data kept as the account's `asyncCallData`) and no callback runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jitvm.wasm.builtins import BUILTINS
from jitvm.wasm.frame import CallInput, PendingCall, Transaction
from jitvm.wasm.outcome import CallEnded, CallResult, LogEntry, ReturnCode, execution_failed

if TYPE_CHECKING:
    from jitvm.wasm.vm import WasmVM
    from jitvm.wasm.world import World

LEGACY_CALLBACK = "callBack"


def parse_call_data(data: bytes) -> tuple[str, list[bytes]]:
    """`function@hexarg@hexarg`, the legacy call-data format."""
    function, *arguments = data.split(b"@")
    try:
        return function.decode(), [bytes.fromhex(a.decode()) for a in arguments]
    except ValueError:
        raise CallEnded(ReturnCode.EXECUTION_FAILED, "invalid call data") from None


def run_pending(vm: "WasmVM", world: "World", caller_call: CallInput, caller_code: bytes, tx: Transaction,
                result: CallResult) -> CallResult:
    caller = caller_call.recipient
    gas_left = result.gas_remaining
    for pending in result.pending:
        # A legacy call gets all the caller's gas left but what is locked for its callback.
        gas = max(0, gas_left - pending.callback_gas) if pending.legacy else pending.gas
        if pending.legacy:
            gas_left = 0
        if _in_another_shard(world, pending):
            try:
                _send_out(world, caller, pending)
            except CallEnded as ended:
                tx.errors.append(ended.message)
            gas_left += gas if not pending.legacy else 0
            continue
        outcome, destination = _run_call(vm, world, caller, pending, gas, tx)
        if not outcome.ok:
            tx.errors.append(outcome.message)
        callback = LEGACY_CALLBACK if pending.legacy else (
            pending.success_callback if outcome.ok else pending.error_callback)
        if not callback:
            gas_left += outcome.gas_remaining
            continue
        code_byte = bytes([int(outcome.code)])
        arguments = [code_byte, *outcome.results] if outcome.ok else [code_byte, outcome.message.encode()]
        # What the callee sent back to the caller is the callback's payment; an ESDT payment was
        # logged as the transfer itself, EGLD (or nothing) as the callback's own transfer.
        egld_back, esdt_back = outcome.sent_back if outcome.ok else (0, [])
        if not esdt_back:
            tx.logs.append(LogEntry(destination, b"transferValueOnly", [b"", caller],
                                    [b"AsyncCallback", callback.encode(), *arguments]))
        callback_gas = outcome.gas_remaining + pending.callback_gas
        snapshot = world.snapshot()
        back = vm.run(world, CallInput(destination, caller, callback, arguments, egld_back, list(esdt_back), callback_gas),
                      caller_code, callback, tx, closure=pending.closure or b"",
                      back_transfers=(egld_back, list(esdt_back)))
        if not back.ok:
            world.restore(snapshot)
            tx.errors.append(back.message)
        gas_left += back.gas_remaining if back.ok else 0
    result.pending = []
    result.gas_remaining = gas_left
    return result


def _in_another_shard(world: "World", pending: PendingCall) -> bool:
    """A destination the world does not hold lives in another shard (as in MultiversX's scenario
    world): the call leaves as an outgoing transfer, and its callback would come in a later block."""
    return pending.destination not in world.accounts and pending.function not in BUILTINS


def _send_out(world: "World", caller: bytes, pending: PendingCall) -> None:
    from jitvm.wasm.hooks.calls import call_data, move_funds

    move_funds(world, caller, pending.destination, pending.value, [])
    world.account(pending.destination).async_call_data = call_data(pending.function, pending.arguments)


def _run_call(vm: "WasmVM", world: "World", caller: bytes, pending: PendingCall, gas: int,
              tx: Transaction) -> tuple[CallResult, bytes]:
    """The asynchronous call itself, undone if it fails: (its result, the account it ran on). A call
    to an ESDT transfer built-in moves the tokens, logged as that built-in, then runs the function
    it names on the real destination with them as payment."""
    from jitvm.wasm.hooks.calls import (
        EGLD_IN_MULTI_TRANSFER, ESDT_TRANSFERS, UPGRADE_FUNCTION, decode_esdt_transfer, esdt_transfer_log, move_funds,
        run_upgrade,
    )

    destination, function, arguments, esdt = pending.destination, pending.function, list(pending.arguments), []
    snapshot = world.snapshot()
    data_mark, log_mark = len(tx.return_data), len(tx.logs)
    try:
        if function in ESDT_TRANSFERS:
            original = (function, arguments)
            destination, esdt, function, arguments = decode_esdt_transfer(caller, destination, function, arguments)
            egld = sum(amount for token, _, amount in esdt if token == EGLD_IN_MULTI_TRANSFER)
            if egld and egld > _committed_balance(tx, world, caller):
                # The built-in runs against the state as it was before the transaction: EGLD the
                # caller received during it does not count yet.
                raise execution_failed(f"insufficient funds for token {EGLD_IN_MULTI_TRANSFER.decode()}")
            move_funds(world, caller, destination, pending.value, esdt)
            # The built-in's log stays even when the call it carries fails (its transfer is undone).
            tx.logs.append(esdt_transfer_log(caller, destination, esdt, "AsyncCall", original))
            log_mark = len(tx.logs)
        else:
            if function not in BUILTINS:  # a built-in logs what it does itself
                tx.logs.append(LogEntry(caller, b"transferValueOnly", [_number(pending.value), destination],
                                        [pending.call_type, function.encode(), *arguments]))
            move_funds(world, caller, destination, pending.value, esdt)
        code = world.account(destination).code
        call = CallInput(caller, destination, function, arguments, pending.value, esdt, gas)
        runs = function and (code or function in BUILTINS)
        if function == UPGRADE_FUNCTION:
            outcome = run_upgrade(world, vm, caller, destination, pending.value, arguments, gas, tx)
        elif runs:
            outcome = vm.run(world, call, code, function, tx)
        else:
            outcome = CallResult(ReturnCode.OK, gas_remaining=gas)
    except CallEnded as ended:
        outcome = CallResult(ended.code, ended.message)
    if not outcome.ok:
        world.restore(snapshot)
        del tx.return_data[data_mark:]
        del tx.logs[log_mark:]
    return outcome, destination


def _committed_balance(tx: Transaction, world: "World", address: bytes) -> int:
    accounts = tx.committed if tx.committed is not None else world.accounts
    account = accounts.get(address)
    return account.balance if account is not None else 0


def _number(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")
