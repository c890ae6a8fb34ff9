"""Calls from one contract to others: synchronous execution (on the destination's context, on the
caller's own context, read-only), transfers with or without a call, and the registration of
asynchronous calls (legacy `asyncCall`, which stops the caller, and promises)."""

from __future__ import annotations

from jitvm.wasm.builtins import BUILTINS
from jitvm.wasm.frame import CallInput, PendingCall
from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import AsyncBreak, CallEnded, CallResult, LogEntry, ReturnCode, execution_failed
from jitvm.wasm.values import unsigned_bytes
from jitvm.wasm.world import move_esdt


def _payments(frame, handle: int) -> list[tuple[bytes, int, int]]:
    """ESDT payments encoded as 16 bytes each: token buffer handle, nonce, amount BigInt handle."""
    raw = frame.buffer(handle)
    if len(raw) % 16:
        raise execution_failed("invalid ESDT transfers encoding")
    payments = []
    for i in range(0, len(raw), 16):
        token = frame.buffer(int.from_bytes(raw[i:i + 4], "big", signed=True))
        nonce = int.from_bytes(raw[i + 4:i + 12], "big")
        amount = frame.bigint(int.from_bytes(raw[i + 12:i + 16], "big", signed=True))
        payments.append((token, nonce, amount))
    return payments


ESDT_TRANSFERS = ("ESDTTransfer", "ESDTNFTTransfer", "MultiESDTNFTTransfer")


def decode_esdt_transfer(sender: bytes, destination: bytes, function: str, arguments: list[bytes]):
    """A call to an ESDT transfer built-in as (real destination, payments, function, arguments)."""
    try:
        if function == "ESDTTransfer":
            payments = [(arguments[0], 0, int.from_bytes(arguments[1], "big"))]
            rest = arguments[2:]
        elif function == "ESDTNFTTransfer":
            if destination != sender:
                raise execution_failed("invalid receiver address")
            payments = [(arguments[0], int.from_bytes(arguments[1], "big"), int.from_bytes(arguments[2], "big"))]
            destination, rest = arguments[3], arguments[4:]
        else:
            if destination != sender:
                raise execution_failed("invalid receiver address")
            destination, count = arguments[0], int.from_bytes(arguments[1], "big")
            payments = [(arguments[2 + 3 * i], int.from_bytes(arguments[3 + 3 * i], "big"),
                         int.from_bytes(arguments[4 + 3 * i], "big")) for i in range(count)]
            rest = arguments[2 + 3 * count:]
    except IndexError:
        raise execution_failed("invalid arguments to " + function) from None
    inner = rest[0].decode(errors="replace") if rest else ""
    return destination, payments, inner, list(rest[1:])


def transfer_log(frame, sender: bytes, destination: bytes, value: int, esdt, call_type: str, function: str,
                 arguments: list[bytes], builtin_call: tuple[str, list[bytes]] | None = None) -> None:
    """The log the VM writes for every transfer between accounts during a call."""
    call = [call_type.encode()]
    if builtin_call is not None:
        frame.logs.append(esdt_transfer_log(sender, destination, esdt, call_type, builtin_call))
        return
    if not esdt:
        frame.logs.append(LogEntry(sender, b"transferValueOnly", [unsigned_bytes(value), destination],
                                   call + [function.encode(), *arguments]))
        return
    if len(esdt) == 1 and esdt[0][0] != EGLD_IN_MULTI_TRANSFER:
        token, nonce, amount = esdt[0]
        builtin = b"ESDTTransfer" if nonce == 0 else b"ESDTNFTTransfer"
        details = [token, unsigned_bytes(amount)] if nonce == 0 else [token, unsigned_bytes(nonce), unsigned_bytes(amount),
                                                                      destination]
        topics = [token, unsigned_bytes(nonce), unsigned_bytes(amount), destination]
    else:
        builtin = b"MultiESDTNFTTransfer"
        details = [destination, unsigned_bytes(len(esdt))]
        topics = []
        for token, nonce, amount in esdt:
            details += [token, unsigned_bytes(nonce), unsigned_bytes(amount)]
            topics += [token, unsigned_bytes(nonce), unsigned_bytes(amount)]
        topics.append(destination)
    tail = [function.encode(), *arguments] if function else []
    frame.logs.append(LogEntry(sender, builtin, topics, call + [builtin] + details + tail))


