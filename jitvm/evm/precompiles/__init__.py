"""The precompiled contracts 0x01-0x11 and 0x100, through Osaka: what a CALL to one of these addresses runs
instead of code. Every engine calls them through `run_precompile`.

Charging comes first: a call whose gas does not cover the price raises PrecompileError before any work
is done, so an unpayable input (a modexp length of 2**255, say) never allocates anything.
"""

from jitvm.evm.precompiles.errors import PrecompileError
from jitvm.evm.precompiles.table import active_precompiles

__all__ = ["PrecompileError", "precompile_addresses", "run_precompile"]


def precompile_addresses(fork: str) -> frozenset[int]:
    """The addresses with a precompile in `fork`. KeyError for an unknown fork."""
    return frozenset(active_precompiles(fork))


def run_precompile(address: int, data: bytes, gas: int, fork: str = "Cancun") -> tuple[bytes, int]:
    """Run the precompile at `address` on `data` with `gas` available: (output, gas used).

    PrecompileError when the gas does not cover the price or the input is invalid; either way the
    caller loses all of `gas`. KeyError if `address` is not a precompile in `fork`.
    """
    precompile = active_precompiles(fork)[address]
    data = bytes(data)
    price = precompile.gas(data)
    if price > gas:
        raise PrecompileError(f"{precompile.name}: out of gas ({gas} available)")
    return precompile.run(data), price
