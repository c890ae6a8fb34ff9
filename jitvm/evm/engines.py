"""The EVM engines by name. Every engine runs one frame at a time behind the same interface:

    engine.run_frame(message, ctx) -> generator that yields child Messages and returns a FrameResult

`None` in an ExecutionContext means the reference interpreter.
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
    name = "reference"

    def run_frame(self, message, ctx):
        from jitvm.evm.reference import run_frame

        return run_frame(message, ctx)


# "auto" is tiered: the baseline runs a code until it is hot (jitvm.evm.jit.engine.HOT_GAS gas or
# HOT_CALLS frames), then the JIT compiles it in the background and its next frames run compiled.
ENGINE_NAMES = ("reference", "baseline", "jit", "auto")


def get_engine(name: str) -> Engine | None:
    """The engine called `name` (None stands for the reference interpreter). KeyError if unknown."""
    if name == "reference":
        return None
    if name == "baseline":
        return _baseline_engine()
    if name == "jit":
        return _jit_engine()
    if name == "auto":
        return _auto_engine()
    raise KeyError(f"unknown EVM engine {name!r}; available: {', '.join(ENGINE_NAMES)}")


@cache
def _baseline_engine() -> Engine:
    from jitvm.evm.baseline.engine import BaselineEngine

    return BaselineEngine()


@cache
def _jit_engine() -> Engine:
    from jitvm.evm.jit.engine import JitEngine

    return JitEngine()


@cache
def _auto_engine() -> Engine:
    from jitvm.evm.jit.engine import HOT_CALLS, HOT_GAS, JitEngine

    engine = JitEngine(hot_gas=HOT_GAS, hot_calls=HOT_CALLS, background=True)
    engine.name = "auto"
    return engine
