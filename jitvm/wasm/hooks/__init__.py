"""The host functions ("VM hooks") contracts import from module `env`, by name.

Each hook is a function `(frame, *wasm_arguments) -> result` registered with the name contracts
import and the schedule entry that prices one call of it. Hooks charge extra gas themselves where
the price depends on the data (bytes copied, stored). A contract that imports a hook jitvm does not
define links anyway and traps with "hook NAME not implemented" if it calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

HOOKS: dict[str, "Hook"] = {}


@dataclass(frozen=True, slots=True)
class Hook:
    name: str
    cost: str  # the gas schedule's name for one call ("": the hook charges all its gas itself)
    run: Callable


def hook(name: str, cost: str):
    def register(function: Callable) -> Callable:
        if name in HOOKS:
            raise ValueError(f"hook {name} defined twice")
        HOOKS[name] = Hook(name, cost, function)
        return function
    return register


def load_all() -> dict[str, Hook]:
    from jitvm.wasm.hooks import (  # noqa: F401
        arguments, bigfloats, bigint, buffers, calls, context, crypto, maps, payments, signatures, storage, tokens,
    )
    return HOOKS
