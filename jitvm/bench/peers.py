"""The EVM peers: pyrevm (revm, Rust) and py-evm (Python), each running a case as the same message
call jitvm makes (jitvm.evm.calls): from CALLER_ADDRESS to the contract at CONTRACT_ADDRESS, under
Cancun rules (the newest both have; jitvm runs the workloads under Osaka, which charges them the
same: they use neither CLZ, delegations nor the new precompiles), on a fresh state holding the same
accounts.

Both report the gas charged inside the call before refunds, as the fixtures and jitvm do:
pyrevm runs a whole transaction, so its intrinsic gas is taken off and its refund added back;
py-evm runs the message directly, so its gas used is the message's gas minus what is left.
"""

from __future__ import annotations

from jitvm.bench.runners import Observation, Runner, Unavailable, peer_installed

CALLER_BALANCE = 10**30


def make_peer(name: str) -> Runner:
    if name == "pyrevm":
        if not peer_installed("pyrevm"):
            raise Unavailable("not installed (pip install 'jitvm[peers]')")
        return PyrevmRunner()
    if not peer_installed("eth"):
        raise Unavailable("not installed (pip install 'jitvm[peers]')")
    return PyEvmRunner()


def _accounts(case):
    """(address, balance, nonce, code, storage pairs) for every account of the case's pre-state."""
    from jitvm.evm.calls import CALLER_ADDRESS, CONTRACT_ADDRESS

    accounts = {
        CALLER_ADDRESS: (CALLER_BALANCE, 0, b"", ()),
        CONTRACT_ADDRESS: (0, 1, case.code, ()),
    }
    for pre in case.pre_state:
        is_contract = pre.address == CONTRACT_ADDRESS
        accounts[pre.address] = (pre.balance, pre.nonce or (1 if is_contract else 0),
                                 case.code if is_contract else pre.code, pre.storage)
    return accounts.items()


class PyrevmRunner(Runner):
    name = "pyrevm"
    kind = "evm"
    peer = True

    def prepare(self, case):
        import pyrevm

        from jitvm.evm.calls import CALLER_ADDRESS, CONTRACT_ADDRESS

        if hasattr(case, "prepare_on"):  # a session of transactions (jitvm.bench.realworld)
            return case.prepare_on(self.name)
        evm = pyrevm.EVM(gas_limit=case.gas)
        for address, (balance, nonce, code, storage) in _accounts(case):
            evm.insert_account_info("0x" + address.hex(), pyrevm.AccountInfo(balance=balance, nonce=nonce, code=code or None))
            for slot, word in storage:
                evm.insert_account_storage("0x" + address.hex(), slot, word)
        caller, contract = "0x" + CALLER_ADDRESS.hex(), "0x" + CONTRACT_ADDRESS.hex()
        zero = case.calldata.count(0)
        intrinsic = 21000 + 4 * zero + 16 * (len(case.calldata) - zero)

        def call() -> Observation:
            try:
                output = evm.message_call(caller, contract, case.calldata, gas=case.gas)
            except RuntimeError as exc:  # revm reports a revert or a halt as an exception
                return Observation(b"", None, f"pyrevm: {str(exc)[:120]}")
            result = evm.result
            return Observation(bytes(output), result.gas_used + result.gas_refunded - intrinsic)

        return call


class PyEvmRunner(Runner):
    name = "py-evm"
    kind = "evm"
    peer = True

    def prepare(self, case):
        from eth.constants import BLANK_ROOT_HASH
        from eth.db.atomic import AtomicDB
        from eth.vm.execution_context import ExecutionContext
        from eth.vm.forks.cancun.computation import CancunComputation
        from eth.vm.forks.cancun.state import CancunState
        from eth.vm.forks.cancun.transaction_context import CancunTransactionContext
        from eth.vm.message import Message

        from jitvm.evm.calls import CALLER_ADDRESS, CONTRACT_ADDRESS
        from jitvm.evm.context import BlockEnv
        from jitvm.evm.forks import get_fork

        block = BlockEnv()  # the block jitvm's calls run in
        context = ExecutionContext(
            coinbase=block.coinbase, timestamp=block.timestamp, block_number=block.number, difficulty=0,
            mix_hash=block.prev_randao.to_bytes(32, "big"), gas_limit=max(block.gas_limit, case.gas),
            prev_hashes=(), chain_id=block.chain_id, base_fee_per_gas=block.base_fee,
            excess_blob_gas=block.excess_blob_gas,
        )
        state = CancunState(AtomicDB(), context, BLANK_ROOT_HASH)
        for address, (balance, nonce, code, storage) in _accounts(case):
            state.set_balance(address, balance)
            state.set_nonce(address, nonce)
            state.set_code(address, code)
            for slot, word in storage:
                state.set_storage(address, slot, word)
        # Warm at the start of a call, as in jitvm.evm.calls.call_code (EIP-2929).
        precompiles = (number.to_bytes(20, "big") for number in get_fork("Cancun").precompiles)
        for address in (CALLER_ADDRESS, CONTRACT_ADDRESS, *precompiles):
            state.mark_address_warm(address)
        transaction = CancunTransactionContext(gas_price=0, origin=CALLER_ADDRESS)
        message = Message(gas=case.gas, to=CONTRACT_ADDRESS, sender=CALLER_ADDRESS, value=0,
                          data=case.calldata, code=case.code)

        def call() -> Observation:
            computation = CancunComputation.apply_message(state, message, transaction)
            if computation.is_error:
                return Observation(bytes(computation.output), None, f"py-evm: {computation.error!r}"[:120])
            return Observation(bytes(computation.output), case.gas - computation.get_gas_remaining())

        return call
