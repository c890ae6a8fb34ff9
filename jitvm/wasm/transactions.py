"""Transactions against the Wasm VM's world, as the scenario format and a MultiversX node apply them:
the sender's nonce and gas fee first (kept whatever happens), then the transfers and the call, all
undone if the call fails."""

from __future__ import annotations

from jitvm.hashing import keccak256
from jitvm.wasm.frame import CallInput, Transaction
from jitvm.wasm.outcome import CallResult, LogEntry, ReturnCode
from jitvm.wasm.vm import MAX_GAS, RESERVED_FUNCTIONS, WasmVM
from jitvm.wasm.world import Account, World, move_esdt

WASM_VM_TYPE = b"\x05\x00"
EGLD_IN_MULTI_TRANSFER = b"EGLD-000000"  # how a multi-transfer carries EGLD among ESDT payments


def _pay_fee(world: World, sender: bytes, gas_limit: int, gas_price: int) -> Account:
    account = world.account(sender)
    account.nonce += 1
    account.balance -= gas_limit * gas_price
    return account


def _transfer(world: World, call: CallInput) -> CallResult | None:
    """Move the call's EGLD and ESDT payments; a result if the sender cannot pay."""
    sender, recipient = world.account(call.caller), world.account(call.recipient)
    if call.value:
        if sender.balance < call.value:
            return CallResult(ReturnCode.OUT_OF_FUNDS, "failed transfer (insufficient funds)")
        sender.balance -= call.value
        recipient.balance += call.value
    for token, nonce, amount in call.esdt:
        if token == EGLD_IN_MULTI_TRANSFER:  # EGLD carried among the ESDT payments
            if sender.balance < amount:
                return CallResult(ReturnCode.OUT_OF_FUNDS, "failed transfer (insufficient funds)")
            sender.balance -= amount
            recipient.balance += amount
            continue
        held = sender.esdt.get((token, nonce), 0)
        if held < amount:
            return CallResult(ReturnCode.OUT_OF_FUNDS, "insufficient funds")
        move_esdt(sender, recipient, token, nonce, amount)
    return None


def _transaction(world: World, call: CallInput) -> Transaction:
    """A transaction's shared output, with a hash that stands for the transaction (sender, nonce,
    recipient, function): scenarios have no signed transactions to hash."""
    nonce = world.account(call.caller).nonce
    return Transaction(hash=keccak256(call.caller + nonce.to_bytes(8, "big") + call.recipient + call.function.encode()))


def call_contract(vm: WasmVM, world: World, call: CallInput, gas_price: int = 0, tx_hash: bytes | None = None) -> CallResult:
    tx = _transaction(world, call)
    if tx_hash is not None:
        tx.hash = tx_hash
    _pay_fee(world, call.caller, call.gas, gas_price)
    snapshot = world.snapshot()
    tx.committed = snapshot
    failed = _transfer(world, call)
    if failed is None:
        if call.function in RESERVED_FUNCTIONS:
            failed = CallResult(ReturnCode.FUNCTION_NOT_FOUND, "invalid function (not found)")
        else:
            result = vm.run(world, call, world.account(call.recipient).code, call.function, tx)
            if result.ok:
                if tx.errors:
                    # MultiversX reports the inner calls that failed in a successful transaction
                    # in one last log, from the sender.
                    result.logs.append(LogEntry(call.caller, b"internalVMErrors", [call.recipient, call.function.encode()],
                                                ["; ".join(tx.errors).encode()]))
                return result
            failed = result
    world.restore(snapshot)
    return failed


def deploy_contract(vm: WasmVM, world: World, call: CallInput, code: bytes, gas_price: int = 0) -> tuple[CallResult, bytes]:
    """Create a contract with `code` and run its `init`; (result, the new address)."""
    creator_nonce = world.account(call.caller).nonce
    address = world.new_addresses.get((call.caller, creator_nonce)) or mock_contract_address(call.caller, creator_nonce)
    _pay_fee(world, call.caller, call.gas, gas_price)
    snapshot = world.snapshot()
    if address in world.accounts and world.accounts[address].code:
        return CallResult(ReturnCode.ACCOUNT_COLLISION, "account collision"), address
    world.accounts[address] = Account(code=code, owner=call.caller)
    call.recipient = address
    # The deployment's payment reaches the new account when its constructor has succeeded: what
    # the constructor itself sends on must come from elsewhere.
    result = vm.run(world, call, code, "init")
    failed = result if not result.ok else _transfer(world, call)
    if failed is None:
        return result, address
    world.restore(snapshot)
    return failed, address


def mock_contract_address(creator: bytes, nonce: int) -> bytes:
    """The address the scenario tools give a contract deployed with no `newAddresses` entry: 8 zero
    bytes, the Wasm VM type, four 0x11 bytes, the creator's first 15 bytes, the nonce's low byte and
    the creator's last two bytes (which keep it in the creator's shard)."""
    return bytes(8) + WASM_VM_TYPE + b"\x11" * 4 + creator[:15] + bytes([nonce & 0xFF]) + creator[30:32]


def query_contract(vm: WasmVM, world: World, call: CallInput) -> CallResult:
    """Run an endpoint as a view: nothing it changes is kept."""
    snapshot = world.snapshot()
    call.gas = call.gas or MAX_GAS
    result = vm.run(world, call, world.account(call.recipient).code, call.function)
    world.restore(snapshot)
    return result


def transfer(world: World, sender: bytes, recipient: bytes, value: int, esdt=(), gas_limit: int = 0,
             gas_price: int = 0) -> CallResult:
    """A transaction that only moves EGLD and ESDT: the sender's nonce and fee, then the payments."""
    call = CallInput(sender, recipient, "", value=value, esdt=list(esdt))
    _pay_fee(world, sender, gas_limit, gas_price)
    snapshot = world.snapshot()
    failed = _transfer(world, call)
    if failed is not None:
        world.restore(snapshot)
        return failed
    return CallResult(ReturnCode.OK)
