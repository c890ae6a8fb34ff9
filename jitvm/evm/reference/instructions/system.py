"""Instructions that start child frames (the CALL and CREATE families) and SELFDESTRUCT.

A child frame is requested by returning `(message, resume)`; the loop hands the message to the
driver, which runs the child (on any engine) and passes its result to `resume`.
"""

from jitvm.evm import gas
from jitvm.evm.addresses import create2_address, create_address
from jitvm.evm.delegation import delegated_address
from jitvm.evm.message import FrameResult, Message
from jitvm.evm.reference.frame import (
    InitcodeSizeLimit,
    charge,
    expand_memory,
    expand_memory_for_regions,
    read_memory,
    require_not_static,
    to_address,
    write_memory,
)
from jitvm.evm.reference.instructions import instruction

MAX_NONCE = (1 << 64) - 1


# -- the CALL family ----------------------------------------------------------------------------


def _call(frame, *, gas_requested, to, value, args, returns, kind):
    """Shared by CALL, CALLCODE, DELEGATECALL and STATICCALL; `kind` is the mnemonic."""
    state = frame.state
    message = frame.message
    expand_memory_for_regions(frame, args, returns)
    extra_cost = gas.COLD_ACCOUNT_SURCHARGE if state.warm_address(to) else 0
    code_address, code = to, state.code(to)
    delegate = delegated_address(code) if frame.ctx.fork.at_least("Prague") else None
    if delegate is not None:  # EIP-7702: run the delegate's code, paying for its access too
        extra_cost += gas.COLD_ACCOUNT_ACCESS if state.warm_address(delegate) else gas.WARM_ACCESS
        code_address, code = delegate, state.code(delegate)
    if value:
        extra_cost += gas.CALL_VALUE
        if kind == "CALL" and not state.is_alive(to):
            extra_cost += gas.NEW_ACCOUNT
    charge(frame, extra_cost)
    child_gas = min(gas_requested, gas.max_call_gas(frame.gas_left))
    charge(frame, child_gas)
    if kind == "CALL" and value:
        require_not_static(frame)
    stipend = gas.CALL_STIPEND if value else 0
    frame.return_data = b""

    if message.depth + 1 > gas.CALL_DEPTH_LIMIT or state.balance(message.target) < value:
        frame.gas_left += child_gas + stipend  # the call never starts; its gas comes back
        frame.stack.append(0)
        return None

    if kind == "CALL":
        caller, target, child_value, transfers = message.target, to, value, True
    elif kind == "CALLCODE":  # run `to`'s code on our own account
        caller, target, child_value, transfers = message.target, message.target, value, True
    elif kind == "DELEGATECALL":  # run `to`'s code as if it were ours, in our caller's name
        caller, target, child_value, transfers = message.caller, message.target, message.value, False
    else:  # STATICCALL
        caller, target, child_value, transfers = message.target, to, 0, True
    child = Message(
        caller=caller,
        target=target,
        code_address=code_address,
        value=child_value,
        data=read_memory(frame, *args),
        gas=child_gas + stipend,
        depth=message.depth + 1,
        code=code,
        is_static=message.is_static or kind == "STATICCALL",
        should_transfer_value=transfers,
        disable_precompiles=delegate is not None,
    )
    return child, _resume_after_call(returns)


def _resume_after_call(returns):
    output_offset, output_size = returns

    def resume(frame, result: FrameResult):
        frame.gas_left += result.gas_left
        frame.return_data = result.output
        if output_size and result.output:
            write_memory(frame, output_offset, result.output[:output_size])
        frame.stack.append(1 if result.status.is_success else 0)

    return resume


@instruction("CALL")
def call(frame):
    stack = frame.stack
    gas_requested, to, value = stack.pop(), to_address(stack.pop()), stack.pop()
    args = (stack.pop(), stack.pop())
    returns = (stack.pop(), stack.pop())
    return _call(frame, gas_requested=gas_requested, to=to, value=value, args=args, returns=returns, kind="CALL")


@instruction("CALLCODE")
def callcode(frame):
    stack = frame.stack
    gas_requested, to, value = stack.pop(), to_address(stack.pop()), stack.pop()
    args = (stack.pop(), stack.pop())
    returns = (stack.pop(), stack.pop())
    return _call(frame, gas_requested=gas_requested, to=to, value=value, args=args, returns=returns, kind="CALLCODE")


