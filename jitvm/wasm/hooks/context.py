"""What a contract may ask about itself, other accounts and the block."""

import hashlib

from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import execution_failed


@hook("managedSCAddress", "GetSCAddress")
def managed_sc_address(frame, destination):
    frame.buffers[destination] = frame.input.recipient


@hook("getSCAddress", "GetSCAddress")
def get_sc_address(frame, offset):
    frame.write(offset, frame.input.recipient)


@hook("managedOwnerAddress", "GetOwnerAddress")
def managed_owner_address(frame, destination):
    frame.buffers[destination] = frame.world.account(frame.input.recipient).owner


@hook("getOwnerAddress", "GetOwnerAddress")
def get_owner_address(frame, offset):
    frame.write(offset, frame.world.account(frame.input.recipient).owner)


@hook("bigIntGetExternalBalance", "BigIntGetExternalBalance")
def bigint_get_external_balance(frame, address_offset, destination):
    address = frame.read(address_offset, 32)
    account = frame.world.accounts.get(address)
    frame.bigints[destination] = account.balance if account else 0


@hook("getBlockNonce", "GetBlockNonce")
def get_block_nonce(frame):
    return frame.world.current_block.nonce


@hook("getBlockRound", "GetBlockRound")
def get_block_round(frame):
    return frame.world.current_block.round


@hook("getBlockEpoch", "GetBlockEpoch")
def get_block_epoch(frame):
    return frame.world.current_block.epoch


@hook("getBlockTimestamp", "GetBlockTimeStamp")
def get_block_timestamp(frame):
    return frame.world.current_block.timestamp


@hook("getShardOfAddress", "GetShardOfAddress")
def get_shard_of_address(frame, address_offset):
    return frame.world.shard_of(frame.read(address_offset, 32))


@hook("isSmartContract", "IsSmartContract")
def is_smart_contract(frame, address_offset):
    account = frame.world.accounts.get(frame.read(address_offset, 32))
    return int(account is not None and bool(account.code))


@hook("getPrevBlockTimestamp", "GetBlockTimeStamp")
def get_prev_block_timestamp(frame):
    return frame.world.previous_block.timestamp


# Scenarios give block timestamps in seconds; the millisecond hooks read them scaled.
@hook("getBlockTimestampMs", "GetBlockTimeStamp")
def get_block_timestamp_ms(frame):
    return frame.world.current_block.timestamp * 1000


@hook("getPrevBlockTimestampMs", "GetBlockTimeStamp")
def get_prev_block_timestamp_ms(frame):
    return frame.world.previous_block.timestamp * 1000


@hook("managedGetCodeHash", "GetCodeHash")
def managed_get_code_hash(frame, address_handle, destination):
    """The BLAKE2b-256 hash of an account's code, as MultiversX keeps it (empty code: no hash)."""
    account = frame.world.accounts.get(frame.buffer(address_handle))
    code = account.code if account is not None else b""
    frame.buffers[destination] = hashlib.blake2b(code, digest_size=32).digest() if code else b""


@hook("getPrevBlockNonce", "GetBlockNonce")
def get_prev_block_nonce(frame):
    return frame.world.previous_block.nonce


@hook("getPrevBlockRound", "GetBlockRound")
def get_prev_block_round(frame):
    return frame.world.previous_block.round


@hook("getPrevBlockEpoch", "GetBlockEpoch")
def get_prev_block_epoch(frame):
    return frame.world.previous_block.epoch


@hook("managedGetCodeMetadata", "GetCodeMetadata")
def managed_get_code_metadata(frame, address_handle, destination):
    address = frame.buffer(address_handle)
    account = frame.world.accounts.get(address)
    if account is None:
        raise execution_failed(f"account not found: {address.hex()}")
    frame.buffers[destination] = account.code_metadata


@hook("managedGetBlockRandomSeed", "GetBlockRandomSeed")
def managed_get_block_random_seed(frame, destination):
    frame.buffers[destination] = frame.world.current_block.random_seed


@hook("managedGetPrevBlockRandomSeed", "GetBlockRandomSeed")
def managed_get_prev_block_random_seed(frame, destination):
    frame.buffers[destination] = frame.world.previous_block.random_seed


@hook("managedIsBuiltinFunction", "IsBuiltinFunction")
def managed_is_builtin_function(frame, name_handle):
    from jitvm.wasm.builtins import BUILTINS
    from jitvm.wasm.hooks.calls import ESDT_TRANSFERS
    name = frame.buffer(name_handle).decode(errors="replace")
    return int(name in BUILTINS or name in ESDT_TRANSFERS)
