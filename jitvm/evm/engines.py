"""The EVM engines by name. Every engine runs one frame at a time behind the same interface:

    engine.run_frame(message, ctx) -> generator that yields child Messages and returns a FrameResult
    engine.start_frame(message, ctx) -> its FrameResult, or (the generator after its first send, the child)

`get_engine(name)` returns the shared engine object of each name, the reference interpreter's too.
What an engine may ask of the state while it runs is written down in jitvm.evm.host.Host.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import Generator, Protocol

from jitvm.errors import parse_int
from jitvm.evm.context import ExecutionContext
from jitvm.evm.message import FrameResult, Message


class Engine(Protocol):
    name: str

    def run_frame(self, message: Message, ctx: ExecutionContext) -> Generator[Message, FrameResult, FrameResult]:
        ...

    def start_frame(self, message: Message, ctx: ExecutionContext) -> FrameResult | tuple[Generator, Message]:
        ...


def start_runner(runner: Generator[Message, FrameResult, FrameResult]) -> FrameResult | tuple[Generator, Message]:
    """A frame's generator (run_frame's) after its first send, as start_frame answers: the frame's
    FrameResult if it ended, else (the generator, the child Message it asks for)."""
    try:
        return runner, runner.send(None)
    except StopIteration as finished:
        return finished.value


class ReferenceEngine:
    """The reference interpreter (jitvm.evm.reference) as an engine object."""

    name = "reference"

    def __init__(self):
        from jitvm.evm.reference import run_frame

        self.run_frame = run_frame  # bound once: the driver calls it for every frame

    def start_frame(self, message: Message, ctx: ExecutionContext) -> FrameResult | tuple[Generator, Message]:
        return start_runner(self.run_frame(message, ctx))


# "auto" is tiered (AutoEngine): the reference interpreter for a short run, the baseline until a code is
# hot (jitvm.evm.jit.engine.HOT_GAS gas or HOT_CALLS frames), then the JIT compiles it in the background
# and its next frames run compiled. It is the default of jitvm.EVM, the py-evm backend and the CLI.
ENGINE_NAMES = ("reference", "baseline", "jit", "auto")
DEFAULT_ENGINE = "auto"

# Gas a process runs on tier 0 (the reference interpreter) before "auto" moves to the baseline kernel:
# about as long as loading the kernel from Numba's cache takes (half a second to a second).
TIER0_GAS = parse_int(os.environ.get("JITVM_TIER0_GAS") or 2_000_000, "JITVM_TIER0_GAS")
# While the kernel has never been compiled on this machine (a fresh install: about 20 s of compiling),
# any frame up to a block's gas runs on tier 0: the reference finishes it sooner than the compile would.
FRESH_TIER0_FRAME_GAS = 30_000_000


class AutoEngine:
    """The default engine, tiered as JIT-compiling VMs are.

    Tier 0 is the reference interpreter. It runs frames until the process has spent TIER0_GAS gas on
    it or has loaded the baseline kernel some other way, so that a short run (one `jitvm run`, a
    `jitvm t8n` of a small block) never pays for importing Numba and loading the kernel. A frame
    starts on tier 0 only if it cannot take tier 0 far past that budget: its gas fits what is left, or
    its code has no JUMPDEST (no jump can succeed, so each instruction runs at most once), or the
    kernel is not compiled yet on this machine and the frame has at most FRESH_TIER0_FRAME_GAS. The
    first frame that does not fit ends tier 0 for the process.

    Then every frame runs on `tiered()`, a JitEngine: the baseline kernel for code that is still
    cold, compiled code once it is hot. Frames on tier 0 do not count towards a code's heat. Every
    tier computes the same results (all engines equal the reference), so the choice is about speed only.
    """

    name = "auto"

    def __init__(self, tier0_gas: int = TIER0_GAS):
        self.tier0_gas = tier0_gas  # the budget; 0 turns tier 0 off
        self.tier0_used = 0  # gas used by tier-0 frames (a child's also counted in its parent)
        self._tiered = None

    def tiered(self):
        """The baseline-and-JIT engine that runs every frame once tier 0 has ended."""
        if self._tiered is None:
            from jitvm.evm.jit.engine import HOT_CALLS, HOT_GAS, JitEngine

            engine = JitEngine(hot_gas=HOT_GAS, hot_calls=HOT_CALLS, background=True)
            engine.name = "auto"
            self._tiered = engine
        return self._tiered

    def run_frame(self, message: Message, ctx: ExecutionContext) -> Generator[Message, FrameResult, FrameResult]:
        if self.tier0_gas and self._starts_on_tier0(message):
            return self._run_tier0(message, ctx)
        self._end_tier0()
        return self.run_frame(message, ctx)

    def start_frame(self, message: Message, ctx: ExecutionContext) -> FrameResult | tuple[Generator, Message]:
        return start_runner(self.run_frame(message, ctx))  # tiered()'s own once tier 0 has ended

    def _starts_on_tier0(self, message: Message) -> bool:
        left = self.tier0_gas - self.tier0_used
        if left > 0 and not _kernel_loaded():
            from jitvm.evm.jumpdests import jump_destinations

            if message.gas <= left or not jump_destinations(message.code):
                return True
            if message.gas <= FRESH_TIER0_FRAME_GAS and not _kernel_compiled():
                return True
        self.tier0_gas = 0  # tier 0 has ended for this process
        return False

    def _end_tier0(self) -> None:
        """From now on every frame runs on tiered(): the driver's calls of run_frame go straight to it."""
        self.tier0_gas = 0
        self.run_frame = self.tiered().run_frame
        self.start_frame = self.tiered().start_frame

    def _run_tier0(self, message: Message, ctx: ExecutionContext):
        result = yield from reference_engine().run_frame(message, ctx)
        self.tier0_used += message.gas - result.gas_left
        return result

    def settle(self) -> None:
        """End tier 0 and let the JIT finish compiling (benchmarks call this before timing)."""
        self._end_tier0()
        self.tiered().settle()

    def compile_stats(self) -> dict[str, float]:
        return self.tiered().compile_stats()


def _kernel_loaded() -> bool:
    """Whether this process has loaded the baseline kernel already (then it costs nothing more)."""
    engine_module = sys.modules.get("jitvm.evm.baseline.engine")
    return engine_module is not None and engine_module.kernel.cache_info().currsize > 0


def _kernel_compiled() -> bool:
    """Whether the baseline kernel is built, so that it loads in milliseconds (asked only when tier 0
    is about to end)."""
    from jitvm.evm.baseline.native_entry import kernels_built

    return kernels_built()


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
    return AutoEngine()
