"""Gas schedules in MultiversX's format (`gasScheduleV*.toml`): what each Wasm instruction and each
host function costs. `dummy` prices everything at 1, as the scenario format defines it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from jitvm.errors import InputError
from jitvm.wasm.opcodes import opcode_names

SCHEDULE_FILES = {"v3": "gasScheduleV3.toml", "v4": "gasScheduleV4.toml"}


@dataclass(frozen=True)
class GasSchedule:
    name: str
    opcodes: dict[str, int]  # Wasm instruction name -> gas
    api: dict[str, int] = field(default_factory=dict)  # host-function cost name -> gas
    base: dict[str, int] = field(default_factory=dict)  # [BaseOperationCost]: per-byte costs
    # [DynamicStorageLoad]: (quadratic, linear, constant, minimum), signs applied; None: static prices
    storage_load: tuple[int, int, int, int] | None = None
    dummy: bool = False

    def api_cost(self, name: str) -> int:
        if self.dummy:
            return 1
        return self.api.get(name, 0)

    def per_byte(self, name: str) -> int:
        return 1 if self.dummy else self.base.get(name, 0)

    def initial_call_cost(self, code_size: int) -> int:
        """What a call pays before its code runs: fetching the code and preparing it."""
        if self.dummy:
            return 0
        return self.base.get("GetCode", 0) + code_size * self.base.get("AoTPreparePerByte", 0)

    def storage_load_cost(self, static_name: str, trie_depth: int = 0) -> int:
        """What reading one storage value from the state costs (not from the transaction's cache):
        MultiversX prices it by the depth of the key in the account's data trie, a quadratic from
        `[DynamicStorageLoad]`, falling back to the hook's static price when the quadratic drops below
        its minimum. jitvm's state has no trie, so the depth is 0, as in MultiversX's scenario world."""
        if self.dummy:
            return 1
        if self.storage_load is None:
            return self.api_cost(static_name)
        quadratic, linear, constant, minimum = self.storage_load
        cost = quadratic * trie_depth * trie_depth + linear * trie_depth + constant
        return cost if cost >= minimum else self.api_cost(static_name)

    @property
    def local_cost(self) -> int:
        return self.opcodes.get("LocalAllocate", 0)

    @property
    def free_locals(self) -> int:
        return self.opcodes.get("LocalsUnmetered", 0)


@cache
def dummy_schedule() -> GasSchedule:
    return GasSchedule("dummy", {name: 1 for name in opcode_names()}, dummy=True)


@cache
def load_schedule(path: Path) -> GasSchedule:
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise InputError(str(path), f"cannot read the gas schedule: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), f"not a TOML gas schedule: {exc}") from None
    try:
        opcodes = {name: int(value) for name, value in document["WASMOpcodeCost"].items()}
    except (KeyError, TypeError, ValueError):
        raise InputError(str(path), "no [WASMOpcodeCost] table of integers") from None
    api: dict[str, int] = {}
    for section in ("BaseOpsAPICost", "BigIntAPICost", "BigFloatAPICost", "CryptoAPICost", "ManagedBufferAPICost",
                    "ManagedMapAPICost", "EthAPICost"):
        api.update({name: int(value) for name, value in document.get(section, {}).items()})
    base = {name: int(value) for name, value in document.get("BaseOperationCost", {}).items()}
    return GasSchedule(path.stem, opcodes, api, base, _storage_load_coefficients(path, document))


def _storage_load_coefficients(path: Path, document: dict) -> tuple[int, int, int, int] | None:
    table = document.get("DynamicStorageLoad")
    if table is None:
        return None
    try:
        def signed(name: str) -> int:
            sign = -1 if int(table.get(f"SignOf{name}", 0)) else 1
            return sign * int(table[f"{name}Coefficient"])
        return signed("Quadratic"), signed("Linear"), signed("Constant"), int(table["MinimumGasCost"])
    except (KeyError, TypeError, ValueError):
        raise InputError(str(path), "[DynamicStorageLoad] needs integer coefficients and MinimumGasCost") from None


def find_schedule(name: str, near: Path, explicit_dir: Path | None = None) -> GasSchedule:
    """The schedule a scenario names: 'dummy', or 'v3'/'v4' from a `gasSchedules/` folder in
    `explicit_dir` or in a folder above the scenario file (where MultiversX's test data keeps them)."""
    key = name.lower()
    if key in ("", "dummy"):
        return dummy_schedule()
    filename = SCHEDULE_FILES.get(key)
    if filename is None:
        raise InputError(f"gasSchedule {name!r}", f"unknown schedule (choose from dummy, {', '.join(SCHEDULE_FILES)})")
    folders = [explicit_dir] if explicit_dir is not None else [p / "gasSchedules" for p in near.resolve().parents]
    for folder in folders:
        candidate = folder / filename
        if candidate.is_file():
            return load_schedule(candidate)
    raise InputError(f"gasSchedule {name!r}", f"{filename} not found (give its folder with --gas-schedules)")
