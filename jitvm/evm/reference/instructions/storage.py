"""Persistent storage (SLOAD, SSTORE with EIP-2200/2929/3529 gas and refunds) and transient storage
(TLOAD, TSTORE, EIP-1153)."""

from jitvm.evm import gas
from jitvm.evm.reference.frame import OutOfGas, charge, require_not_static
from jitvm.evm.reference.instructions import instruction


@instruction("SLOAD")
def sload(frame):
    stack = frame.stack
    key = stack.pop()
    target = frame.message.target
    if frame.state.warm_slot(target, key):
        charge(frame, gas.COLD_SLOAD_SURCHARGE)
    stack.append(frame.state.get_storage(target, key))


def sstore_cost_and_refund(original: int, current: int, new: int, cold: bool) -> tuple[int, int]:
    """Gas and refund-counter change of one SSTORE (EIP-2200 as amended by EIP-2929 and EIP-3529).

    Shared by every engine: the only place these rules are written.
    """
    cost = gas.COLD_SLOAD if cold else 0
    if original == current and current != new:
        cost += gas.SSTORE_SET if original == 0 else gas.SSTORE_RESET
    else:
        cost += gas.WARM_ACCESS
    refund = 0
    if current != new:
        if original != 0 and current != 0 and new == 0:
            refund += gas.SSTORE_CLEAR_REFUND  # cleared for the first time in this transaction
        if original != 0 and current == 0:
            refund -= gas.SSTORE_CLEAR_REFUND  # an earlier clear's refund is taken back
        if original == new:  # restored to the value at the start of the transaction
            if original == 0:
                refund += gas.SSTORE_SET - gas.WARM_ACCESS
            else:
                refund += gas.SSTORE_RESET - gas.WARM_ACCESS
    return cost, refund


@instruction("SSTORE")
def sstore(frame):
    stack = frame.stack
    key = stack.pop()
    new = stack.pop()
    if frame.gas_left <= gas.SSTORE_STIPEND_GUARD:
        raise OutOfGas  # EIP-2200: a call's stipend alone may never write storage
    state = frame.state
    target = frame.message.target
    original = state.original_storage(target, key)
    current = state.get_storage(target, key)
    cold = state.warm_slot(target, key)
    cost, refund = sstore_cost_and_refund(original, current, new, cold)
    charge(frame, cost)
    require_not_static(frame)
    if refund:
        state.add_refund(refund)
    state.set_storage(target, key, new)


@instruction("TLOAD")
def tload(frame):
    stack = frame.stack
    stack.append(frame.state.get_transient(frame.message.target, stack.pop()))


@instruction("TSTORE")
def tstore(frame):
    stack = frame.stack
    key = stack.pop()
    value = stack.pop()
    require_not_static(frame)
    frame.state.set_transient(frame.message.target, key, value)
