"""What contracts may read about ESDT tokens held by any account: an instance's balance, properties
(frozen) and NFT metadata, the calling contract's roles on a token and the last NFT nonce an account
created. Paused and limited-transfer tokens do not exist in jitvm's world, so those flags read 0."""

from jitvm.wasm.hooks import hook
from jitvm.wasm.hooks.storage import load_from
from jitvm.wasm.nft import NftMetadata

# MultiversX's role bits, as getESDTLocalRoles reports them.
ROLE_BITS = {
    b"ESDTRoleLocalMint": 1, b"ESDTRoleLocalBurn": 2, b"ESDTRoleNFTCreate": 4, b"ESDTRoleNFTAddQuantity": 8,
    b"ESDTRoleNFTBurn": 16, b"ESDTRoleNFTUpdateAttributes": 32, b"ESDTRoleNFTAddURI": 64,
    b"ESDTRoleNFTRecreate": 128, b"ESDTRoleModifyCreator": 256, b"ESDTRoleModifyRoyalties": 512,
    b"ESDTRoleSetNewURI": 1024,
}
_FROZEN = b"\x01\x00"  # the two property bytes of a frozen instance (first bit of the first byte)
_ROLES_KEY, _NONCE_KEY = b"ELRONDroleesdt", b"ELRONDnonce"  # where MultiversX keeps them (read price)


def _holding(frame, address: bytes, token: bytes, nonce: int):
    """(amount, frozen, metadata) of one token instance held by `address`."""
    account = frame.world.accounts.get(address)
    if account is None:
        return 0, False, None
    held = (token, nonce) in account.esdt  # an instance the account does not hold has no properties
    return (account.esdt.get((token, nonce), 0), held and token in account.esdt_frozen,
            account.esdt_metadata.get((token, nonce)))


@hook("managedGetESDTTokenData", "GetExternalBalance")
def managed_get_esdt_token_data(frame, address_handle, token_handle, nonce, value_handle, properties_handle,
                                hash_handle, name_handle, attributes_handle, creator_handle, royalties_handle,
                                uris_handle):
    amount, frozen, metadata = _holding(frame, frame.buffer(address_handle), frame.buffer(token_handle), nonce)
    metadata = metadata or NftMetadata()
    frame.bigints[value_handle] = amount
    frame.buffers[properties_handle] = _FROZEN if frozen else b"\x00\x00"
    frame.buffers[hash_handle] = metadata.hash
    frame.buffers[name_handle] = metadata.name
    frame.buffers[attributes_handle] = metadata.attributes
    frame.buffers[creator_handle] = metadata.creator
    frame.bigints[royalties_handle] = metadata.royalties
    frame.store_buffer_vector(uris_handle, metadata.uris)


@hook("managedIsESDTFrozen", "GetExternalBalance")
def managed_is_esdt_frozen(frame, address_handle, token_handle, nonce):
    return int(_holding(frame, frame.buffer(address_handle), frame.buffer(token_handle), nonce)[1])


@hook("managedIsESDTPaused", "GetExternalBalance")
def managed_is_esdt_paused(frame, token_handle):
    frame.buffer(token_handle)
    return 0


@hook("managedIsESDTLimitedTransfer", "GetExternalBalance")
def managed_is_esdt_limited_transfer(frame, token_handle):
    frame.buffer(token_handle)
    return 0


@hook("getESDTLocalRoles", "")
def get_esdt_local_roles(frame, token_handle):
    token = frame.buffer(token_handle)
    contract = frame.input.recipient
    load_from(frame, contract, _ROLES_KEY + token, "StorageLoad", copy_value=False)
    roles = frame.world.account(contract).esdt_roles.get(token, ())
    return sum(ROLE_BITS.get(role, 0) for role in set(roles))


@hook("getCurrentESDTNFTNonce", "")
def get_current_esdt_nft_nonce(frame, address_offset, token_offset, token_length):
    address = frame.read(address_offset, 32)
    token = frame.read(token_offset, token_length)
    load_from(frame, address, _NONCE_KEY + token, "StorageLoad", copy_value=False)
    account = frame.world.accounts.get(address)
    return account.esdt_last_nonce.get(token, 0) if account is not None else 0
