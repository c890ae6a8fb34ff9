"""ESDT payments that came with the call, and ESDT balances."""

import re

from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import execution_failed

_TOKEN_ID = re.compile(rb"[A-Z0-9]{3,10}-[a-f0-9]{6}")


def _first(frame):
    """The call's one ESDT payment, or an empty one (no token, nonce 0, amount 0) when it has
    none, as MultiversX's single-payment hooks read it; more than one is an error there."""
    if len(frame.input.esdt) > 1:
        raise execution_failed("too many ESDT transfers")
    return frame.input.esdt[0] if frame.input.esdt else (b"", 0, 0)


@hook("getNumESDTTransfers", "GetCallValue")
def get_num_esdt_transfers(frame):
    return len(frame.input.esdt)


def _store_payments(frame, destination: int, payments) -> None:
    # Each payment as 16 bytes: a buffer handle for the token id, the nonce (8 bytes big-endian) and
    # a BigInt handle for the amount.
    encoded = b""
    for token, nonce, amount in payments:
        encoded += (frame.new_buffer(token).to_bytes(4, "big", signed=True) + nonce.to_bytes(8, "big")
                    + frame.new_bigint(amount).to_bytes(4, "big", signed=True))
    frame.buffers[destination] = encoded


@hook("managedGetMultiESDTCallValue", "GetCallValue")
def managed_get_multi_esdt_call_value(frame, destination):
    _store_payments(frame, destination, frame.input.esdt)


@hook("managedGetAllTransfersCallValue", "GetCallValue")
def managed_get_all_transfers_call_value(frame, destination):
    """Every payment of the call, EGLD first (as the multi-transfer token EGLD-000000)."""
    egld = [(b"EGLD-000000", 0, frame.input.value)] if frame.input.value else []
    _store_payments(frame, destination, egld + list(frame.input.esdt))


@hook("getESDTTokenName", "GetCallValue")
def get_esdt_token_name(frame, offset):
    token = _first(frame)[0]
    frame.write(offset, token)
    return len(token)


@hook("getESDTTokenNonce", "GetCallValue")
def get_esdt_token_nonce(frame):
    return _first(frame)[1]


@hook("bigIntGetESDTCallValue", "BigIntGetCallValue")
def bigint_get_esdt_call_value(frame, destination):
    frame.bigints[destination] = _first(frame)[2]


@hook("bigIntGetESDTExternalBalance", "BigIntGetExternalBalance")
def bigint_get_esdt_external_balance(frame, address_offset, token_offset, token_length, nonce, destination):
    address = frame.read(address_offset, 32)
    token = frame.read(token_offset, token_length)
    account = frame.world.accounts.get(address)
    frame.bigints[destination] = account.esdt.get((token, nonce), 0) if account else 0


@hook("validateTokenIdentifier", "GetArgument")
def validate_token_identifier(frame, handle):
    return int(_TOKEN_ID.fullmatch(frame.buffer(handle)) is not None)
