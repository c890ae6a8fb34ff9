"""Non-fungible and semi-fungible ESDT tokens: the built-in functions that create them and change
their quantity, URIs and attributes, on the calling account, each gated by the account's role for it
and logged as MultiversX logs it (the token, the nonce, then what changed)."""

from __future__ import annotations

from dataclasses import dataclass, field

from jitvm.wasm.outcome import LogEntry, execution_failed
from jitvm.wasm.values import unsigned_bytes


@dataclass(slots=True)
class NftMetadata:
    name: bytes = b""
    creator: bytes = b""
    royalties: int = 0
    hash: bytes = b""
    attributes: bytes = b""
    uris: list[bytes] = field(default_factory=list)


def _number(argument: bytes) -> int:
    return int.from_bytes(argument, "big")


def _own_account(world, sender, destination, arguments, count: int, function: str, role: bytes):
    """The calling account, once the call is on itself with enough arguments and the role."""
    if destination != sender or len(arguments) < count:
        raise execution_failed(f"invalid arguments to {function}")
    account = world.account(sender)
    if role not in account.esdt_roles.get(arguments[0], ()):
        raise execution_failed("action is not allowed")
    return account


def nft_create(world, sender, destination, arguments, logs):
    account = _own_account(world, sender, destination, arguments, 6, "ESDTNFTCreate", b"ESDTRoleNFTCreate")
    token, quantity = arguments[0], _number(arguments[1])
    if quantity == 0:
        raise execution_failed("invalid arguments to ESDTNFTCreate")
    nonce = account.esdt_last_nonce.get(token, 0) + 1
    account.esdt_last_nonce[token] = nonce
    account.esdt_metadata[(token, nonce)] = NftMetadata(
        name=arguments[2], creator=sender, royalties=_number(arguments[3]), hash=arguments[4],
        attributes=arguments[5], uris=list(arguments[6:]))
    account.esdt[(token, nonce)] = account.esdt.get((token, nonce), 0) + quantity
    logs.append(LogEntry(sender, b"ESDTNFTCreate", [token, unsigned_bytes(nonce), arguments[1], b""], []))
    return [unsigned_bytes(nonce)]


def nft_add_quantity(world, sender, destination, arguments, logs):
    account = _own_account(world, sender, destination, arguments, 3, "ESDTNFTAddQuantity", b"ESDTRoleNFTAddQuantity")
    key = (arguments[0], _number(arguments[1]))
    if key not in account.esdt:
        raise execution_failed("new NFT data on sender")
    account.esdt[key] += _number(arguments[2])
    logs.append(LogEntry(sender, b"ESDTNFTAddQuantity", list(arguments[:3]), []))


def nft_burn(world, sender, destination, arguments, logs):
    account = _own_account(world, sender, destination, arguments, 3, "ESDTNFTBurn", b"ESDTRoleNFTBurn")
    key, amount = (arguments[0], _number(arguments[1])), _number(arguments[2])
    held = account.esdt.get(key, 0)
    if held < amount:
        raise execution_failed("insufficient quantity")
    account.esdt[key] = held - amount
    logs.append(LogEntry(sender, b"ESDTNFTBurn", list(arguments[:3]), []))


def _metadata(account, arguments) -> NftMetadata:
    key = (arguments[0], _number(arguments[1]))
    if not account.esdt.get(key):
        raise execution_failed("new NFT data on sender")
    return account.esdt_metadata.setdefault(key, NftMetadata())


def nft_add_uris(world, sender, destination, arguments, logs):
    account = _own_account(world, sender, destination, arguments, 3, "ESDTNFTAddURI", b"ESDTRoleNFTAddURI")
    _metadata(account, arguments).uris.extend(arguments[2:])
    logs.append(LogEntry(sender, b"ESDTNFTAddURI", [arguments[0], arguments[1], b"", *arguments[2:]], []))


def nft_update_attributes(world, sender, destination, arguments, logs):
    account = _own_account(world, sender, destination, arguments, 3, "ESDTNFTUpdateAttributes",
                           b"ESDTRoleNFTUpdateAttributes")
    _metadata(account, arguments).attributes = arguments[2]
    logs.append(LogEntry(sender, b"ESDTNFTUpdateAttributes", [arguments[0], arguments[1], b"", arguments[2]], []))


NFT_BUILTINS = {
    "ESDTNFTCreate": nft_create,
    "ESDTNFTAddQuantity": nft_add_quantity,
    "ESDTNFTBurn": nft_burn,
    "ESDTNFTAddURI": nft_add_uris,
    "ESDTNFTUpdateAttributes": nft_update_attributes,
}