def esdt_transfer_log(sender: bytes, destination: bytes, esdt, call_type: str,
                      builtin_call: tuple[str, list[bytes]]) -> LogEntry:
    """The log of a call to an ESDT transfer built-in: the payments and the receiver as topics,
    the call type and the built-in call as it was written as data."""
    name, original = builtin_call
    topics = []
    for token, nonce, amount in esdt:
        topics += [token, unsigned_bytes(nonce), unsigned_bytes(amount)]
    return LogEntry(sender, name.encode(), topics + [destination], [call_type.encode(), name.encode(), *original])


EGLD_IN_MULTI_TRANSFER = b"EGLD-000000"  # how a multi-transfer carries EGLD among ESDT payments


def move_funds(world, sender: bytes, destination: bytes, value: int, esdt) -> None:
    source, target = world.account(sender), world.account(destination)
    value += sum(amount for token, _, amount in esdt if token == EGLD_IN_MULTI_TRANSFER)
    esdt = [payment for payment in esdt if payment[0] != EGLD_IN_MULTI_TRANSFER]
    if value:
        if value < 0 or source.balance < value:
            raise execution_failed("failed transfer (insufficient funds)")
        source.balance -= value
        target.balance += value
    for token, nonce, amount in esdt:
        if token in source.esdt_frozen:
            raise execution_failed("ESDT is frozen for this account")
        held = source.esdt.get((token, nonce), 0)
        if amount < 0 or held < amount:
            raise execution_failed("insufficient funds")
        move_esdt(source, target, token, nonce, amount)


def call_data(function: str, arguments) -> bytes:
    """A call as transaction data: the function, then each argument in hex, joined by '@'."""
    return b"@".join([function.encode(), *(argument.hex().encode() for argument in arguments)])


def _call_type_towards(frame, destination: bytes, default: str) -> str:
    """A transfer to the contract that called this one is a back transfer."""
    if destination == frame.input.caller and frame.world.account(destination).code:
        return "BackTransfer"
    return default


def call_sync(frame, gas: int, destination: bytes, value: int, esdt, function: str, arguments: list[bytes],
              call_type: str = "ExecuteOnDestContext", read_only: bool = False, same_context: bool = False) -> CallResult:
    """Run `function` of `destination` now and return its result; its effects are undone if it fails."""
    world, vm = frame.world, frame.vm
    gas = max(0, min(gas, frame.gas_left())) if gas > 0 else frame.gas_left()
    frame.use_gas(gas)
    snapshot = world.snapshot()
    sender = frame.input.recipient
    log_mark = len(frame.logs)
    builtin_call = None
    try:
        if function in ESDT_TRANSFERS and not esdt:
            builtin_call = (function, list(arguments))
            destination, esdt, function, arguments = decode_esdt_transfer(sender, destination, function, arguments)
        if function not in BUILTINS or builtin_call is not None:
            logged_destination = sender if same_context else destination
            transfer_log(frame, sender, logged_destination, value, esdt, call_type, function, arguments, builtin_call)
        if not same_context:
            move_funds(world, sender, destination, value, esdt)
    except CallEnded:
        world.restore(snapshot)
        del frame.logs[log_mark:]
        raise
    if esdt:
        # An ESDT transfer built-in that went through keeps its log even if the call it carries
        # fails (the transfer is undone with the call), as on MultiversX.
        log_mark = len(frame.logs)
    code = world.account(destination).code
    if same_context:
        call = CallInput(frame.input.caller, sender, function, arguments, value, esdt, gas,
                         read_only or frame.input.read_only)
    else:
        call = CallInput(sender, destination, function, arguments, value, esdt, gas, read_only or frame.input.read_only)
    if not function or (not code and function not in BUILTINS):
        result = CallResult(ReturnCode.OK, gas_remaining=gas)
    else:
        result = vm.run(world, call, code, function, frame.tx)
    if not result.ok:
        world.restore(snapshot)
        del frame.logs[log_mark:]
        frame.tx.errors.append(result.message)
    frame.set_gas_left(frame.gas_left() + result.gas_remaining)
    return result


