"""The JIT EVM engine: compiled blocks (codegen.py) for what they handle, the baseline kernel and its
host glue for everything else, all on the same frame arrays (jitvm.evm.baseline.layout).

    call_code(code, calldata, engine=get_engine("jit"))

A frame is set up exactly as on the baseline engine (BaselineEngine._run_native). Then the loop
alternates: the compiled code runs blocks until the frame ends or it hands back INTERPRET with
registers[STEPS] instructions for the kernel (a host instruction, a copy, a failed block check,
memory growth past the buffer); the kernel runs them, with the baseline's EXIT_HOST and EXIT_GROW
protocol served the baseline's way, and stops at a block start, where the compiled code resumes.

Tiers (compile.py): a code's first compile is the QUICK tier; once its compiled frames have used
UPGRADE_GAS gas or started UPGRADE_CALLS times, the OPTIMIZED tier is compiled in the background and
replaces it. `settle()` upgrades every code this process has compiled and waits for it (benchmarks
call it before timing the steady state).

`JitEngine(cold_steps=N, load_steps=M)` is the registered "jit": a code's first instructions
(counted over all its frames) run on the baseline kernel. After M of them the object cache is asked
for its compiled code (loading and linking it costs what the kernel needs for about M
instructions); after N it is compiled. Either way the frame goes on in compiled code from the next
block start, in the middle of the frame if need be. So a contract called a few times for little
work is never compiled or linked (that would cost more than running it), and a long first call is
compiled after N instructions. `JitEngine()` (cold_steps=0) compiles every code before its first
frame.

`JitEngine(hot_gas=..., hot_calls=...)` is the tiered engine ("auto"): a code runs on the baseline
until its frames have used `hot_gas` gas or started `hot_calls` times; then it is compiled, in the
background with `background=True` (the baseline keeps running it until the compiled code is ready).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from jitvm.evm.jit import compile
from jitvm.jit import layer as _layer
from jitvm.evm.jit.entry import DONE
from jitvm.evm.jit.compile import QUICK, compiled_code
from jitvm.evm.jit.native_call import enter_evm, entry_address
from jitvm.evm.jumpdests import jumpdest_positions
from jitvm.evm.message import FrameResult
from jitvm.evm.baseline.engine import (
    STEPS_SPENT,
    BaselineEngine,
    frame_result,
    kernel,
    message_arrays,
    run_to_host,
    serve_host,
)
from jitvm.evm.baseline.frame_arena import NATIVE_CHILDREN
from jitvm.evm.baseline.host import host_handlers
from jitvm.evm.baseline.layout import (
    PENDING,
    PENDING_NONE,
    STEPS,
    UNLIMITED_STEPS,
    calldata_at,
    code_rows_at,
    data_bytes,
)


# When "auto" compiles a code: after its frames have used this much gas in all, or started this many
# times (environment variables override them).
HOT_GAS = int(os.environ.get("JITVM_JIT_HOT_GAS", 2_000_000))
HOT_CALLS = int(os.environ.get("JITVM_JIT_HOT_CALLS", 64))
# When a code running on its QUICK tier gets the OPTIMIZED one: after its compiled frames have used
# this much gas in all, or started this many times.
UPGRADE_GAS = int(os.environ.get("JITVM_JIT_UPGRADE_GAS", 5_000_000))
UPGRADE_CALLS = int(os.environ.get("JITVM_JIT_UPGRADE_CALLS", 256))
# How many instructions of a code the registered "jit" runs on the baseline kernel before it
# compiles the code, and before it looks for it in the object cache: about as many as the kernel
# runs in the time a QUICK compile of a real-size contract (0.1-0.3 s), or a cache load and link
# (about 3 ms), takes (docs/compile-cache.md has the measurements).
COLD_STEPS = int(os.environ.get("JITVM_JIT_COLD_STEPS", 2_000_000))
LOAD_STEPS = int(os.environ.get("JITVM_JIT_LOAD_STEPS", 50_000))
# Before the baseline kernel is loaded, a cold code up to this size is compiled rather than paying
# for the kernel (a QUICK compile of 1 KB takes tens of milliseconds), until the process has spent
# this long compiling.
PRE_KERNEL_CODE_SIZE = 1024
PRE_KERNEL_COMPILE_SECONDS = 0.25
REFRESH = 256  # a compiled code's frames ask the compile layer for it (and so keep it recently used) this often
QUICK_REFRESH = 16  # as often on the QUICK tier, to pick up the OPTIMIZED one once it is ready
# A compiled code whose frames hand instructions back to the kernel is reviewed at its
# REVIEW_FRAMES-th compiled frame: its next SAMPLE_FRAMES frames run on the kernel, counting their
# instructions, and it stays compiled only if they ran at least MIN_STEPS_PER_HANDOVER instructions
# for each hand-over of its compiled frames (each costs a kernel entry and a compiled entry more
# than the baseline pays; below that, compiled code cannot win it back: docs/tiering.md).
REVIEW_FRAMES = 32
SAMPLE_FRAMES = 4
MIN_STEPS_PER_HANDOVER = int(os.environ.get("JITVM_JIT_MIN_STEPS_PER_HANDOVER", 400))
# An engine that compiles only what is hot (the registered jit and auto) also reviews a compiled
# code whose frames never hand over, if they average less than SHORT_FRAME_GAS gas (so that its
# sample frames on the kernel cost little), and sends it to the baseline if its sample frames ran
# fewer than MIN_STEPS_PER_FRAME instructions each: compiled code saves such a frame a few thousand
# CPU instructions, but in a mix of transactions its machine code has left the CPU's caches by the
# code's next frame, and the frame costs more time than on the kernel, whose loop every code shares
# (block/1000_mixed: each kind 1-6% slower on jit than on the baseline in time, with 1.4% fewer
# instructions; at the baseline with 300: session 16, second round, docs/tiering.md). Off (0) by
# default: the decision is for good, so that a code reviewed on short frames runs a later long
# frame on the kernel too (erc20/transfer_many_5000 after erc20/transfer in one process: jit 1.01
# of the baseline's time instead of 0.84), and jit's frames on the baseline's path cost 0.2-0.6%
# more CPU instructions than the baseline's. JitEngine() (every code compiled) never applies it.
MIN_STEPS_PER_FRAME = int(os.environ.get("JITVM_JIT_MIN_STEPS_PER_FRAME", 0))
SHORT_FRAME_GAS = 1_000_000
HEAT_ENTRIES = 4096  # codes whose heat is remembered (forgotten all at once beyond)
_UNBOUNDED = 1 << 62  # a limit no count reaches


@dataclass(slots=True)
class Heat:
    """What a code has done in this engine: gas used and frames started, on the baseline until it
    is compiled, then on compiled code (counted again from zero, towards the upgrade). An engine
    with cold_steps counts a cold code's instructions instead of its gas and frames."""

    gas: int = 0
    calls: int = 0
    steps: int = 0  # instructions run on the kernel while cold (JitEngine.cold_steps)
    code: Callable[[], object] = lambda: None  # a weak reference to the compiled code the last compiled frame ran
    address: int = 0  # its evm_enter's machine-code address
    # cold, uncached (cold, and not in the object cache), queued (compiling in the background),
    # compiled, or baseline (too large to compile)
    state: str = "cold"
    fork: str = ""  # the fork it runs in (JitEngine._latest finds a code's heat by the code alone)
    # A frame of a cold code runs on the kernel from start to end, exactly as on the baseline, and is
    # counted when it ends (BufferPool.give_back), while steps < plain_steps and its gas < cold_steps - steps
    # (an engine with cold_steps), or while calls < plain_calls and gas < hot_gas (a tiered engine).
    # Both are 0 once the code is not cold: JitEngine._execute decides such a frame in a few compares.
    plain_steps: int = 0
    plain_calls: int = 0
    # A compiled code's frames ask the compile layer for it every `refresh` frames, and when they
    # pass upgrade_calls frames or upgrade_gas gas (jitvm.evm.jit.engine._remember sets them).
    refresh: int = REFRESH
    upgrade_calls: int = _UNBOUNDED
    upgrade_gas: int = _UNBOUNDED
    # Kernel hand-overs of its compiled frames, and the frame at which it is reviewed (_review).
    handovers: int = 0
    review_at: int = REVIEW_FRAMES
    sample: "Heat | None" = None  # the review's kernel frames are counted into this
    handovers_per_frame: float = 0.0
    # A queued code's frames ask the compile layer for it only when jitvm.jit.layer.finished_jobs
    # has moved from this count (JitEngine._start): a background job has ended since the last ask.
    asked: int = -1


