"""The `wasm` group of `jitvm bench`: MultiversX contracts on jitvm's Wasm VM, an ERC-20 transfer
(state committed between calls, as a chain runs them) and factorial views, each call metered by
MultiversX's V4 gas schedule.

The contracts and the schedule are MultiversX's test data (GPL-3.0), so they are not bundled: the
group runs where ../shared/fixtures/wasm/multiversx is (or --fixtures points at a folder holding
wasm/multiversx), and is left out, with a note, elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MULTIVERSX = Path("wasm") / "multiversx"


@dataclass(frozen=True, slots=True)
class WasmCase:
    """One call of `function` on a MultiversX contract; the answer is its return data."""

    name: str
    group: str
    contract: Path = field(repr=False)  # .mxsc.json
    function: str
    arguments: tuple[bytes, ...]
    expected_output: tuple[bytes, ...]
    setup: str  # "erc20" (a token with balances) or "view" (no state)
    schedule: Path = field(repr=False)

    kind = "wasm"
    unit = "gas"
    expected_units = None  # one engine: the gas is checked against the schedule by the tests

    @property
    def key(self) -> str:
        return f"wasm/{self.name}"

    def describe_answer(self) -> str:
        if not self.expected_output:
            return f"{self.function} returns nothing"
        from jitvm.bench.workloads import _short

        return f"{self.function} returns 0x" + ", 0x".join(_short(value) for value in self.expected_output)


def find_multiversx(explicit: Path | None = None) -> Path | None:
    here = Path(__file__).resolve()
    candidates = ([explicit] if explicit is not None else []) + [
        Path.cwd().parent / "shared" / "fixtures", Path.cwd() / "shared" / "fixtures", here.parents[3] / "shared" / "fixtures"]
    for folder in candidates:
        if (folder / MULTIVERSX / "test").is_dir():
            return folder / MULTIVERSX
    return None


def bundled_wasm_cases(explicit: Path | None = None) -> list[WasmCase]:
    root = find_multiversx(explicit)
    if root is None:
        return []
    schedule = root / "gasSchedules" / "gasScheduleV4.toml"
    erc20 = root / "test" / "erc20-rust" / "output" / "erc20.mxsc.json"
    factorial = root / "test" / "factorial" / "output" / "factorial.mxsc.json"
    cases = []
    if erc20.is_file():
        cases.append(WasmCase("erc20-rust/transfer", "wasm", erc20, "transfer", (b"other" + b"_" * 27, b"\x01"), (),
                              "erc20", schedule))
    if factorial.is_file():
        for n, result in ((10, 3628800), (100, _factorial(100))):
            cases.append(WasmCase(f"factorial/{n}", "wasm", factorial, "factorial", (bytes([n]),),
                                  (result.to_bytes((result.bit_length() + 7) // 8, "big"),), "view", schedule))
    return cases


def _factorial(n: int) -> int:
    value = 1
    for k in range(2, n + 1):
        value *= k
    return value


class WasmRunner:
    """jitvm's Wasm VM (wasmtime's Cranelift JIT, metered by instrumentation)."""

    kind = "wasm"
    peer = False
    engine = None
    counts_work = True

    def __init__(self, name: str = "wasmtime"):
        self.name = name
        self._vms: dict[Path, object] = {}

    def applies_to(self, case) -> bool:
        return True

    def label(self) -> str:
        return self.name

    def python_speed(self) -> float | None:
        return None

    def settle(self) -> None:
        pass

    def compile_stats(self):
        return None

    def prepare(self, case: WasmCase):
        from jitvm.bench.runners import Observation
        from jitvm.wasm.frame import CallInput
        from jitvm.wasm.schedule import dummy_schedule, load_schedule
        from jitvm.wasm.transactions import call_contract, query_contract
        from jitvm.wasm.values import interpret
        from jitvm.wasm.vm import WasmVM
        from jitvm.wasm.world import Account, World

        vm = self._vms.get(case.schedule)
        if vm is None:
            schedule = load_schedule(case.schedule) if case.schedule.is_file() else dummy_schedule()
            vm = self._vms[case.schedule] = WasmVM(schedule)
        code = interpret("mxsc:" + str(case.contract))
        contract, caller = interpret("sc:bench"), interpret("address:caller")
        gas = 10**9
        if case.setup == "erc20":
            supply = (10**30).to_bytes(13, "big")
            world = World({contract: Account(code=code, storage={b"balance" + caller: supply, b"totalSupply": supply}),
                           caller: Account()})

            def call():
                result = call_contract(vm, world, CallInput(caller, contract, case.function, list(case.arguments),
                                                            gas=gas))
                return Observation(tuple(result.results), gas - result.gas_remaining,
                                   None if result.ok else f"status {int(result.code)}: {result.message}")
        else:
            world = World({contract: Account(code=code)})

            def call():
                result = query_contract(vm, world, CallInput(contract, contract, case.function, list(case.arguments),
                                                             gas=gas))
                return Observation(tuple(result.results), gas - result.gas_remaining,
                                   None if result.ok else f"status {int(result.code)}: {result.message}")
        return call