def _fail_like_a_child(result: CallResult):
    if result.code is ReturnCode.USER_ERROR:
        return execution_failed("error signalled by smartcontract")
    if result.code is ReturnCode.OUT_OF_GAS:
        return CallEnded(ReturnCode.OUT_OF_GAS, result.message)
    return execution_failed(result.message)


def _sync_hook(frame, gas, address_handle, value_handle, function_handle, arguments_handle, result_handle, **options):
    destination = frame.buffer(address_handle)
    value = frame.bigint(value_handle) if value_handle is not None else 0
    function = frame.buffer(function_handle).decode(errors="replace")
    result = call_sync(frame, gas, destination, value, [], function, frame.buffer_vector(arguments_handle), **options)
    if not result.ok:
        raise _fail_like_a_child(result)
    frame.store_buffer_vector(result_handle, result.results)
    return 0


@hook("managedExecuteOnDestContext", "ExecuteOnDestContext")
def managed_execute_on_dest_context(frame, gas, address, value, function, arguments, result):
    return _sync_hook(frame, gas, address, value, function, arguments, result)


@hook("managedExecuteOnSameContext", "ExecuteOnSameContext")
def managed_execute_on_same_context(frame, gas, address, value, function, arguments, result):
    return _sync_hook(frame, gas, address, value, function, arguments, result, call_type="ExecuteOnSameContext",
                      same_context=True)


@hook("managedExecuteReadOnly", "ExecuteReadOnly")
def managed_execute_read_only(frame, gas, address, function, arguments, result):
    return _sync_hook(frame, gas, address, None, function, arguments, result, read_only=True)


@hook("managedTransferValueExecute", "TransferValue")
def managed_transfer_value_execute(frame, destination_handle, value_handle, gas, function_handle, arguments_handle):
    return _transfer_execute(frame, frame.buffer(destination_handle), frame.bigint(value_handle), [], gas,
                             frame.buffer(function_handle).decode(errors="replace"), frame.buffer_vector(arguments_handle))


@hook("managedMultiTransferESDTNFTExecute", "TransferValue")
def managed_multi_transfer_execute(frame, destination_handle, transfers_handle, gas, function_handle, arguments_handle):
    return _transfer_execute(frame, frame.buffer(destination_handle), 0, _payments(frame, transfers_handle), gas,
                             frame.buffer(function_handle).decode(errors="replace"), frame.buffer_vector(arguments_handle))


@hook("transferValue", "TransferValue")
def transfer_value(frame, destination_offset, value_offset, data_offset, length):
    destination = frame.read(destination_offset, 32)
    value = int.from_bytes(frame.read(value_offset, 32), "big")
    data = frame.read(data_offset, length)
    return _transfer_execute(frame, destination, value, [], 0, data.decode(errors="replace"), [])


def _transfer_execute(frame, destination: bytes, value: int, esdt, gas: int, function: str, arguments) -> int:
    world = frame.world
    sender = frame.input.recipient
    if frame.input.read_only:
        raise execution_failed("cannot transfer in a read-only call")
    code = world.account(destination).code
    if not function or (not code and function not in BUILTINS):
        call_type = _call_type_towards(frame, destination, "DirectCall")
        transfer_log(frame, sender, destination, value, esdt, call_type, function, [])
        move_funds(world, sender, destination, value, esdt)
        if function and not code:
            # The data reaches the account unexecuted; MultiversX's scenario world keeps it.
            world.account(destination).async_call_data = call_data(function, arguments)
        if call_type == "BackTransfer":
            egld, tokens = frame.sent_back
            frame.sent_back = (egld + value, tokens + list(esdt))
            frames = frame.vm.frames
            if len(frames) >= 2 and frames[-2].input.recipient == destination:
                caller = frames[-2]
                egld, tokens = caller.back_transfers
                caller.back_transfers = (egld + value, tokens + list(esdt))
        return 0
    result = call_sync(frame, gas, destination, value, esdt, function, list(arguments), call_type="TransferAndExecute")
    if not result.ok:
        raise _fail_like_a_child(result)
    return 0


