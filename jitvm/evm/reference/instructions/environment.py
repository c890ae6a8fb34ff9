"""The frame's own environment (address, caller, value, calldata, code, return data) and other
accounts' balance and code. Account reads pay the EIP-2929 cold surcharge on first touch."""

from jitvm.evm import gas
from jitvm.evm.reference.frame import (
    ReturnDataOutOfBounds,
    charge,
    expand_memory,
    padded_slice,
    to_address,
    write_memory,
)
from jitvm.evm.reference.instructions import instruction


def _access_account(frame, address: bytes) -> None:
    if frame.state.warm_address(address):
        charge(frame, gas.COLD_ACCOUNT_SURCHARGE)


def _copy_to_memory(frame, source: bytes, memory_offset: int, source_offset: int, size: int) -> None:
    charge(frame, gas.copy_cost(size))
    expand_memory(frame, memory_offset, size)
    if size:
        write_memory(frame, memory_offset, padded_slice(source, source_offset, size))


@instruction("ADDRESS")
def address(frame):
    frame.stack.append(int.from_bytes(frame.message.target, "big"))


@instruction("BALANCE")
def balance(frame):
    account = to_address(frame.stack.pop())
    _access_account(frame, account)
    frame.stack.append(frame.state.balance(account))


@instruction("ORIGIN")
def origin(frame):
    frame.stack.append(int.from_bytes(frame.ctx.tx.origin, "big"))


@instruction("CALLER")
def caller(frame):
    frame.stack.append(int.from_bytes(frame.message.caller, "big"))


@instruction("CALLVALUE")
def callvalue(frame):
    frame.stack.append(frame.message.value)


@instruction("CALLDATALOAD")
def calldataload(frame):
    stack = frame.stack
    offset = stack.pop()
    stack.append(int.from_bytes(padded_slice(frame.message.data, offset, 32), "big"))


@instruction("CALLDATASIZE")
def calldatasize(frame):
    frame.stack.append(len(frame.message.data))


@instruction("CALLDATACOPY")
def calldatacopy(frame):
    stack = frame.stack
    memory_offset = stack.pop()
    data_offset = stack.pop()
    size = stack.pop()
    _copy_to_memory(frame, frame.message.data, memory_offset, data_offset, size)


@instruction("CODESIZE")
def codesize(frame):
    frame.stack.append(len(frame.code))


@instruction("CODECOPY")
def codecopy(frame):
    stack = frame.stack
    memory_offset = stack.pop()
    code_offset = stack.pop()
    size = stack.pop()
    _copy_to_memory(frame, frame.code, memory_offset, code_offset, size)


@instruction("GASPRICE")
def gasprice(frame):
    frame.stack.append(frame.ctx.tx.gas_price)


@instruction("EXTCODESIZE")
def extcodesize(frame):
    account = to_address(frame.stack.pop())
    _access_account(frame, account)
    frame.stack.append(len(frame.state.code(account)))


@instruction("EXTCODECOPY")
def extcodecopy(frame):
    stack = frame.stack
    account = to_address(stack.pop())
    memory_offset = stack.pop()
    code_offset = stack.pop()
    size = stack.pop()
    _access_account(frame, account)
    _copy_to_memory(frame, frame.state.code(account), memory_offset, code_offset, size)


@instruction("RETURNDATASIZE")
def returndatasize(frame):
    frame.stack.append(len(frame.return_data))


@instruction("RETURNDATACOPY")
def returndatacopy(frame):
    """Unlike the other copies, reading past the end of the return data is an error (EIP-211)."""
    stack = frame.stack
    memory_offset = stack.pop()
    data_offset = stack.pop()
    size = stack.pop()
    charge(frame, gas.copy_cost(size))
    if data_offset + size > len(frame.return_data):
        raise ReturnDataOutOfBounds
    expand_memory(frame, memory_offset, size)
    if size:
        write_memory(frame, memory_offset, frame.return_data[data_offset : data_offset + size])


@instruction("EXTCODEHASH")
def extcodehash(frame):
    account = to_address(frame.stack.pop())
    _access_account(frame, account)
    frame.stack.append(int.from_bytes(frame.state.code_hash(account), "big"))


@instruction("SELFBALANCE")
def selfbalance(frame):
    frame.stack.append(frame.state.balance(frame.message.target))
