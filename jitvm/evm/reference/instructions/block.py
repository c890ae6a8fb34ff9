"""The block and transaction environment."""

from jitvm.evm import gas
from jitvm.evm.reference.instructions import instruction


@instruction("BLOCKHASH")
def blockhash(frame):
    """Hash of one of the 256 most recent complete blocks; zero otherwise."""
    stack = frame.stack
    number = stack.pop()
    current = frame.ctx.block.number
    if current - gas.BLOCKHASH_WINDOW <= number < current:
        stack.append(int.from_bytes(frame.ctx.block.block_hash(number), "big"))
    else:
        stack.append(0)


@instruction("COINBASE")
def coinbase(frame):
    frame.stack.append(int.from_bytes(frame.ctx.block.coinbase, "big"))


@instruction("TIMESTAMP")
def timestamp(frame):
    frame.stack.append(frame.ctx.block.timestamp)


@instruction("NUMBER")
def number(frame):
    frame.stack.append(frame.ctx.block.number)


@instruction("PREVRANDAO")
def prevrandao(frame):
    frame.stack.append(frame.ctx.block.prev_randao)


@instruction("GASLIMIT")
def gaslimit(frame):
    frame.stack.append(frame.ctx.block.gas_limit)


@instruction("CHAINID")
def chainid(frame):
    frame.stack.append(frame.ctx.block.chain_id)


@instruction("BASEFEE")
def basefee(frame):
    frame.stack.append(frame.ctx.block.base_fee)


@instruction("BLOBHASH")
def blobhash(frame):
    """The transaction's `index`-th blob versioned hash, or zero (EIP-4844)."""
    stack = frame.stack
    index = stack.pop()
    hashes = frame.ctx.tx.blob_hashes
    stack.append(int.from_bytes(hashes[index], "big") if index < len(hashes) else 0)


@instruction("BLOBBASEFEE")
def blobbasefee(frame):
    frame.stack.append(frame.ctx.fork.blob_base_fee(frame.ctx.block.excess_blob_gas))
