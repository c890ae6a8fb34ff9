"""A program's compiled code, grown region by region as runs reach it (lazy compilation).

A Solana program is large and a run touches little of it: an SPL Token transfer runs 109 of the
3,546 blocks of token.so, and compiling all of it took 0.8 s on the QUICK tier and 15 s on the
OPTIMIZED one. So nothing is compiled up front. `ProgramCode` holds, per program:

- the dispatch table the compiled code runs from (codegen.DISPATCHER): per block start, the
  function that holds the block (0: none yet), and per block the entry count the QUICK code keeps;
- `leaders`, where the interpreter stops: at a compiled block (to enter the JIT there) and at a
  block no run has reached yet (to note it, once per program: the stop clears it);
- `pending`, the blocks runs have reached and nothing holds yet.

A run (jitvm.bpf.driver.NativeRun.run_tiered) enters the compiled code where it can and the
interpreter elsewhere; both work on the same arrays, so they hand over at any block start, exactly.
The blocks reached are compiled as one QUICK region (one module) at the start of the next run, or
during a run once the interpreter has spent `CompilePolicy.window` units in it (a long first run,
a hot loop). So code that runs once is never compiled, and what runs again is compiled once.

OPTIMIZED tier: only hot blocks, in the background. After `AutoPolicy.upgrade_runs` runs or
`upgrade_instructions` instructions on compiled code, the QUICK code's counts name the blocks that
ran most; the hottest, at most `hot_instructions` instructions (which keeps a compile around 0.1 s),
are compiled as one OPTIMIZED region on the layer's background thread, and installed: the table
points at the new functions, and the blocks' counts are set to codegen.MOVED, at which QUICK code
that jumps there leaves for the dispatcher (and so for the OPTIMIZED code). Each further upgrade
waits for 16 times as many runs as the one before, and only happens while the QUICK code still
runs a share of the instructions.

Compiled code is kept as long as its ProgramCode (the registry in jitvm.bpf.jit.compile is bounded
by memory): an upgraded block's QUICK code may still be running on another thread.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from jitvm.bpf.jit import codegen
from jitvm.jit.layer import OPTIMIZED, QUICK


@dataclass
class CompilePolicy:
    """When blocks are compiled (see the module doc)."""

    eager: bool = os.environ.get("JITVM_BPF_JIT_EAGER", "") == "1"  # every block at the first run
    window: int = 20_000  # interpreter units in one run after which the blocks it reached are compiled
    hot_instructions: int = 128  # at most this many instructions per OPTIMIZED region (about 0.1 s)
    hot_entries: int = 16  # a block entered fewer times since the last upgrade is not hot
    hot_share: float = 0.001  # nor is one with less than this share of the QUICK code's work
    hand_over: int = 8  # what entering a block from code in another function costs, in instructions
    quick_share: float = 0.10  # upgrade again only while QUICK code runs at least this share of the work


POLICY = CompilePolicy()
UPGRADE_BACKOFF = 16  # each further upgrade waits for this many times the runs of the one before


@dataclass(frozen=True)
class Region:
    """A compile subject: the blocks of `program` starting at `starts`, as one module."""

    program: object = field(repr=False, compare=False)
    digest: str  # the program's (ProgramCode.digest): what besides the blocks decides the code
    starts: tuple[int, ...]
    counting: bool  # QUICK regions count block entries; OPTIMIZED ones do not
    blocks_per_function: int | None = None


@dataclass
class ProgramStats:
    """One program's compiles (for `bench/bpf_compile_times.py` and the tests)."""

    quick_regions: int = 0
    quick_blocks: int = 0
    quick_seconds: float = 0.0  # generating and compiling QUICK regions (0 for those loaded from disk)
    quick_cpu_seconds: float = 0.0  # CPU time of the process meanwhile: compiling (or loading) and linking
    optimized_regions: int = 0
    optimized_blocks: int = 0
    optimized_seconds: float = 0.0  # the same for OPTIMIZED regions (on the background thread)
    optimized_cpu_seconds: float = 0.0  # CPU time of the background thread for them
    load_seconds: float = 0.0  # reading cache entries and linking


