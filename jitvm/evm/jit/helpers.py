"""The runtime helpers generated EVM code calls, by name: LLVM signature, and how to build the helper.

They are registered lazily (compile.register_helpers): each is compiled, or loaded from Numba's
cache, when the first code that calls it is linked. This module imports no Numba, so linking a cached
code that calls no helper loads none.
"""

from jitvm.evm.limbs.cfunc_signatures import HELPER_OPERANDS, LLVM_SIGNATURES


def _limb_helper(name: str) -> int:
    from jitvm.evm.limbs.uint256_cfuncs import runtime_helper

    return runtime_helper(name).address


def _keccak256() -> int:
    from jitvm.evm.jit.keccak_helper import evm_keccak256

    return evm_keccak256.address


def _host_helper(name: str) -> int:
    from jitvm.evm.jit import host_helpers

    return getattr(host_helpers, name).address


def runtime_helpers() -> dict:
    """name -> (LLVM signature, function building its address)."""
    helpers = {name: (LLVM_SIGNATURES[operands], lambda name=name: _limb_helper(name))
               for name, operands in HELPER_OPERANDS.items()}
    helpers["evm_keccak256"] = ("void (ptr, ptr, i64, i64)", _keccak256)
    helpers["evm_sload"] = ("i64 (ptr, ptr, ptr, i64)", lambda: _host_helper("evm_sload"))
    helpers["evm_sstore"] = ("i64 (ptr, ptr, ptr, ptr, i64)", lambda: _host_helper("evm_sstore"))
    helpers["evm_log"] = ("i64 (ptr, ptr, ptr, i64, ptr, ptr, i64, i64)", lambda: _host_helper("evm_log"))
    return helpers
