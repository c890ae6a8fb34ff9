"""Which precompiles each fork has and what they cost: one table, written as deltas per fork.

A fork lists only the precompiles it adds or reprices; every later fork inherits the rest. All the
prices live here; the modules hold what the contracts compute (and the modexp price formulas).

The modules that compute with a cryptography library (py_ecc, coincurve, arkworks, ckzg, cryptography,
pycryptodome) are imported when their precompile is first called: together they take longer to import
than a short `jitvm run` takes in all. Their prices come from modules without those libraries.
"""

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from jitvm.evm.opcodes import fork_names
from jitvm.evm.precompiles import blake2f, bls12_381_gas, bn254_gas, identity, modexp
from jitvm.evm.precompiles.bls12_381_gas import G1_MSM_DISCOUNTS, G1_MSM_PAIR_SIZE, G2_MSM_DISCOUNTS, G2_MSM_PAIR_SIZE
from jitvm.evm.precompiles.gas import GasRule, fixed_gas, gas_per_word


class OnFirstCall:
    """`function` of jitvm.evm.precompiles.`module`, imported when first called."""

    __slots__ = ("module", "function", "_loaded")

    def __init__(self, module: str, function: str):
        self.module = module
        self.function = function
        self._loaded = None

    def __call__(self, data: bytes) -> bytes:
        loaded = self._loaded
        if loaded is None:
            module = importlib.import_module(f"jitvm.evm.precompiles.{self.module}")
            loaded = self._loaded = getattr(module, self.function)
        return loaded(data)

    def __repr__(self) -> str:
        return f"OnFirstCall({self.module}.{self.function})"


@dataclass(frozen=True)
class Precompile:
    name: str
    gas: GasRule  # the price of one call, from its input alone
    run: Callable[[bytes], bytes]  # the output, or PrecompileError for invalid input


FORK_CHANGES: dict[str, dict[int, Precompile]] = {
    "Frontier": {
        0x01: Precompile("ECRECOVER", fixed_gas(3_000), OnFirstCall("ecrecover", "ecrecover")),
        0x02: Precompile("SHA256", gas_per_word(base=60, word=12), OnFirstCall("hashes", "sha256")),
        0x03: Precompile("RIPEMD160", gas_per_word(base=600, word=120), OnFirstCall("hashes", "ripemd160")),
        0x04: Precompile("IDENTITY", gas_per_word(base=15, word=3), identity.identity),
    },
    "Byzantium": {
        0x05: Precompile("MODEXP", modexp.gas_eip198, modexp.modexp),  # EIP-198
        0x06: Precompile("ECADD", fixed_gas(500), OnFirstCall("bn254", "ecadd")),  # EIP-196
        0x07: Precompile("ECMUL", fixed_gas(40_000), OnFirstCall("bn254", "ecmul")),  # EIP-196
        0x08: Precompile("ECPAIRING", bn254_gas.pairing_gas(base=100_000, per_pair=80_000),
                         OnFirstCall("bn254", "ecpairing")),  # EIP-197
    },
    "Istanbul": {
        0x06: Precompile("ECADD", fixed_gas(150), OnFirstCall("bn254", "ecadd")),  # EIP-1108
        0x07: Precompile("ECMUL", fixed_gas(6_000), OnFirstCall("bn254", "ecmul")),  # EIP-1108
        0x08: Precompile("ECPAIRING", bn254_gas.pairing_gas(base=45_000, per_pair=34_000),
                         OnFirstCall("bn254", "ecpairing")),  # EIP-1108
        0x09: Precompile("BLAKE2F", blake2f.gas_per_round(1), blake2f.blake2f),  # EIP-152
    },
    "Berlin": {
        0x05: Precompile("MODEXP", modexp.gas_eip2565, modexp.modexp),  # EIP-2565
    },
    "Cancun": {
        0x0A: Precompile("POINT_EVALUATION", fixed_gas(50_000), OnFirstCall("kzg", "point_evaluation")),  # EIP-4844
    },
    "Prague": {  # EIP-2537
        0x0B: Precompile("BLS12_G1ADD", fixed_gas(375), OnFirstCall("bls12_381", "g1_add")),
        0x0C: Precompile("BLS12_G1MSM", bls12_381_gas.msm_gas(G1_MSM_PAIR_SIZE, G1_MSM_DISCOUNTS, multiplication_cost=12_000),
                         OnFirstCall("bls12_381", "g1_msm")),
        0x0D: Precompile("BLS12_G2ADD", fixed_gas(600), OnFirstCall("bls12_381", "g2_add")),
        0x0E: Precompile("BLS12_G2MSM", bls12_381_gas.msm_gas(G2_MSM_PAIR_SIZE, G2_MSM_DISCOUNTS, multiplication_cost=22_500),
                         OnFirstCall("bls12_381", "g2_msm")),
        0x0F: Precompile("BLS12_PAIRING_CHECK", bls12_381_gas.pairing_gas(base=37_700, per_pair=32_600),
                         OnFirstCall("bls12_381", "pairing")),
        0x10: Precompile("BLS12_MAP_FP_TO_G1", fixed_gas(5_500), OnFirstCall("bls12_381", "map_fp_to_g1")),
        0x11: Precompile("BLS12_MAP_FP2_TO_G2", fixed_gas(23_800), OnFirstCall("bls12_381", "map_fp2_to_g2")),
    },
    "Osaka": {
        0x05: Precompile("MODEXP", modexp.gas_eip7883, modexp.modexp_eip7823),  # EIP-7883, EIP-7823
        0x100: Precompile("P256VERIFY", fixed_gas(6_900), OnFirstCall("p256", "p256verify")),  # EIP-7951
    },
}

# The newest fork the table covers. A later fork inherits only if someone says so here.
LAST_FORK = "Osaka"


@cache
def active_precompiles(fork: str) -> Mapping[int, Precompile]:
    """The precompiles active in `fork`, by address. KeyError for a fork the table does not cover."""
    forks = fork_names()
    if fork not in forks[: forks.index(LAST_FORK) + 1]:
        raise KeyError(f"no precompile table for fork {fork!r}")
    active: dict[int, Precompile] = {}
    for name in forks[: forks.index(fork) + 1]:
        active.update(FORK_CHANGES.get(name, {}))
    return MappingProxyType(active)
