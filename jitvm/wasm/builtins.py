"""Built-in functions: names a contract can call like endpoints that the protocol executes itself,
on the caller's or the destination's account (ESDT minting and burning, user names, ownership)."""

from __future__ import annotations

from jitvm.wasm.nft import NFT_BUILTINS
from jitvm.wasm.outcome import CallResult, LogEntry, ReturnCode, execution_failed


def _amount(argument: bytes) -> int:
    return int.from_bytes(argument, "big")


def _require_role(account, token: bytes, role: bytes) -> None:
    if role not in account.esdt_roles.get(token, ()):
        raise execution_failed("action is not allowed")


def _local_mint(world, sender, destination, arguments, logs):
    if destination != sender or len(arguments) < 2:
        raise execution_failed("invalid arguments to ESDTLocalMint")
    token, amount = arguments[0], _amount(arguments[1])
    account = world.account(sender)
    _require_role(account, token, b"ESDTRoleLocalMint")
    account.esdt[(token, 0)] = account.esdt.get((token, 0), 0) + amount
    logs.append(LogEntry(sender, b"ESDTLocalMint", [token, b"", arguments[1]], []))


def _local_burn(world, sender, destination, arguments, logs):
    if destination != sender or len(arguments) < 2:
        raise execution_failed("invalid arguments to ESDTLocalBurn")
    token, amount = arguments[0], _amount(arguments[1])
    account = world.account(sender)
    _require_role(account, token, b"ESDTRoleLocalBurn")
    held = account.esdt.get((token, 0), 0)
    if held < amount:
        raise execution_failed("insufficient funds")
    account.esdt[(token, 0)] = held - amount
    logs.append(LogEntry(sender, b"ESDTLocalBurn", [token, b"", arguments[1]], []))


def _set_user_name(world, sender, destination, arguments, logs):
    if not arguments:
        raise execution_failed("invalid arguments to SetUserName")
    world.account(destination).username = arguments[0]
    logs.append(LogEntry(destination, b"SetUserName", [b""], []))


def _delete_user_name(world, sender, destination, arguments, logs):
    world.account(destination).username = b""


def _change_owner(world, sender, destination, arguments, logs):
    target = world.account(destination)
    if target.owner != sender or len(arguments) != 1 or len(arguments[0]) != 32:
        raise execution_failed("change owner address not allowed")
    target.owner = arguments[0]


BUILTINS = {
    **NFT_BUILTINS,
    "ESDTLocalMint": _local_mint,
    "ESDTLocalBurn": _local_burn,
    "SetUserName": _set_user_name,
    "DeleteUserName": _delete_user_name,
    "ChangeOwnerAddress": _change_owner,
}


def run_builtin(world, sender: bytes, destination: bytes, function: str, arguments: list[bytes], gas: int,
                logs: list) -> CallResult:
    """Run a built-in; its result holds what it returns (ESDTNFTCreate: the new nonce)."""
    returned = BUILTINS[function](world, sender, destination, arguments, logs)
    return CallResult(ReturnCode.OK, results=list(returned or []), gas_remaining=gas)
