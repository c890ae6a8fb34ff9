"""The EVM engines by name. Every engine runs one frame at a time behind the same interface:

    engine.run_frame(message, ctx) -> generator that yields child Messages and returns a FrameResult

`None` in an ExecutionContext means the reference interpreter.
"""

from __future__ import annotations

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


ENGINE_NAMES = ("reference",)


def get_engine(name: str) -> Engine | None:
    """The engine called `name` (None stands for the reference interpreter). KeyError if unknown."""
    if name == "reference":
        return None
    raise KeyError(f"unknown EVM engine {name!r}; available: {', '.join(ENGINE_NAMES)}")
