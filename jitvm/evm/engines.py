"""The EVM engines by name. Every engine runs one frame at a time behind the same interface:

    engine.run_frame(message, ctx) -> generator that yields child Messages and returns a FrameResult

`get_engine(name)` returns the shared engine object of each name, the reference interpreter's too.
What an engine may ask of the state while it runs is written down in jitvm.evm.host.Host.
"""

from __future__ import annotations

from functools import cache
from typing import Generator, Protocol

from jitvm.evm.context import ExecutionContext
from jitvm.evm.message import FrameResult, Message


class Engine(Protocol):
    name: str

    def run_frame(self, message: Message, ctx: ExecutionContext) -> Generator[Message, FrameResult, FrameResult]:
        ...


class ReferenceEngine:
    """The reference interpreter (jitvm.evm.reference) as an engine object."""

    name = "reference"

    def __init__(self):
        from jitvm.evm.reference import run_frame

        self.run_frame = run_frame  # bound once: the driver calls it for every frame


# "auto" is tiered: the baseline runs a code until it is hot (jitvm.evm.jit.engine.HOT_GAS gas or
# HOT_CALLS frames), then the JIT compiles it in the background and its next frames run compiled.
# It is the default of jitvm.EVM, the py-evm backend and the CLI.
ENGINE_NAMES = ("reference", "baseline", "jit", "auto")
DEFAULT_ENGINE = "auto"


def get_engine(name: str) -> Engine:
    """The engine called `name`. KeyError if unknown."""
    if name == "reference":
        return reference_engine()
    if name == "baseline":
        return _baseline_engine()
    if name == "jit":
        return _jit_engine()
    if name == "auto":
        return _auto_engine()
    raise KeyError(f"unknown EVM engine {name!r}; available: {', '.join(ENGINE_NAMES)}")


@cache
def reference_engine() -> Engine:
    return ReferenceEngine()


@cache
def _baseline_engine() -> Engine:
    from jitvm.evm.baseline.engine import BaselineEngine

    return BaselineEngine()


@cache
def _jit_engine() -> Engine:
    from jitvm.evm.jit.engine import COLD_STEPS, JitEngine

    return JitEngine(cold_steps=COLD_STEPS)


@cache
def _auto_engine() -> Engine:
    from jitvm.evm.jit.engine import HOT_CALLS, HOT_GAS, JitEngine

    engine = JitEngine(hot_gas=HOT_GAS, hot_calls=HOT_CALLS, background=True)
    engine.name = "auto"
    return engine