@hook("managedGetBackTransfers", "GetCallValue")
def managed_get_back_transfers(frame, esdt_handle, egld_handle):
    egld, tokens = frame.back_transfers
    encoded = b""
    for token, nonce, amount in tokens:
        encoded += (frame.new_buffer(token).to_bytes(4, "big", signed=True) + nonce.to_bytes(8, "big")
                    + frame.new_bigint(amount).to_bytes(4, "big", signed=True))
    frame.buffers[esdt_handle] = encoded
    frame.bigints[egld_handle] = egld
    frame.back_transfers = (0, [])


@hook("cleanReturnData", "CleanReturnData")
def clean_return_data(frame):
    frame.results.clear()


@hook("getNumReturnData", "GetNumReturnData")
def get_num_return_data(frame):
    return len(frame.results)


def _check_async_allowed(frame) -> None:
    if frame.input.function == "init" or len(frame.vm.frames) > 1 and frame.input.read_only:
        raise execution_failed("async call is not allowed at this location")


@hook("managedAsyncCall", "AsyncCallStep")
def managed_async_call(frame, destination_handle, value_handle, function_handle, arguments_handle):
    _check_async_allowed(frame)
    if frame.pending:
        raise execution_failed("async call is not allowed at this location")
    frame.pending.append(PendingCall(frame.buffer(destination_handle), frame.bigint(value_handle),
                                     frame.buffer(function_handle).decode(errors="replace"),
                                     frame.buffer_vector(arguments_handle), 0, legacy=True,
                                     callback_gas=_gas_locked_for_callback(frame)))
    raise AsyncBreak()


def _gas_locked_for_callback(frame) -> int:
    """What a legacy asynchronous call keeps for its callback whatever the call spends, as
    MultiversX computes it: preparing the caller's code again, one asynchronous step and the
    callback's minimum."""
    schedule = frame.vm.schedule
    code = frame.world.account(frame.input.recipient).code
    return (len(code) * schedule.per_byte("AoTPreparePerByte") + schedule.api_cost("AsyncCallStep")
            + schedule.api_cost("AsyncCallbackGasLock"))


@hook("asyncCall", "AsyncCallStep")
def async_call(frame, destination_offset, value_offset, data_offset, length):
    from jitvm.wasm.asynchronous import parse_call_data
    _check_async_allowed(frame)
    function, arguments = parse_call_data(frame.read(data_offset, length))
    frame.pending.append(PendingCall(frame.read(destination_offset, 32),
                                     int.from_bytes(frame.read(value_offset, 32), "big"), function, arguments, 0,
                                     legacy=True, callback_gas=_gas_locked_for_callback(frame)))
    raise AsyncBreak()


@hook("managedCreateAsyncCall", "CreateAsyncCall")
def managed_create_async_call(frame, destination_handle, value_handle, function_handle, arguments_handle,
                              success_offset, success_length, error_offset, error_length, gas, callback_gas,
                              closure_handle):
    _check_async_allowed(frame)
    if any(p.legacy for p in frame.pending):
        raise execution_failed("async call is not allowed at this location")
    if not frame.buffer(function_handle):
        # MultiversX builds the call's data from the function name and cannot parse an empty one.
        raise execution_failed("tokenize failed")
    success = frame.read(success_offset, success_length).decode(errors="replace")
    error = frame.read(error_offset, error_length).decode(errors="replace")
    if success or error:
        # As MultiversX does, a promise with a callback locks the callback's minimum on top of
        # the gas the contract gives it.
        callback_gas += _gas_locked_for_callback(frame)
    frame.use_gas(frame.vm.schedule.api_cost("AsyncCallStep"))
    frame.use_gas(gas + callback_gas)
    frame.pending.append(PendingCall(
        frame.buffer(destination_handle), frame.bigint(value_handle),
        frame.buffer(function_handle).decode(errors="replace"), frame.buffer_vector(arguments_handle), gas,
        legacy=False, success_callback=success, error_callback=error, callback_gas=callback_gas,
        closure=frame.buffers.get(closure_handle, b"")))
    return 0