class JitEngine(BaselineEngine):
    """Runs frames on LLVM-compiled blocks, with the baseline kernel for the rest."""

    name = "jit"

    def __init__(self, hot_gas: int = 0, hot_calls: int = 0, background: bool = False, cold_steps: int = 0,
                 load_steps: int | None = None):
        super().__init__()
        self.cold_steps = cold_steps
        self.load_steps = min(cold_steps, LOAD_STEPS if load_steps is None else load_steps)
        self.hot_gas = hot_gas
        self.hot_calls = hot_calls
        self.background = background
        # A code without a JUMPDEST (no frame of it runs more instructions than it has bytes: a
        # STOP contract) runs on the baseline for good on an engine that compiles only what is
        # hot: entering compiled code costs a frame about 10k CPU instructions more than the
        # kernel's run (call/stop_contract: baseline 52.8k, compiled 63.2k), which so few
        # instructions never win back. JitEngine() compiles every code (the JIT's conformance).
        self.leaves_straight_code = bool(cold_steps or hot_gas or hot_calls)
        self._heat: dict[tuple[bytes, str], Heat] = {}
        self._latest: dict[bytes, Heat] = {}  # by code, the heat of the fork it last ran in (no tuple per frame)
        # The codes in state "baseline" (declined, reviewed out, without a JUMPDEST), by code, with
        # the Fork they run in: their frames take the baseline's path without calling _start
        # (BaselineEngine.start_frame and _execute look them up), as cheap as a baseline frame.
        self._on_baseline: dict[bytes, object] = {}
        # A cold frame that runs on the kernel from start to end is counted into its code's Heat
        # (`buffers.counted`) by BufferPool.give_back itself: a pool of our own, with a give_back
        # around the base's, cost about 1.9k CPU instructions a frame.
        # A tiered engine's cold code runs plainly (Heat.plain_calls) below these; 0 means no limit.
        tiered = not cold_steps and (hot_gas or hot_calls)
        self._plain_calls = (hot_calls or _UNBOUNDED) if tiered else 0
        self._plain_gas = hot_gas or _UNBOUNDED

    def compile_stats(self) -> dict[str, float]:
        """Cumulative counts and seconds of the EVM compile layer (jitvm.jit.layer.LayerStats)."""
        return compile.compile_stats()

    def settle(self) -> None:
        """Give every code compiled in this process its OPTIMIZED tier now, and wait for it. With
        cold_steps, the codes this engine has run while cold are compiled first: the steady state
        of a code run again and again is compiled code, except for a code without a JUMPDEST, which
        goes to the baseline state as _unusual_frame sends it (one whose first frame ran before the
        kernel was loaded stayed cold: compiled here, a frame of push1s_0xffff's single STOP cost
        2.6% more than the baseline's in a process that ran only `jit`)."""
        if self.cold_steps:
            for (code, fork), heat in list(self._heat.items()):
                if heat.state in ("cold", "uncached"):
                    if self.leaves_straight_code and not jumpdest_positions(code).size:
                        _leave_cold(heat, "baseline")
                    else:
                        self._compile_now(code, fork, heat)
        compile.settle()
        compile.upgrade_all()
        compile.settle()
        # A QUICK-tier code's frames ask the layer for the upgrade only every QUICK_REFRESH frames:
        # forget what they ran, so that the next frame after settling runs the OPTIMIZED tier (a
        # benchmark timed fewer frames than that on the QUICK code when the object cache was cold).
        for heat in self._heat.values():
            if heat.state == "compiled":
                heat.code = lambda: None

    def heat(self, code: bytes, fork: str) -> Heat:
        heat = self._heat.get((code, fork))
        if heat is None:
            if len(self._heat) >= HEAT_ENTRIES:
                self._heat.clear()
                self._latest.clear()
                self._on_baseline.clear()
            # (Heat() and two stores: with keyword arguments its __init__ cost about 1.5k CPU
            # instructions more, once per code new to the engine: docs/tiering.md, session 16)
            heat = self._heat[(code, fork)] = Heat()
            heat.fork, heat.plain_calls = fork, self._plain_calls
        self._latest[code] = heat
        return heat

    def _compiled(self, code: bytes, fork: str, heat: Heat):
        """The compiled code to run this frame on, or None for the baseline."""
        if heat.state == "compiled":
            # The compiled code of the last frame, while the layer still holds it (a weak reference:
            # the layer's memory bound decides what stays linked); asked of the layer again every
            # heat.refresh frames: QUICK_REFRESH on the QUICK tier (to pick up the upgrade), else
            # REFRESH (to keep it recently used).
            found = heat.code()
            if found is None or not heat.calls % heat.refresh:
                found = compiled_code(code, fork)
                if found is not None and found is not heat.code():
                    _remember(heat, found)
            return found
        if heat.state == "baseline" or (heat.state == "queued" and not self.background):
            return None
        if heat.state == "queued":
            heat.asked = _layer.finished_jobs  # (read first: a job that finishes from here on asks again)
            found = compile.loaded(code, fork)
            if found is None:
                if compile.LAYER.declined((code, fork)):  # its frames run on the kernel from now on
                    _leave_cold(heat, "baseline")
                return None
            _leave_cold(heat, "compiled")
            return found
        if heat.steps < self.cold_steps:
            return self._warming(code, fork, heat)
        tiered = self.hot_gas or self.hot_calls
        if tiered and not (heat.gas >= self.hot_gas > 0 or heat.calls > self.hot_calls > 0):
            return None
        if self.background:
            _leave_cold(heat, "queued", reset=False)
            heat.asked = _layer.finished_jobs
            compile.compile_in_background(code, fork)
            return None
        return self._compile_now(code, fork, heat)

    def _warming(self, code: bytes, fork: str, heat: Heat):
        """A cold code's compiled form if it has run load_steps instructions and the object cache
        has it (asked once), else None (it goes on on the kernel)."""
        if heat.state == "cold" and heat.steps >= self.load_steps:
            found = compile.cached_code(code, fork)
            if found is not None:
                _leave_cold(heat, "compiled")
                return found
            heat.state, heat.plain_steps = "uncached", self.cold_steps
        return None

    @staticmethod
    def _compile_now(code: bytes, fork: str, heat: Heat):
        compiled = compiled_code(code, fork)
        _leave_cold(heat, "compiled" if compiled is not None else "baseline")
        return compiled

    def _run_native(self, message, ctx):
        """BaselineEngine._run_native (run_frame's path: call_code, the Python driver's frames) with
        the frame decided in line: a code on the baseline's path for good, and a cold frame that
        cannot make its code hot (counted when its buffers go back), go to BaselineEngine._execute
        with no Python call between (a JitEngine._execute between cost such a frame about 1k CPU
        instructions over the baseline's: zeros_0xffff and a STOP contract in
        bench/steady_frame_costs.py; through _start, about 3k more: session 16, docs/tiering.md);
        a frame _start runs to its end returns its FrameResult with no generator around it."""
        frame, buffers = self._set_up(message, ctx)
        try:
            if ctx.tracer is None:
                if self._on_baseline.get(message.code) is ctx.fork:
                    return (yield from _baseline_execute(self, frame, buffers))
                heat = self._latest.get(message.code)
                # _stays_cold(self, heat, message.gas, ctx.fork.name) in line: a Python call less for
                # every cold frame (tests/evm/test_tiering_cold_counts.py checks they decide alike)
                if heat is not None and heat.fork == ctx.fork.name:
                    if heat.steps < heat.plain_steps:  # a cold code on an engine with cold_steps
                        cold = message.gas < self.cold_steps - heat.steps
                    else:
                        cold = heat.calls < heat.plain_calls and heat.gas < self._plain_gas
                    if cold:
                        buffers.counted = heat
                        return (yield from _baseline_execute(self, frame, buffers))
                started = self._start(frame, buffers)
                if started is None:
                    return (yield from _baseline_execute(self, frame, buffers))
                if started.__class__ is FrameResult:
                    return started
                return (yield from started)
            return (yield from self._execute_traced(frame, buffers))
        finally:
            self._give_back(frame, buffers)

    def _start(self, frame, buffers):
        """Run the frame as far as it goes without a generator (BaselineEngine.start_frame calls
        this): its FrameResult if it ended, the generator that runs the rest, or None if the frame
        takes the baseline's path (which the caller runs: start_frame in line). The usual frames
        are decided first, on the code's heat alone: a cold code's frame that cannot make it hot
        runs exactly the baseline's path (counted when it gives its buffers back), a cold frame
        that could runs on the kernel with a step budget, a compiled code's frame runs its
        compiled code, and a declined code's frame runs the baseline's path with nothing counted (a
        code compiling in the background too, until a background job has finished)."""
        message = frame.message
        heat = self._latest.get(message.code)
        if heat is None or heat.fork != frame.ctx.fork.name:
            return self._unusual_frame(frame, buffers)
        if heat.steps < heat.plain_steps:  # a cold code on an engine with cold_steps
            if message.gas >= self.cold_steps - heat.steps:  # this frame alone could make it hot
                return self._cold_frame(frame, buffers, heat)
        elif heat.calls >= heat.plain_calls or heat.gas >= self._plain_gas:  # (not a tiered engine's cold code)
            if heat.state == "compiled":  # the steady state of a hot code: as little Python as can be
                calls = heat.calls = heat.calls + 1
                compiled = heat.code()
                if (compiled is None or not calls % heat.refresh or calls > heat.upgrade_calls
                        or heat.gas >= heat.upgrade_gas or calls >= heat.review_at):
                    compiled = self._compiled_for(message.code, heat, buffers)
                if compiled is not None:  # (self._run_compiled, in line: a Python call less a frame)
                    ended = self._compiled_to_host(frame, buffers, heat, False)
                    return self._compiled_rest(frame, buffers, compiled, heat) if ended is None else ended
            elif heat.state == "baseline":  # (declined: the baseline's frame, as is, from now on without _start)
                self._on_baseline[message.code] = frame.ctx.fork
            elif heat.state != "queued" or heat.asked != _layer.finished_jobs:
                return self._unusual_frame(frame, buffers)
            # (else compiling in the background, and no background job has finished since the layer
            # was last asked for it: the baseline's frame)
            return None  # the baseline's path (BaselineEngine.start_frame runs it in line, _run_native the baseline's _execute)
        # A cold frame that cannot make its code hot (most frames of most codes): the baseline's
        # path, counted where the buffers go back (start_frame's in-line give-back, or
        # BufferPool.give_back): no _counted_frame, _children or message_arrays call (session 16).
        buffers.counted = heat
        return None

    def _compiled_for(self, code: bytes, heat: Heat, buffers):
        """The compiled code a compiled code's frame runs when its heat says to ask (see _start),
        or None if the frame runs on the kernel: a frame of its review's sample (counted into
        heat.sample), of a code the review declined, or of a code the layer no longer holds."""
        if heat.calls >= heat.review_at and _review(heat, MIN_STEPS_PER_FRAME if self.leaves_straight_code else 0):
            buffers.counted = heat.sample
            return None
        compiled = self._compiled(code, heat.fork, heat)
        if compiled is not None:
            compiled = _upgrade_if_hot(code, heat.fork, heat, compiled)
        return compiled

    def _unusual_frame(self, frame, buffers):
        """_start for the frames its first checks do not decide: a code new to this engine (or to
        the fork), and the frames at which a code changes state."""
        message = frame.message
        code = message.code
        if not code:
            return None
        fork = frame.ctx.fork.name
        heat = self._latest.get(code)
        if heat is None or heat.fork != fork:
            heat = self.heat(code, fork)
        if heat.state == "compiled" or heat.state == "baseline":
            return self._start(frame, buffers)  # its heat is found by the code now
        if (heat.state == "cold" and self.leaves_straight_code and not jumpdest_positions(code).size
                and (_kernel_loaded or _kernel_now_loaded())):
            _leave_cold(heat, "baseline")  # its frames take the baseline's path from now on
            return None
        if heat.calls < heat.plain_calls and heat.gas < self._plain_gas:  # a tiered engine's cold code
            return self._counted_frame(frame, buffers, heat)
        compiled = None
        if heat.state == "cold" and heat.steps < self.load_steps:
            if _kernel_loaded or _kernel_now_loaded() or (compiled := self._cached_before_kernel(code, fork, heat)) is None:
                heat.plain_steps = self.load_steps  # the kernel runs this code's next short frames
                if message.gas < self.cold_steps - heat.steps:  # this frame alone cannot make the code hot
                    return self._counted_frame(frame, buffers, heat)
                return self._cold_frame(frame, buffers, heat)
        heat.calls += 1
        compiled = compiled or self._compiled(message.code, fork, heat)
        if compiled is not None:
            if heat.code() is not compiled:
                _remember(heat, compiled)
            compiled = _upgrade_if_hot(message.code, fork, heat, compiled)
            return self._run_compiled(frame, buffers, compiled, heat)
        if heat.state in ("cold", "uncached") and heat.steps < self.cold_steps:
            heat.calls -= 1  # counted when the frame ends
            if message.gas < self.cold_steps - heat.steps:
                return self._counted_frame(frame, buffers, heat)
            return self._cold_frame(frame, buffers, heat)
        if heat.state in ("baseline", "queued"):  # nothing left to count
            return None
        heat.calls -= 1  # a tiered engine counts a cold code's frames and gas when the frame ends
        return self._counted_frame(frame, buffers, heat)

    @staticmethod
    def _cached_before_kernel(code: bytes, fork: str, heat: Heat):
        """A cold code's compiled form while this process has not loaded the baseline kernel:
        importing Numba and loading the kernel take most of a second, which a short process (a
        `jitvm run` of a small contract) need not pay. From the object cache, else compiled if the
        code is small and the process has compiled for less than PRE_KERNEL_COMPILE_SECONDS; None
        otherwise (the kernel is loaded and runs it)."""
        found = compile.cached_code(code, fork)
        if (found is None and len(code) <= PRE_KERNEL_CODE_SIZE
                and compile.compile_stats()["compile_seconds"] < PRE_KERNEL_COMPILE_SECONDS):
            found = compiled_code(code, fork)
        if found is not None:
            _leave_cold(heat, "compiled")
        return found

    @staticmethod
    def _counted_frame(frame, buffers, heat: Heat) -> None:
        """A cold code's frame that cannot make it hot: None, the baseline's path (start_frame's
        in-line one, or _run_native's baseline _execute), counted into its heat where its buffers go back
        (`buffers.counted`: start_frame's in-line give-back, or BufferPool.give_back). Until session
        16 it ran the kernel here and counted the frame itself, which cost a frame more calls."""
        buffers.counted = heat
        return None

    def _cold_frame(self, frame, buffers, heat: Heat):
        """A cold code's frame that could make it hot (an engine with cold_steps): the baseline's
        path with a step budget, the instructions left until the code's next decision (load_steps,
        then cold_steps). Its FrameResult if it ended within the budget, else the generator that
        runs the rest (_run_cold decides once the budget runs out)."""
        message, registers = frame.message, frame.registers
        budget = heat.plain_steps - heat.steps
        if budget <= 0:  # (not left by _unusual_frame: the code's next decision is due)
            return self._run_cold(frame, buffers, heat, 0)
        registers[STEPS] = budget
        children = self._children(frame) if NATIVE_CHILDREN else None
        arrays = message_arrays(buffers, message)
        ended = run_to_host(frame, buffers, arrays[0], arrays[1], children)
        if ended is None:  # a host instruction: the rest in a generator
            return self._cold_rest(frame, buffers, heat, budget)
        if ended is STEPS_SPENT:
            return self._run_cold(frame, buffers, heat, budget)
        heat.steps += budget - registers[STEPS]
        heat.calls += 1
        return ended

    def _cold_rest(self, frame, buffers, heat: Heat, budget: int):
        """_cold_frame's generator, from the host instruction its kernel stopped at."""
        registers = frame.registers
        result = yield from BaselineEngine._execute(self, frame, buffers, True)
        if result is not None:
            heat.steps += budget - registers[STEPS]
            heat.calls += 1
            return result
        return (yield from self._run_cold(frame, buffers, heat, budget))  # the budget ran out mid-frame

    def _run_cold(self, frame, buffers, heat: Heat, spent: int):
        """A cold code's frame after the kernel ran `spent` instructions of it. Once the code has
        run load_steps instructions in all, the object cache is asked for it; after cold_steps it
        is compiled. Found or compiled, the frame goes on in compiled code from here, at the next
        block start (the entry function hands a pc inside a block back to the kernel one
        instruction at a time); until then, the kernel runs it on."""
        registers = frame.registers
        code, fork = frame.message.code, frame.ctx.fork.name
        while True:
            heat.steps += spent
            if heat.steps < self.cold_steps:
                compiled = self._warming(code, fork, heat)
            else:
                compiled = self._compile_now(code, fork, heat)
            if compiled is not None:
                if heat.code() is not compiled:
                    _remember(heat, compiled)
                ended = self._run_compiled(frame, buffers, compiled, heat)
                return ended if ended.__class__ is FrameResult else (yield from ended)
            if heat.state != "uncached":  # declined (too large): the kernel runs the rest
                registers[STEPS] = UNLIMITED_STEPS
                return (yield from BaselineEngine._execute(self, frame, buffers))
            spent = registers[STEPS] = self.cold_steps - heat.steps
            result = yield from BaselineEngine._execute(self, frame, buffers)
            if result is not None:
                heat.steps += spent - int(registers[STEPS])
                return result

    def _run_compiled(self, frame, buffers, compiled, heat: Heat):
        """Run the frame on compiled code, the kernel serving what it hands back, as far as it goes
        without a generator: its FrameResult, or the generator that runs the rest from the first
        host instruction the kernel stops at (_compiled_rest). Most compiled frames end in their
        first entry, or after hand-overs that the kernel serves alone (a LOG, a first SLOAD, a
        native CALL child), and so pay for no generator, as the baseline's frames do not
        (run_to_host): a generator's creation, first send and StopIteration cost a short frame
        more than its compiled code saves. The frame's gas counts towards the code's upgrade
        (heat.gas). The heat remembers `compiled` already (_remember): its entry address is the
        one entered, and the local keeps its machine code alive while the frame runs."""
        ended = self._compiled_to_host(frame, buffers, heat, False)
        return self._compiled_rest(frame, buffers, compiled, heat) if ended is None else ended

    def _compiled_to_host(self, frame, buffers, heat: Heat, kernel_first: bool):
        """Alternate compiled code and the kernel (run_to_host, which serves memory growth and a
        slot's first SLOAD or SSTORE) until the frame ends (its FrameResult, its gas counted into
        heat.gas) or the kernel stops at a host instruction (None; the frame is loaded). With
        `kernel_first`, the kernel runs its registers[STEPS] instructions before compiled code."""
        enter = _enter or _entry()
        message = frame.message
        code, code_address = code_rows_at(message.code)
        return_data = frame.return_data  # not empty if the frame changes loops after a call
        if return_data:
            data = data_bytes(message.data, return_data)
            data_address = data.ctypes.data
        else:
            data, data_address = calldata_at(message.data)
        memory, words_address, control_address = frame.memory, buffers.words_address, buffers.control_address
        children = _UNSET  # run_to_host's, looked up at the frame's first hand-over
        while True:
            if kernel_first:
                kernel_first = False
            else:
                if enter(heat.address, code_address, data_address, words_address, memory.address, control_address,
                         len(memory.buffer), len(data)) == DONE:
                    frame.load()
                    ended = frame_result(frame)
                    heat.gas += message.gas - ended.gas_left
                    return ended
                heat.handovers += 1
            if children is _UNSET:
                children = self._children(frame) if NATIVE_CHILDREN else None
            ended = run_to_host(frame, buffers, code, data, children)
            if ended is STEPS_SPENT:  # back to compiled code, at a block start
                if frame.return_data is not return_data:  # a native child's output
                    return_data = frame.return_data
                    data = data_bytes(message.data, return_data)
                    data_address = data.ctypes.data
                continue
            if ended is not None:
                heat.gas += message.gas - ended.gas_left
            return ended

    def _compiled_rest(self, frame, buffers, compiled, heat: Heat):
        """_run_compiled's generator, from the host instruction the kernel stopped at: serves it
        (yielding a child Message to the driver), then goes on in the kernel if the instructions
        handed to it are not all run, else in compiled code."""
        registers = frame.registers
        handlers = host_handlers(frame.ctx.fork.name)
        while True:
            ended = yield from serve_host(frame, handlers)
            if ended is not None:
                heat.gas += frame.message.gas - ended.gas_left
                return ended
            frame.store()
            ended = self._compiled_to_host(frame, buffers, heat,
                                           registers[STEPS] != 0 or registers[PENDING] != PENDING_NONE)
            if ended is not None:
                return ended


