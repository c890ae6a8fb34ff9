"""The Python tools EVM developers use every day, on jitvm's engines: titanoboa (Vyper) and web3.py with
eth-tester. Both run on py-evm; here py-evm keeps the chain, state and journal and a jitvm engine runs
the code (jitvm.evm.pyevm_backend). Install them with `pip install 'jitvm[clients]'`.

    import boa
    from jitvm.integrations import boa_env
    boa.set_env(boa_env("jit"))                  # then boa.load(...), boa.loads(...) as usual

    from web3 import EthereumTesterProvider, Web3
    from jitvm.integrations import eth_tester
    w3 = Web3(EthereumTesterProvider(eth_tester("jit")))

`engine` is a jitvm engine name ('reference', 'baseline', 'jit', 'auto'), 'py-evm' for the same
setup without jitvm (the Cancun VM, as a comparison), or 'default' for the tool's own default setup
(py-evm's newest fork, untouched). Both use the Cancun rules: titanoboa and
eth-tester default to py-evm's newest fork (Prague), which jitvm does not execute yet.

What changes for titanoboa: code runs on jitvm, so titanoboa's per-opcode hooks (its SSTORE and
SHA3 tracers, the storage shown in a contract's repr, console.log, source locations of an error)
do not see jitvm's frames; revert reasons, events, return values and gas do.
"""

from __future__ import annotations

ENGINE_FOR_PYEVM = "py-evm"  # no jitvm: py-evm's own Cancun VM
TOOL_DEFAULT = "default"  # no jitvm, and the tool's own chain (py-evm's newest fork)


def cancun_vm(engine: str):
    """py-evm's Cancun VM, running its code on the jitvm engine `engine` (or on py-evm for 'py-evm')."""
    from eth.vm.forks.cancun import CancunVM

    if engine == ENGINE_FOR_PYEVM:
        return CancunVM
    from jitvm.evm.engines import get_engine
    from jitvm.evm.pyevm_backend import jitvm_vm

    get_engine(engine)  # an unknown engine name fails here, not at the first call
    return jitvm_vm(CancunVM, engine)


def boa_env(engine: str = "jit"):
    """A titanoboa environment (boa.Env) whose chain is a Cancun chain running on `engine`."""
    import boa
    from boa.vm import py_evm as boa_py_evm
    from eth.chains.mainnet import MainnetChain
    from eth.db.atomic import AtomicDB
    from eth.tools.builder import chain as builder

    env = boa.Env()
    if engine == TOOL_DEFAULT:
        return env
    chain_class = builder.build(MainnetChain, builder.fork_at(cancun_vm(engine), 1))  # as titanoboa's own chain
    env.evm.chain = chain_class.from_genesis(AtomicDB(), boa_py_evm.GENESIS_PARAMS)
    env.evm._init_vm()  # titanoboa puts its computation class over the chain's (ours) here
    return env


def eth_tester(engine: str = "jit"):
    """An eth_tester.EthereumTester on py-evm's backend, with a Cancun chain running on `engine`."""
    from eth_tester import EthereumTester, PyEVMBackend

    if engine == TOOL_DEFAULT:
        return EthereumTester(backend=PyEVMBackend())
    return EthereumTester(backend=PyEVMBackend(vm_configuration=((0, cancun_vm(engine)),)))