@hook("managedGetCallbackClosure", "GetCallbackClosure")
def managed_get_callback_closure(frame, destination):
    if frame.closure is None:
        raise execution_failed("no callback for closure, cannot call callback directly")
    frame.buffers[destination] = frame.closure


@hook("managedExecuteOnDestContextWithErrorReturn", "ExecuteOnDestContext")
def managed_execute_on_dest_context_with_error_return(frame, gas, address_handle, value_handle, function_handle,
                                                      arguments_handle, result_handle):
    destination = frame.buffer(address_handle)
    function = frame.buffer(function_handle).decode(errors="replace")
    result = call_sync(frame, gas, destination, frame.bigint(value_handle), [], function,
                       frame.buffer_vector(arguments_handle))
    frame.store_buffer_vector(result_handle, result.results if result.ok else [])
    return 0 if result.ok else 1


@hook("managedMultiTransferESDTNFTExecuteWithReturn", "TransferValue")
def managed_multi_transfer_execute_with_return(frame, destination_handle, transfers_handle, gas, function_handle,
                                               arguments_handle):
    destination = frame.buffer(destination_handle)
    function = frame.buffer(function_handle).decode(errors="replace")
    payments = _payments(frame, transfers_handle)
    if not function or not frame.world.account(destination).code:
        log_mark, snapshot = len(frame.logs), frame.world.snapshot()
        try:
            return _transfer_execute(frame, destination, 0, payments, gas, function, frame.buffer_vector(arguments_handle))
        except CallEnded as failed:
            if failed.code is ReturnCode.OUT_OF_GAS:
                raise
            # A plain transfer that fails leaves nothing behind, not even an internal error.
            frame.world.restore(snapshot)
            del frame.logs[log_mark:]
            return 1
    result = call_sync(frame, gas, destination, 0, payments, function, frame.buffer_vector(arguments_handle),
                       call_type="TransferAndExecute")
    return 0 if result.ok else 1


@hook("managedGetOriginalTxHash", "GetOriginalTxHash")
def managed_get_original_tx_hash(frame, destination):
    frame.buffers[destination] = frame.tx.hash


@hook("getOriginalTxHash", "GetOriginalTxHash")
def get_original_tx_hash(frame, offset):
    frame.write(offset, frame.tx.hash)


def _deploy(frame, gas: int, value: int, code: bytes, metadata: bytes, arguments: list[bytes], address_handle: int,
            result_handle: int) -> int:
    from jitvm.wasm.transactions import mock_contract_address
    from jitvm.wasm.world import Account

    world = frame.world
    creator = frame.input.recipient
    creator_account = world.account(creator)
    address = world.new_addresses.get((creator, creator_account.nonce)) or mock_contract_address(
        creator, creator_account.nonce)
    creator_account.nonce += 1
    if address in world.accounts and world.accounts[address].code:
        raise execution_failed("account collision")
    gas = max(0, min(gas, frame.gas_left())) if gas > 0 else frame.gas_left()
    frame.use_gas(gas)
    snapshot = world.snapshot()
    world.accounts[address] = Account(code=code, owner=creator, code_metadata=metadata)
    try:
        move_funds(world, creator, address, value, [])
    except CallEnded:
        world.restore(snapshot)
        raise
    result = frame.vm.run(world, CallInput(creator, address, "init", arguments, value, [], gas), code, "init", frame.tx)
    frame.set_gas_left(frame.gas_left() + result.gas_remaining)
    if not result.ok:
        world.restore(snapshot)
        raise _fail_like_a_child(result)
    frame.buffers[address_handle] = address
    frame.store_buffer_vector(result_handle, result.results)
    return 0


