"""C-ABI entry points for the word kernels too large to inline: the division family, ADDMOD, MULMOD, EXP.

The LLVM JIT emits a call to one of these where an opcode needs it. Every operand and the result are
four little-endian uint64 limbs behind a pointer; `out` may alias an operand, because every operand is
read before the result is written. Compiling them takes seconds, so importing this module compiles
nothing: `runtime_helpers()` compiles them on first use (or loads them from Numba's cache) and
remembers the addresses.
"""

from functools import cache
from typing import NamedTuple

from numba import types

from jitvm.evm.limbs.cfunc_signatures import C_SIGNATURES as _C_SIGNATURES
from jitvm.evm.limbs.cfunc_signatures import HELPER_OPERANDS
from jitvm.evm.limbs.uint256 import exp
from jitvm.evm.limbs.uint256_div import addmod, div, mod, mulmod, sdiv, smod
from jitvm.jit.numba_cache import cached_cfunc, cached_njit

_LIMBS_POINTER = types.CPointer(types.uint64)
_BINARY_SIGNATURE = types.void(_LIMBS_POINTER, _LIMBS_POINTER, _LIMBS_POINTER)
_TERNARY_SIGNATURE = types.void(_LIMBS_POINTER, _LIMBS_POINTER, _LIMBS_POINTER, _LIMBS_POINTER)



class RuntimeHelper(NamedTuple):
    """A compiled entry point: its address in this process and its C signature."""

    address: int
    c_signature: str


@cached_njit(__name__)
def _read(limbs):
    return (limbs[0], limbs[1], limbs[2], limbs[3])


@cached_njit(__name__)
def _write(limbs, word):
    for index in range(4):
        limbs[index] = word[index]


def evm_div(out, a, b):
    _write(out, div(_read(a), _read(b)))


def evm_sdiv(out, a, b):
    _write(out, sdiv(_read(a), _read(b)))


def evm_mod(out, a, b):
    _write(out, mod(_read(a), _read(b)))


def evm_smod(out, a, b):
    _write(out, smod(_read(a), _read(b)))


def evm_exp(out, base, exponent):
    _write(out, exp(_read(base), _read(exponent)))


def evm_addmod(out, a, b, modulus):
    _write(out, addmod(_read(a), _read(b), _read(modulus)))


def evm_mulmod(out, a, b, modulus):
    _write(out, mulmod(_read(a), _read(b), _read(modulus)))


_ENTRY_POINTS = {
    "evm_div": evm_div,
    "evm_sdiv": evm_sdiv,
    "evm_mod": evm_mod,
    "evm_smod": evm_smod,
    "evm_exp": evm_exp,
    "evm_addmod": evm_addmod,
    "evm_mulmod": evm_mulmod,
}


# The compiled objects own the machine code that the addresses point into: keep them alive.
_COMPILED = {}


@cache
def runtime_helper(name: str) -> RuntimeHelper:
    """One entry point, compiled (or loaded from Numba's cache) on its first use."""
    operands = HELPER_OPERANDS[name]
    signature = _BINARY_SIGNATURE if operands == 2 else _TERNARY_SIGNATURE
    compiled = _COMPILED[name] = cached_cfunc(__name__, signature)(_ENTRY_POINTS[name])
    return RuntimeHelper(compiled.address, _C_SIGNATURES[operands])


def runtime_helpers() -> dict[str, RuntimeHelper]:
    """Name -> (address, C signature) of every entry point, compiled on the first call."""
    return {name: runtime_helper(name) for name in _ENTRY_POINTS}


def __getattr__(name):
    # CFUNC_ADDRESSES is computed on first access, so importing the module compiles nothing.
    if name == "CFUNC_ADDRESSES":
        return {helper_name: helper.address for helper_name, helper in runtime_helpers().items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