_UNSET = object()
# BaselineEngine._execute as a global: a class attribute's lookup is not specialized in CPython 3.11
# (about 150 CPU instructions a frame more than a global's).
_baseline_execute = BaselineEngine._execute


def _stays_cold(engine: JitEngine, heat: Heat, gas: int, fork_name: str) -> bool:
    """Whether a frame of the code whose heat this is, given `gas`, is a cold frame that cannot make
    its code hot: _start's decision for such frames (its last line), which run_frame's path
    (_run_native, in line) makes before _start to run the baseline's generator as is."""
    if heat.fork != fork_name:
        return False
    if heat.steps < heat.plain_steps:  # a cold code on an engine with cold_steps
        return gas < engine.cold_steps - heat.steps
    return heat.calls < heat.plain_calls and heat.gas < engine._plain_gas


def _leave_cold(heat: Heat, state: str, reset: bool = True) -> None:
    """Move a code out of its cold states: its frames no longer run plainly; compiled (or declined)
    it counts gas and frames from zero again."""
    heat.state, heat.plain_steps, heat.plain_calls = state, 0, 0
    if reset:
        heat.gas = heat.calls = heat.handovers = 0
        heat.review_at, heat.sample = REVIEW_FRAMES, None


def _review(heat: Heat, min_steps_per_frame: int = 0) -> bool:
    """Whether a compiled code's frame at or past its review (heat.review_at) runs on the kernel
    instead. A code whose compiled frames never handed an instruction to the kernel stays
    compiled, unless `min_steps_per_frame` is set and its frames averaged less than
    SHORT_FRAME_GAS gas; any other's next SAMPLE_FRAMES frames run on the kernel, counted into
    heat.sample; then it stays compiled if those frames ran MIN_STEPS_PER_HANDOVER instructions or
    more per hand-over of its compiled frames and `min_steps_per_frame` or more each, and else goes
    to the baseline state for good."""
    sample = heat.sample
    if sample is None:
        if not heat.handovers and not (min_steps_per_frame and heat.gas < SHORT_FRAME_GAS * max(1, heat.calls - 1)):
            heat.review_at = _UNBOUNDED
            return False
        heat.handovers_per_frame = heat.handovers / max(1, heat.calls - 1)
        heat.sample = Heat()
        return True
    if sample.calls < SAMPLE_FRAMES:
        return True
    declined = (sample.steps < MIN_STEPS_PER_HANDOVER * heat.handovers_per_frame * sample.calls
                or sample.steps < min_steps_per_frame * sample.calls)
    if declined:
        _leave_cold(heat, "baseline")
        heat.sample = sample  # what decided it (kept for tests and measurements)
    heat.review_at = _UNBOUNDED
    return declined