@hook("managedCreateContract", "CreateContract")
def managed_create_contract(frame, gas, value_handle, code_handle, metadata_handle, arguments_handle, address_handle,
                            result_handle):
    return _deploy(frame, gas, frame.bigint(value_handle), frame.buffer(code_handle), frame.buffer(metadata_handle),
                   frame.buffer_vector(arguments_handle), address_handle, result_handle)


@hook("managedDeployFromSourceContract", "CreateContract")
def managed_deploy_from_source_contract(frame, gas, value_handle, source_handle, metadata_handle, arguments_handle,
                                        address_handle, result_handle):
    return _deploy(frame, gas, frame.bigint(value_handle), _code_of(frame, source_handle),
                   frame.buffer(metadata_handle), frame.buffer_vector(arguments_handle), address_handle, result_handle)


def _code_of(frame, address_handle: int) -> bytes:
    """The code of the contract whose address a buffer holds (a deployment's or upgrade's source)."""
    source = frame.world.accounts.get(frame.buffer(address_handle))
    if source is None or not source.code:
        raise execution_failed("contract not found")
    return source.code


UPGRADE_FUNCTION = "upgradeContract"


def _upgrade(frame, destination: bytes, gas: int, value: int, code: bytes, metadata: bytes,
             arguments: list[bytes]) -> None:
    """Upgrading another contract is a legacy asynchronous call of `upgradeContract` on it, as on
    MultiversX: this contract stops here, the upgrade runs, then `callBack` gets its outcome."""
    _check_async_allowed(frame)
    if frame.pending:
        raise execution_failed("async call is not allowed at this location")
    frame.pending.append(PendingCall(destination, value, UPGRADE_FUNCTION, [code, metadata, *arguments], 0,
                                     legacy=True, callback_gas=_gas_locked_for_callback(frame),
                                     call_type=b"UpgradeFromSource"))
    raise AsyncBreak()


def run_upgrade(world, vm, caller: bytes, destination: bytes, value: int, arguments: list[bytes], gas: int,
                tx) -> CallResult:
    """The upgrade itself, on the destination: its new code and metadata, then its `upgrade` endpoint."""
    target = world.accounts.get(destination)
    if target is None or not target.code:
        return CallResult(ReturnCode.EXECUTION_FAILED, "contract not found")
    if target.owner != caller:
        return CallResult(ReturnCode.EXECUTION_FAILED, "upgrade not allowed")
    if len(arguments) < 2:
        return CallResult(ReturnCode.EXECUTION_FAILED, "invalid upgrade arguments")
    code, metadata, *rest = arguments
    target.code = code
    target.code_metadata = metadata
    return vm.run(world, CallInput(caller, destination, UPGRADE_FUNCTION, rest, value, [], gas), code, "upgrade", tx)


@hook("managedUpgradeContract", "CreateContract")
def managed_upgrade_contract(frame, destination_handle, gas, value_handle, code_handle, metadata_handle,
                             arguments_handle, result_handle):
    _upgrade(frame, frame.buffer(destination_handle), gas, frame.bigint(value_handle), frame.buffer(code_handle),
             frame.buffer(metadata_handle), frame.buffer_vector(arguments_handle))


@hook("managedUpgradeFromSourceContract", "CreateContract")
def managed_upgrade_from_source_contract(frame, destination_handle, gas, value_handle, source_handle, metadata_handle,
                                         arguments_handle, result_handle):
    _upgrade(frame, frame.buffer(destination_handle), gas, frame.bigint(value_handle), _code_of(frame, source_handle),
             frame.buffer(metadata_handle), frame.buffer_vector(arguments_handle))
