"""Runners: one per engine, jitvm's own and the peers', all behind the same two steps.

    call = runner.prepare(case)    # untimed: build the state, the input buffer...; used once
    observation = call()           # timed: one call, returning what the case must be checked against

jitvm's engines come from the registries (`jitvm.evm.engines.ENGINE_NAMES`, `jitvm.bpf.engines.ENGINES`),
so an engine that registers there is benchmarked without any change here; one that is registered
but cannot run is reported as unavailable, with the reason, instead of stopping the run.

Optional protocol for compiling engines: an engine object (what `jitvm.evm.engines.get_engine(name)`
returns, or `jitvm.bpf.engines.get_engine(name)` if that function exists) may define

    compile_stats() -> Mapping[str, float]   # cumulative: {"compile_seconds": ..., "cache_load_seconds": ...}

(attributes of those names, or the `build_seconds` / `load_seconds` of jitvm.jit.cache.CacheStats,
are read too). The harness reads it around each case's first call and reports the difference as the
case's compile and cache-load times; engines without it show '-'.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from jitvm.errors import InputError

PEER_NAMES = ("pyrevm", "py-evm")  # EVM only; no BPF peer is installable from PyPI
BPF_PEER_NAMES = ("native",)  # the programs' C sources compiled with clang (jitvm.bench.native)
# EVM engines run only when --engines names them (the tiered "auto" is left out of default runs).
ON_REQUEST_ENGINES = ("auto",)
# Names an engine may have even where it is not built yet (asking for one is not a typo).
PLANNED_ENGINES = ("reference", "baseline", "jit")

# Rough speeds of the interpreters written in Python (units per second on a 2-core shared machine),
# used only to leave out calls that would take minutes (see --max-call-seconds). Compiled engines
# and pyrevm have no entry: they are always run.
PYTHON_SPEEDS = {
    ("evm", "reference"): 3.0e6,  # gas/s
    ("evm", "py-evm"): 1.3e6,
    ("bpf", "reference"): 0.8e6,  # instructions/s
}


@dataclass(slots=True)
class Observation:
    """What one call gave: the answer (EVM output bytes, BPF r0), the work done (gas charged inside
    the call, executed BPF instructions) and an error (failed status, BPF error), if any."""

    answer: bytes | int
    units: int | None
    error: str | None = None


class Runner:
    name: str
    kind: str  # "evm" or "bpf"
    peer: bool = False
    engine: object = None  # the engine object, when there is one (for compile_stats)
    counts_work: bool = True  # False: its calls report no work (gas, instructions) to check

    def applies_to(self, case) -> bool:
        """Whether this runner can run `case` at all (the native row: only programs with C sources)."""
        return True

    def prepare(self, case) -> Callable[[], Observation]:
        raise NotImplementedError

    @property
    def label(self) -> str:
        return self.name

    def python_speed(self) -> float | None:
        return PYTHON_SPEEDS.get((self.kind, self.name))

    def settle(self) -> None:
        """Let a tiered engine finish compiling what it runs (its steady state is what is timed)."""
        settle = getattr(self.engine, "settle", None)
        if settle is not None:
            settle()

    def compile_stats(self) -> dict[str, float] | None:
        """Cumulative compile and cache-load seconds, if the engine exposes them (see the module doc)."""
        stats_method = getattr(self.engine, "compile_stats", None)
        if stats_method is None:
            return None
        stats = stats_method()
        read = stats.get if hasattr(stats, "get") else lambda key: getattr(stats, key, None)
        found = {
            "compile_seconds": _first(read("compile_seconds"), read("build_seconds")),
            "cache_load_seconds": _first(read("cache_load_seconds"), read("load_seconds")),
            "optimize_seconds": read("optimize_seconds"),
        }
        return {key: float(value) for key, value in found.items() if value is not None}


def _first(*values):
    return next((value for value in values if value is not None), None)


class EvmEngineRunner(Runner):
    kind = "evm"

    def __init__(self, name: str, engine):
        self.name = name
        self.engine = engine

    def prepare(self, case):
        from jitvm.evm.calls import call_code

        if hasattr(case, "prepare_on"):  # a session of transactions (jitvm.bench.realworld)
            return case.prepare_on(self.name)
        state = evm_state(case)
        engine = self.engine

        def call() -> Observation:
            outcome = call_code(case.code, case.calldata, gas=case.gas, engine=engine, state=state)
            return Observation(outcome.output, outcome.gas_used,
                               None if outcome.is_success else f"status {outcome.status.name.lower()}")

        return call


def evm_state(case):
    """A fresh jitvm State: the default caller and contract (jitvm.evm.calls), with the case's
    pre_state accounts replacing them (the contract keeps the case's code)."""
    from jitvm.evm.calls import CONTRACT_ADDRESS, default_state
    from jitvm.evm.state import Account

    state = default_state(case.code)
    for pre in case.pre_state:
        is_contract = pre.address == CONTRACT_ADDRESS
        state.accounts[pre.address] = Account(
            nonce=pre.nonce or (1 if is_contract else 0),
            balance=pre.balance,
            code=case.code if is_contract else pre.code,
            storage=dict(pre.storage),
        )
    return state


class BpfEngineRunner(Runner):
    kind = "bpf"

    def __init__(self, name: str, engine=None):
        self.name = name
        self.engine = engine

    def prepare(self, case):
        from jitvm.bpf import run

        data, program, name = case.memory.build(), case.program, self.name

        def call() -> Observation:
            result = run(program, data, engine=name)
            return Observation(result.r0, result.instructions, None if result.error is None else str(result.error))

        return call


# -- discovery ------------------------------------------------------------------------------------

WASM_ENGINES = ("wasmtime",)  # jitvm's Wasm VM runs on wasmtime's Cranelift JIT
SVM_PEER_NAMES = ("litesvm",)  # solders' LiteSVM (Agave's runtime), side by side with jitvm's SVM


def registered_engines(kind: str) -> list[str]:
    """jitvm's engine names for `kind`, as its registry lists them (aliases such as 'auto' left out)."""
    if kind == "wasm":
        return list(WASM_ENGINES)
    if kind == "svm":  # jitvm's SVM runs programs on the BPF engines
        from jitvm.bench.svm_cases import ENGINES

        return list(ENGINES)
    if kind == "evm":
        from jitvm.evm import engines

        aliases = set(getattr(engines, "ENGINE_ALIASES", {})) | {"auto"}
        return [name for name in engines.ENGINE_NAMES if name not in aliases]
    from jitvm.bpf import engines

    return [name for name in engines.ENGINES if name != "auto"]


def make_runner(kind: str, name: str) -> Runner:
    """The runner for engine or peer `name`; raises Unavailable saying why it cannot run."""
    if kind == "evm" and name in PEER_NAMES:
        from jitvm.bench.peers import make_peer

        return make_peer(name)
    if kind == "svm" and name in SVM_PEER_NAMES:
        if not peer_installed("solders"):
            raise Unavailable("solders is not installed (pip install 'jitvm[peers]')")
        from jitvm.bench.svm_cases import SvmRunner

        return SvmRunner(name)
    if kind == "bpf" and name in BPF_PEER_NAMES:
        from jitvm.bench.native import make_native_runner

        return make_native_runner()
    if name not in registered_engines(kind) and not (kind == "evm" and name in ON_REQUEST_ENGINES):
        raise Unavailable(f"not in the {kind.upper()} engine registry yet")
    if kind == "wasm":
        from jitvm.bench.wasm_cases import WasmRunner

        return WasmRunner(name)
    if kind == "svm":
        from jitvm.bench.svm_cases import SvmRunner

        return SvmRunner(name)
    if kind == "evm":
        from jitvm.evm.engines import get_engine

        try:
            return EvmEngineRunner(name, get_engine(name))
        except Exception as exc:  # a registered engine that fails to load: report it, run the rest
            raise Unavailable(f"{type(exc).__name__}: {exc}") from None
    return _bpf_runner(name)


def _bpf_runner(name: str) -> Runner:
    from jitvm.bpf import Program, engines, run

    try:
        result = run(Program.from_assembly("mov %r0, 7\nexit"), b"", engine=name)  # a probe call
    except InputError as exc:
        raise Unavailable(exc.problem) from None
    except Exception as exc:
        raise Unavailable(f"{type(exc).__name__}: {exc}") from None
    if result.r0 != 7:
        raise Unavailable(f"probe program returned r0 = {result.r0}, not 7")
    get_engine = getattr(engines, "get_engine", None)
    return BpfEngineRunner(name, get_engine(name) if get_engine else None)


class Unavailable(Exception):
    """An engine or peer that cannot run here (not built, not installed); the message says why."""


def discover(kinds: list[str], wanted: list[str] | None) -> tuple[list[Runner], dict[str, str]]:
    """Runners for the given kinds, and {"kind/name": reason} for those that cannot run.

    Without `wanted`, every registered engine and every peer is tried. Names in `wanted` must be
    engines or peers that exist somewhere (a typo is an InputError); a name that does not apply to
    a kind (a peer of the EVM for BPF) is just not used for it.
    """
    known = (set(PLANNED_ENGINES) | set(PEER_NAMES) | set(BPF_PEER_NAMES) | set(SVM_PEER_NAMES)
             | set(ON_REQUEST_ENGINES) | {n for kind in ("evm", "bpf", "wasm", "svm") for n in registered_engines(kind)})
    if wanted is not None:
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise InputError("--engines", f"unknown engine {unknown[0]!r} (known: {', '.join(sorted(known))})")
    runners, unavailable = [], {}
    for kind in kinds:
        peers = {"evm": PEER_NAMES, "bpf": BPF_PEER_NAMES, "svm": SVM_PEER_NAMES}.get(kind, ())
        candidates = registered_engines(kind) + list(peers)
        if wanted is not None:
            applicable = set(PLANNED_ENGINES) | set(candidates) | (set(ON_REQUEST_ENGINES) if kind == "evm" else set())
            candidates = [name for name in wanted if name in applicable]
        for name in dict.fromkeys(candidates):
            try:
                runners.append(make_runner(kind, name))
            except Unavailable as exc:
                unavailable[f"{kind}/{name}"] = str(exc)
    return runners, unavailable


def peer_installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
