"""A fuzzing campaign: seeds cut into batches, each batch generated, checked and (on a mismatch)
shrunk in one process — this one, or a Dask worker — and the batches' tallies added up.

Case `i` of a campaign started with `--seed S` has the seed S * 2**32 + i, so any case can be
generated again on any machine; a batch needs nothing but its seeds and the options.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace

SEED_STRIDE = 1 << 32
# The resident memory at which a local cluster's nanny replaces a fuzz worker by a fresh process
# (its batch runs again elsewhere). A fresh worker holds 200-400 MB; the JIT's linker keeps a few KB
# of every library it frees, and other tables grow a little: 10-30 MB per thousand programs, so
# gigabytes over a million without this.
WORKER_MEMORY_MB = float(os.environ.get("JITVM_FUZZ_WORKER_MB", 1500))


@dataclass(frozen=True)
class BatchSpec:
    target: str  # "evm" or "bpf"
    first_seed: int
    count: int
    engines: tuple[str, ...]
    peers: tuple[str, ...] = ()
    shrink: bool = True


@dataclass
class Found:
    """A mismatch: the case as generated and as shrunk, and what differed on the shrunk one."""

    seed: int
    original: object
    minimized: object
    mismatches: list
    original_pieces: int
    minimized_pieces: int


@dataclass
class BatchResult:
    first_seed: int = 0
    programs: int = 0
    statuses: Counter = field(default_factory=Counter)
    found: list[Found] = field(default_factory=list)
    seconds: float = 0.0
    peers_skipped: int = 0  # cases a peer could not be compared on (EVM: evm_check.pyrevm_comparable)


@contextlib.contextmanager
def fuzzing_settings():
    """Settings while a batch runs (restored after, for a process that does other things too):
    compiled fuzz programs are never written to the user's JIT cache (millions of one-off entries),
    BPF's 'jit' compiles a program whole at its first run (not as runs reach it), and BPF's 'auto'
    moves to the JIT a few units into a run, so both of its tiers are compared."""
    from jitvm.bpf import driver
    from jitvm.bpf.jit import compile as bpf_compile
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.jit import ObjectCache, layer

    saved = bpf_compile.CACHE, evm_compile.CACHE, driver.AUTO, bpf_compile.POLICY.eager
    bpf_compile.CACHE = evm_compile.CACHE = ObjectCache(enabled=False)
    driver.AUTO = driver.AutoPolicy(hot_runs=1 << 30, hot_units=5)
    bpf_compile.POLICY.eager = True  # a fuzz program runs once: 'jit' compiles all of it at once
    try:
        yield
    finally:
        bpf_compile.CACHE, evm_compile.CACHE, driver.AUTO, bpf_compile.POLICY.eager = saved
        # The batch's programs will not come again: unlink their code now (the compile tables would
        # otherwise keep up to their memory budget, 512 MB each, of it).
        layer.settle()  # compiles the 'auto' engines queued on the background thread
        evm_compile.LAYER.forget()
        bpf_compile.forget()  # the programs' code and the layer's regions


def run_batch(spec: BatchSpec) -> BatchResult:
    start = time.perf_counter()
    result = BatchResult(first_seed=spec.first_seed)
    seeds = range(spec.first_seed, spec.first_seed + spec.count)
    with fuzzing_settings():
        if spec.target == "evm":
            _evm_batch(seeds, spec, result)
        else:
            for seed in seeds:
                _one_bpf(seed, spec, result)
        result.programs += spec.count
    result.seconds = time.perf_counter() - start
    return result


def _evm_batch(seeds, spec: BatchSpec, result: BatchResult) -> None:
    """The reference runs every case first and notes the codes it enters; the JIT's share of them is
    compiled together (jit_batch), then every engine and peer runs every case."""
    from jitvm.fuzz import evm_check
    from jitvm.fuzz.evm_programs import generate_case

    recorder = evm_check.RecordingReference()
    cases = [generate_case(seed) for seed in seeds]
    expected = [evm_check.jitvm_outcome(case, recorder) for case in cases]
    if {"jit", "auto"} & set(spec.engines):
        from jitvm.fuzz.jit_batch import compile_together

        compile_together(recorder.codes, evm_check.FORK)
    for case, reference in zip(cases, expected):
        result.statuses[reference.get("status") or "rejected"] += 1
        if "pyrevm" in spec.peers and not evm_check.pyrevm_comparable(case):
            result.peers_skipped += 1
        mismatches = evm_check.check_case(case, spec.engines, spec.peers, expected=reference)
        if mismatches:
            result.found.append(_shrink(case.seed, case, mismatches, spec, evm_check.check_case))


def _one_bpf(seed: int, spec: BatchSpec, result: BatchResult) -> None:
    from jitvm.fuzz import bpf_check
    from jitvm.fuzz.bpf_programs import generate_case

    case = generate_case(seed)
    status, mismatches = bpf_check.run_case(case, spec.engines)
    result.statuses[f"{case.profile} {status}"] += 1
    if mismatches:
        def check(candidate, engines, _peers):
            return bpf_check.check_case(candidate, engines)

        result.found.append(_shrink(seed, case, mismatches, spec, check))


def _shrink(seed, case, mismatches, spec: BatchSpec, check) -> Found:
    """ddmin over the case's pieces, keeping a candidate while the same engine still disagrees on
    the same fields (a mutated BPF word is kept as it is: its position depends on every piece)."""
    from jitvm.fuzz.shrink import ddmin

    pieces = case.pieces()
    wanted = {(m.engine, m.fields) for m in mismatches}
    engines = tuple(sorted({m.engine for m in mismatches if m.engine in spec.engines}))
    peers = tuple(sorted({m.engine for m in mismatches if m.engine in spec.peers}))

    def still_fails(candidate_pieces) -> bool:
        candidate = case.with_pieces(candidate_pieces)
        try:
            found = check(candidate, engines, peers)
        except Exception:  # a candidate the tools cannot build (e.g. it no longer assembles)
            return False
        return any((m.engine, m.fields) in wanted for m in found)

    minimized = case
    if spec.shrink and getattr(case, "mutation", None) is None:
        minimized = case.with_pieces(ddmin(pieces, still_fails, max_checks=500))
    final = check(minimized, engines, peers) or mismatches
    return Found(seed, case, minimized, final, len(pieces), len(minimized.pieces()))


def batches(target: str, seed: int, count: int | None, batch_size: int, engines, peers, shrink: bool):
    """Batch specs in seed order; endless when count is None (a --time campaign)."""
    first = seed * SEED_STRIDE
    done = 0
    while count is None or done < count:
        size = batch_size if count is None else min(batch_size, count - done)
        yield BatchSpec(target, first + done, size, tuple(engines), tuple(peers), shrink)
        done += size


def remaining(specs, done: dict[int, int]):
    """The batch specs without the seeds a journal lists as done (`done`: a finished batch's first
    seed -> its programs; a batch finished in part, by an earlier run with a smaller --count, goes on
    from where it stopped)."""
    for spec in specs:
        while spec.count > 0 and done.get(spec.first_seed):
            finished = min(done[spec.first_seed], spec.count)
            spec = replace(spec, first_seed=spec.first_seed + finished, count=spec.count - finished)
        if spec.count > 0:
            yield spec


def merge(total: BatchResult, part: BatchResult) -> None:
    total.programs += part.programs
    total.statuses.update(part.statuses)
    total.found.extend(part.found)
    total.seconds += part.seconds
    total.peers_skipped += part.peers_skipped