class ProgramCode:
    """A program's compiled regions and dispatch table (see the module doc). `enter(arrays)` runs
    the compiled code from state[PC]; `leaders` is for the interpreter."""

    def __init__(self, program, digest: str, layer, cache, policy: CompilePolicy | None = None,
                 blocks_per_function: int | None = None):
        from jitvm.bpf.jit.compile import dispatcher

        self.program = program
        self.digest = digest
        self.layer = layer
        self.cache = cache
        self.policy = policy or POLICY
        self.blocks_per_function = blocks_per_function
        self.analysis = codegen.program_analysis(program)
        size = len(program.decoded) + 1
        self.table = np.zeros(1 + 2 * size, dtype=np.int64)
        self.table[0] = size
        self.functions = self.table[1:1 + size]
        self.counts = self.table[1 + size:]
        self.leaders = self.analysis.leaders.astype(np.uint8)  # every block is unseen
        self.pending: set[int] = set(self.analysis.block_starts.tolist()) if self.policy.eager else set()
        self.held: list = []  # the linked regions (their code lives as long as this object)
        self.stats = ProgramStats()
        self.size = self.table.nbytes + self.leaders.nbytes  # what the registry's memory bound counts
        self.runs = self.instructions = 0  # since the last upgrade (towards the next)
        self.upgrade_after = 1  # times AutoPolicy's thresholds before the next upgrade
        self.upgrading = False  # an OPTIMIZED region is being compiled (the next upgrade waits for it)
        self._lock = threading.Lock()
        self._dispatch = dispatcher()
        self._address = self.table.ctypes.data

    # -- running -------------------------------------------------------------------------------------

    def enter(self, arrays) -> int:
        """Run the compiled code from state[PC] until it ends, calls, fails or leaves (layout.EXIT_*)."""
        return self._dispatch(*arrays.addresses, self._address)

    def holds(self, pc: int) -> bool:
        """Whether compiled code holds the block starting at `pc`."""
        return 0 <= pc < len(self.functions) and self.functions[pc] != 0

    def reached(self, pc: int) -> None:
        """The interpreter is about to run from `pc`: note a block start no run reached before."""
        if 0 <= pc < len(self.leaders) and self.leaders[pc] and self.functions[pc] == 0 and self.analysis.leaders[pc]:
            with self._lock:
                self.pending.add(pc)
                self.leaders[pc] = 0

    def finished_run(self, instructions: int) -> None:
        """Count a run towards the next upgrade, and queue it when due."""
        from jitvm.bpf.driver import AUTO

        self.runs += 1
        self.instructions += instructions
        if not self.upgrading and (self.runs > AUTO.upgrade_runs * self.upgrade_after
                or self.instructions >= AUTO.upgrade_instructions * self.upgrade_after):
            self.upgrade()

    # -- compiling -----------------------------------------------------------------------------------

    def compile_pending(self) -> None:
        """Compile the blocks runs have reached that no region holds yet, as one QUICK region."""
        if not self.pending:
            return
        with self._lock:
            starts, self.pending = tuple(sorted(self.pending)), set()
        starts = tuple(pc for pc in starts if self.functions[pc] == 0)
        if not starts:
            return
        region = Region(self.program, self.digest, starts, True, self.blocks_per_function)
        started = time.process_time()  # (a large region compiles on several threads)
        code = self.layer.get(region, self.cache)
        self._install(code, moved=False)
        stats = self.stats
        stats.quick_cpu_seconds += time.process_time() - started
        stats.quick_regions += 1
        stats.quick_blocks += len(starts)
        stats.quick_seconds += code.compile_seconds
        stats.load_seconds += code.load_seconds

    def quick_work(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The blocks that ran on QUICK code since the last upgrade: their starts, entries and sizes."""
        starts = np.flatnonzero((self.functions != 0) & (self.counts > 0))
        analysis = self.analysis
        following = np.append(analysis.block_starts, len(self.functions) - 1)[
            np.searchsorted(analysis.block_starts, starts) + 1]
        return starts, self.counts[starts], analysis.position[following] - analysis.position[starts]

    def hot_blocks(self) -> tuple[int, ...]:
        """The hottest blocks that run on QUICK code (see CompilePolicy), in program order. A block's
        work counts a hand-over per entry: a small block entered often, left on QUICK code between
        OPTIMIZED ones, would cost a trip through the dispatcher each time."""
        policy = self.policy
        starts, entries, sizes = self.quick_work()
        weights = entries * (sizes + policy.hand_over)
        least = max(1, policy.hot_share * int(weights.sum()))
        chosen, instructions = [], 0
        for index in np.argsort(-weights, kind="stable"):
            if entries[index] < policy.hot_entries or weights[index] < least:
                break
            if instructions + sizes[index] <= policy.hot_instructions:
                chosen.append(int(starts[index]))
                instructions += int(sizes[index])
        return tuple(sorted(chosen))

    def upgrade(self, wait: bool = False) -> None:
        """Compile an OPTIMIZED region of the hot blocks on the background thread (see the module
        doc); with `wait`, on this thread."""
        from jitvm.jit.layer import WORKER

        _, entries, sizes = self.quick_work()
        share = int((entries * sizes).sum()) / max(1, self.instructions)
        hot = self.hot_blocks()
        self.runs = self.instructions = 0
        self.upgrade_after *= UPGRADE_BACKOFF
        self.counts[self.counts > 0] = 0  # the next upgrade looks at what runs after this one
        if not hot or (self.stats.optimized_regions and share < self.policy.quick_share):
            return
        region = Region(self.program, self.digest, hot, False, self.blocks_per_function)
        self.upgrading = True

        def job() -> None:
            try:
                started = time.thread_time()
                compiled = self.layer.build(region, self.cache, OPTIMIZED)
                self.layer.install(region, compiled)
                code = compiled.value
                self._install(code, moved=True)
                self.stats.optimized_cpu_seconds += time.thread_time() - started
                self.stats.optimized_regions += 1
                self.stats.optimized_blocks += len(hot)
                self.stats.optimized_seconds += code.compile_seconds
                self.stats.load_seconds += code.load_seconds
            finally:
                self.upgrading = False

        if wait:
            job()
        else:
            WORKER.submit(("bpf-hot", self.digest, hot), job)

    def _install(self, code, moved: bool) -> None:
        """Point the table at a linked region's functions (then, for OPTIMIZED code, mark its blocks
        moved, so QUICK code that reaches them leaves for the dispatcher), and stop the interpreter
        at them."""
        self.held.append(code)
        self.size += code.size
        for address, starts in code.functions:
            self.functions[list(starts)] = address
            if moved:
                self.counts[list(starts)] = codegen.MOVED
            self.leaders[list(starts)] = 1

    @property
    def tier(self) -> str:
        """OPTIMIZED once some of the program runs on OPTIMIZED code, else QUICK."""
        return OPTIMIZED if self.stats.optimized_regions else QUICK
