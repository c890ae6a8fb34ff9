"""Instructions that start child frames (the CALL and CREATE families) and SELFDESTRUCT.

A child frame is requested by returning `(message, resume)`; the loop hands the message to the
driver, which runs the child (on any engine) and passes its result to `resume`.
"""

from jitvm.evm import gas
from jitvm.evm.addresses import create2_address, create_address
from jitvm.evm.delegation import DESIGNATOR_SIZE, delegated_address
from jitvm.evm.message import FrameResult, Message, Status
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
#
# This runs once per child frame on every engine (the native engines serve the CALL family with it
# too), so it is written for speed as well as for reading: the arguments come off the stack in one
# read, and the common case (both memory regions already paid, no delegation) skips the helpers.

CALL, CALLCODE, DELEGATECALL, STATICCALL = "CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"


def _pop_words(stack, count: int) -> list[int]:
    """The top `count` words of the stack, top first, popped (a native stack reads them at once)."""
    if type(stack) is list:
        words = stack[-count:]
        del stack[-count:]
        words.reverse()
        return words
    return stack.pop_many(count)


def _call(frame, gas_requested, to, value, args_offset, args_size, returns_offset, returns_size, kind):
    """Shared by CALL, CALLCODE, DELEGATECALL and STATICCALL; `kind` is the mnemonic."""
    state = frame.state
    message = frame.message
    # Both regions are charged at once, for the one that reaches further (execution-specs order).
    memory_size = len(frame.memory)
    if ((args_size and args_offset + args_size > memory_size)
            or (returns_size and returns_offset + returns_size > memory_size)):
        expand_memory_for_regions(frame, (args_offset, args_size), (returns_offset, returns_size))
    extra_cost = gas.COLD_ACCOUNT_SURCHARGE if state.warm_address(to) else 0
    code_address, code = to, state.code(to)
    delegate = None
    if len(code) == DESIGNATOR_SIZE and frame.ctx.fork.at_least("Prague"):
        delegate = delegated_address(code)
    if delegate is not None:  # EIP-7702: run the delegate's code, paying for its access too
        extra_cost += gas.COLD_ACCOUNT_ACCESS if state.warm_address(delegate) else gas.WARM_ACCESS
        code_address, code = delegate, state.code(delegate)
    if value:
        extra_cost += gas.CALL_VALUE
        if kind is CALL and not state.is_alive(to):
            extra_cost += gas.NEW_ACCOUNT
    charge(frame, extra_cost)
    gas_left = frame.gas_left
    child_gas = min(gas_requested, gas_left - gas_left // 64)  # gas.max_call_gas (EIP-150)
    frame.gas_left = gas_left - child_gas  # never more than gas_left: no charge() needed
    if value and kind is CALL:
        require_not_static(frame)
    stipend = gas.CALL_STIPEND if value else 0
    frame.return_data = b""

    depth = message.depth + 1
    if depth > gas.CALL_DEPTH_LIMIT or (value and state.balance(message.target) < value):
        frame.gas_left += child_gas + stipend  # the call never starts; its gas comes back
        frame.stack.append(0)
        return None

    if kind is CALL:
        caller, target, child_value, transfers = message.target, to, value, True
    elif kind is STATICCALL:
        caller, target, child_value, transfers = message.target, to, 0, True
    elif kind is DELEGATECALL:  # run `to`'s code as if it were ours, in our caller's name
        caller, target, child_value, transfers = message.caller, message.target, message.value, False
    else:  # CALLCODE: run `to`'s code on our own account
        caller, target, child_value, transfers = message.target, message.target, value, True
    child = Message(
        caller,
        target,
        code_address,
        child_value,
        bytes(frame.memory[args_offset : args_offset + args_size]) if args_size else b"",  # read_memory
        child_gas + stipend,
        depth,
        code,
        message.is_static or kind is STATICCALL,
        False,  # is_create
        transfers,
        delegate is not None,  # disable_precompiles
    )
    return child, _resume_after_call(returns_offset, returns_size)


def _resume_after_call(output_offset: int, output_size: int):
    def resume(frame, result: FrameResult):
        frame.gas_left += result.gas_left
        output = frame.return_data = result.output
        if output_size and output:
            write_memory(frame, output_offset, output[:output_size])
        frame.stack.append(1 if result.status is Status.SUCCESS else 0)

    return resume


@instruction("CALL")
def call(frame):
    gas_requested, to, value, args_offset, args_size, returns_offset, returns_size = _pop_words(frame.stack, 7)
    return _call(frame, gas_requested, to_address(to), value, args_offset, args_size, returns_offset, returns_size,
                 CALL)


@instruction("CALLCODE")
def callcode(frame):
    gas_requested, to, value, args_offset, args_size, returns_offset, returns_size = _pop_words(frame.stack, 7)
    return _call(frame, gas_requested, to_address(to), value, args_offset, args_size, returns_offset, returns_size,
                 CALLCODE)


@instruction("DELEGATECALL")
def delegatecall(frame):
    gas_requested, to, args_offset, args_size, returns_offset, returns_size = _pop_words(frame.stack, 6)
    return _call(frame, gas_requested, to_address(to), 0, args_offset, args_size, returns_offset, returns_size,
                 DELEGATECALL)


@instruction("STATICCALL")
def staticcall(frame):
    gas_requested, to, args_offset, args_size, returns_offset, returns_size = _pop_words(frame.stack, 6)
    return _call(frame, gas_requested, to_address(to), 0, args_offset, args_size, returns_offset, returns_size,
                 STATICCALL)


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