@instruction("DELEGATECALL")
def delegatecall(frame):
    stack = frame.stack
    gas_requested, to = stack.pop(), to_address(stack.pop())
    args = (stack.pop(), stack.pop())
    returns = (stack.pop(), stack.pop())
    return _call(frame, gas_requested=gas_requested, to=to, value=0, args=args, returns=returns, kind="DELEGATECALL")


@instruction("STATICCALL")
def staticcall(frame):
    stack = frame.stack
    gas_requested, to = stack.pop(), to_address(stack.pop())
    args = (stack.pop(), stack.pop())
    returns = (stack.pop(), stack.pop())
    return _call(frame, gas_requested=gas_requested, to=to, value=0, args=args, returns=returns, kind="STATICCALL")


# -- the CREATE family --------------------------------------------------------------------------


def _create(frame, *, value, offset, size, address_of):
    """Shared by CREATE and CREATE2; `address_of(initcode)` gives the new contract's address."""
    fork = frame.ctx.fork
    state = frame.state
    message = frame.message
    expand_memory(frame, offset, size)
    if fork.at_least("Shanghai"):
        charge(frame, gas.initcode_cost(size))
    initcode = read_memory(frame, offset, size)
    if fork.at_least("Shanghai") and len(initcode) > gas.MAX_INITCODE_SIZE:
        raise InitcodeSizeLimit
    new_address = address_of(initcode)  # before the nonce changes
    child_gas = gas.max_call_gas(frame.gas_left)
    charge(frame, child_gas)
    require_not_static(frame)
    frame.return_data = b""

    creator = message.target
    if (
        state.balance(creator) < value
        or state.nonce(creator) == MAX_NONCE
        or message.depth + 1 > gas.CALL_DEPTH_LIMIT
    ):
        frame.gas_left += child_gas
        frame.stack.append(0)
        return None
    state.warm_address(new_address)
    state.increment_nonce(creator)
    if state.has_code_or_nonce_or_storage(new_address):
        frame.stack.append(0)  # collision: the gas given to the child is lost
        return None
    child = Message(
        caller=creator,
        target=new_address,
        code_address=new_address,
        value=value,
        data=b"",
        gas=child_gas,
        depth=message.depth + 1,
        code=initcode,
        is_create=True,
    )
    return child, _resume_after_create(new_address)


def _resume_after_create(new_address: bytes):
    def resume(frame, result: FrameResult):
        frame.gas_left += result.gas_left
        if result.status.is_success:
            frame.return_data = b""
            frame.stack.append(int.from_bytes(new_address, "big"))
        else:
            frame.return_data = result.output  # REVERT data; empty after an exceptional halt
            frame.stack.append(0)

    return resume


@instruction("CREATE")
def create(frame):
    stack = frame.stack
    value, offset, size = stack.pop(), stack.pop(), stack.pop()
    creator = frame.message.target
    return _create(
        frame, value=value, offset=offset, size=size,
        address_of=lambda initcode: create_address(creator, frame.state.nonce(creator)),
    )


@instruction("CREATE2")
def create2(frame):
    stack = frame.stack
    value, offset, size, salt = stack.pop(), stack.pop(), stack.pop(), stack.pop()
    charge(frame, gas.keccak_cost(size))  # hashing the initcode for the address
    creator = frame.message.target
    return _create(
        frame, value=value, offset=offset, size=size,
        address_of=lambda initcode: create2_address(creator, salt, initcode),
    )


# -- SELFDESTRUCT -------------------------------------------------------------------------------


@instruction("SELFDESTRUCT")
def selfdestruct(frame):
    """Send the whole balance to the beneficiary and halt. From Cancun (EIP-6780) the account is
    deleted only if it was created in this same transaction."""
    state = frame.state
    beneficiary = to_address(frame.stack.pop())
    originator = frame.message.target
    cost = gas.COLD_ACCOUNT_ACCESS if state.warm_address(beneficiary) else 0
    balance = state.balance(originator)
    if balance and not state.is_alive(beneficiary):
        cost += gas.NEW_ACCOUNT
    charge(frame, cost)
    require_not_static(frame)
    state.transfer(originator, beneficiary, balance)
    if originator in state.created or not frame.ctx.fork.at_least("Cancun"):
        state.set_balance(originator, 0)  # a self-beneficiary burns the ether
        state.mark_for_deletion(originator)
    frame.running = False