def _remember(heat: Heat, compiled) -> None:
    """Keep (weakly) the compiled code a frame runs and its entry address, for the code's next
    frames, and when they ask the layer for it again: on the QUICK tier often (for the upgrade),
    and once the upgrade is due (UPGRADE_CALLS frames or UPGRADE_GAS gas from now)."""
    heat.code, heat.address = weakref.ref(compiled), entry_address(compiled.function)
    if compiled.tier == QUICK:
        heat.refresh, heat.upgrade_calls, heat.upgrade_gas = QUICK_REFRESH, UPGRADE_CALLS, UPGRADE_GAS
    else:
        heat.refresh, heat.upgrade_calls, heat.upgrade_gas = REFRESH, _UNBOUNDED, _UNBOUNDED


def _upgrade_if_hot(code: bytes, fork: str, heat: Heat, compiled):
    """Queue the OPTIMIZED tier of a code on its QUICK tier once its compiled frames have used
    UPGRADE_GAS gas or started UPGRADE_CALLS times (once: the layer picks the result up). Returns
    the compiled code the frame runs.

    Once queued, besides every QUICK_REFRESH frames, the layer is asked for the code again after
    every further UPGRADE_GAS gas if a background job has finished since: a code of few, long
    frames (snailtracer: 166M gas a frame) runs its OPTIMIZED tier from the frame after the compile
    ends, not 16 frames later (with an empty cache, `jitvm bench` timed its QUICK tier: 23 ms a
    call against 15.5 ms)."""
    if compiled.tier == QUICK and (heat.gas >= heat.upgrade_gas or heat.calls > heat.upgrade_calls):
        if heat.upgrade_calls != _UNBOUNDED:  # not queued yet (nothing is if the layer has the tier)
            compile.upgrade(code, fork)
            heat.asked = -1
        if heat.asked != _layer.finished_jobs:
            heat.asked = _layer.finished_jobs  # (read first: a job that finishes from here on asks again)
            found = compiled_code(code, fork)
            if found is not None and found is not compiled:
                _remember(heat, found)
                return found
        heat.upgrade_calls, heat.upgrade_gas = _UNBOUNDED, heat.gas + UPGRADE_GAS
    return compiled


_enter = None  # native_call.enter_evm(), once a frame has run compiled code


def _entry():
    global _enter
    _enter = enter_evm()
    return _enter


_kernel_loaded = False  # whether the baseline kernel is loaded (then a cold frame need not avoid it)


def _kernel_now_loaded() -> bool:
    """Whether the baseline kernel has been loaded, remembered once it has (asking its cache costs
    more than the rest of a cold frame's bookkeeping)."""
    global _kernel_loaded
    _kernel_loaded = kernel.cache_info().currsize > 0
    return _kernel_loaded
