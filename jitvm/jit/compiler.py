"""LLVM IR text in, host object code out: parse, verify, run the short pass list, emit.

Why a short, hand-picked pass list instead of -O2: generated code is big (thousands of basic blocks)
and the standard pipelines contain passes that are superlinear on it. Measured here, each pass below
is linear when a function holds about 100-200 blocks; loop passes are left out on purpose
(IndVarSimplify is quadratic on the i256 counters the EVM JIT produces).
"""

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import llvmlite.binding as llvm

from . import unlocked
from .split import split_tiered
from .target import CODE_MODEL, CODEGEN_OPT_LEVEL, RELOCATION_MODEL, host_target

# The IR passes run on every function, in this order (llvmlite 0.50 new-pass-manager method names).
PASS_PIPELINE: tuple[tuple[str, str], ...] = (
    ("sroa", "add_sroa_pass"),
    ("instcombine", "add_instruction_combine_pass"),
    ("simplifycfg", "add_simplify_cfg_pass"),
    ("jump-threading", "add_jump_threading_pass"),
    ("sccp", "add_sccp_pass"),
    ("newgvn", "add_new_gvn_pass"),
    ("dse", "add_dead_store_elimination_pass"),
    ("adce", "add_aggressive_dce_pass"),
)

# What a module of a generator's `large_module_bytes` of IR text or more runs instead (the EVM's
# memory_grow_* contracts, 8 MB: thousands of memory accesses in straight-line code). InstCombine's
# known-bits queries on the chained memory-expansion arithmetic made the passes 4.1 s of their 11.6 s
# CPU, and the code ran faster without them: 0.937x the time per call with SROA alone, 1.056x with
# no passes (bench/pass_benefit.py). SROA keeps the registers (gas, msize, ...) out of memory.
LARGE_MODULE_PIPELINE: tuple[tuple[str, str], ...] = (("sroa", "add_sroa_pass"),)

# LLVM options the passes run with. Dead-store elimination is quadratic in the stores of one block:
# a 64 KB run of PUSH1s (one block of 33,000 stack stores) spent 2.1 s of its 2.5 s of passes in it;
# with at most 300 stores examined per block it takes 0.5 s (a block with more keeps its stores).
# Process-wide settings of the one LLVM in the process; they change what is optimised, never what
# code means.
PASS_OPTIONS: tuple[str, ...] = ("-dse-memoryssa-defs-per-block-limit=300",)

# The locking policy of every compile in jitvm (EVM, BPF, compiler-rt): LLVM's TargetMachine is not
# thread-safe while emitting, so each thread gets its own, per backend level (`target_machine`), and
# each module its own LLVMContext (nothing accumulates in the global context over a long run that
# compiles thousands of modules). Compiles on different threads therefore share nothing, and their
# long calls (parse, verify, passes, backend) run without llvmlite's process-wide lock
# (jitvm.jit.unlocked): a background optimizing compile does not delay a quick one, and the parts of a
# split module compile on separate cores. Linking into the one LLJIT is serialised by linker.Engine's lock.
_per_thread = threading.local()


def pipeline_description() -> str:
    """The pass list as text (part of the cache fingerprint: other passes make other code)."""
    return "|".join([",".join(name for name, _ in PASS_PIPELINE), " ".join(PASS_OPTIONS),
                     "large:" + ",".join(name for name, _ in LARGE_MODULE_PIPELINE)])


def pipeline_for(ir_bytes: int, large_module_bytes: int | None) -> tuple[tuple[str, str], ...]:
    """The pass list for a module of `ir_bytes` of IR text: LARGE_MODULE_PIPELINE from
    `large_module_bytes` on (None: never), else PASS_PIPELINE."""
    if large_module_bytes is not None and ir_bytes >= large_module_bytes:
        return LARGE_MODULE_PIPELINE
    return PASS_PIPELINE


@functools.cache
def _set_pass_options() -> None:
    for option in PASS_OPTIONS:
        llvm.set_option("jitvm", option)


def _module_pass_manager(pipeline: tuple[tuple[str, str], ...] | None = None) -> llvm.ModulePassManager:
    manager = llvm.create_new_module_pass_manager()
    for _, add_pass in PASS_PIPELINE if pipeline is None else pipeline:
        getattr(manager, add_pass)()  # function passes: the module manager runs them per function
    return manager


def target_machine(opt_level: int = CODEGEN_OPT_LEVEL) -> llvm.TargetMachine:
    """This thread's TargetMachine for the host at backend level `opt_level` (created on first use)."""
    machines = getattr(_per_thread, "machines", None)
    if machines is None:
        machines = _per_thread.machines = {}
    machine = machines.get(opt_level)
    if machine is None:
        host = host_target()
        machine = machines[opt_level] = llvm.Target.from_triple(host.triple).create_target_machine(
            cpu=host.cpu, features=host.features, opt=opt_level, reloc=RELOCATION_MODEL, codemodel=CODE_MODEL)
    return machine


def optimize(module: llvm.ModuleRef, machine: llvm.TargetMachine | None = None,
             pipeline: tuple[tuple[str, str], ...] | None = None, own_context: bool = False) -> None:
    """Run `pipeline` (default PASS_PIPELINE) over every function of `module`, in place;
    `own_context`: the module's context is this compile's alone (no llvmlite lock needed)."""
    _set_pass_options()
    tuning = llvm.create_pipeline_tuning_options()
    pass_builder = llvm.create_pass_builder(machine or target_machine(), tuning)
    if own_context:
        unlocked.run_passes(_module_pass_manager(pipeline), module, pass_builder)
    else:
        _module_pass_manager(pipeline).run(module, pass_builder)


def parse(ir, context=None) -> llvm.ModuleRef:
    """Parse IR text (or anything whose str() is IR, like an llvmlite.ir.Module) and verify it;
    into `context`, a context of this compile's own, without llvmlite's lock (jitvm.jit.unlocked),
    else into the global one."""
    target = host_target()
    if context is None:
        module = llvm.parse_assembly(str(ir))
    else:
        module = unlocked.parse_assembly(str(ir), context)
    module.triple = target.triple
    module.data_layout = str(target.machine.target_data)
    if context is None:
        module.verify()
    else:
        unlocked.verify(module)
    return module


def compile_module(ir, *, optimize_ir: bool = True, opt_level: int = CODEGEN_OPT_LEVEL,
                   pipeline: tuple[tuple[str, str], ...] | None = None) -> bytes:
    """Compile LLVM IR (text, llvmlite.ir.Module or a parsed ModuleRef) to a host object file, with
    the backend at `opt_level` (0 is about twice as fast to compile as 1 or 2, for slower code).

    A parsed `llvm.ModuleRef` is optimised in place (it must not be used by another thread). The
    returned bytes are position-independent and can be cached on disk and loaded with
    `engine.load_objects`. `pipeline` replaces PASS_PIPELINE (see pipeline_for).
    """
    machine = target_machine(opt_level)
    if isinstance(ir, llvm.ModuleRef):
        return _optimize_and_emit(ir, optimize_ir, machine, pipeline)
    context = llvm.create_context()
    module = parse(ir, context)
    try:
        return _optimize_and_emit(module, optimize_ir, machine, pipeline, own_context=True)
    finally:  # free the module before its context, now rather than whenever GC gets to them
        module.close()
        context.close()


def compile_threads() -> int:
    """How many threads compile one large module (JITVM_JIT_COMPILE_THREADS, else this process's
    cores, at most 4; 1 compiles every module whole)."""
    chosen = os.environ.get("JITVM_JIT_COMPILE_THREADS", "").strip()
    if chosen:
        return max(1, int(chosen))
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


_helpers: ThreadPoolExecutor | None = None
_helpers_lock = threading.Lock()


def _helper_pool(workers: int) -> ThreadPoolExecutor:
    global _helpers
    with _helpers_lock:
        if _helpers is None or _helpers._max_workers < workers:
            _helpers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jitvm-jit-compile")
        return _helpers


def _forget_pool_in_child() -> None:  # a forked child has none of the parent's threads
    global _helpers, _helpers_lock
    _helpers, _helpers_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


class MixedTierIr(str):
    """IR text some of whose functions (`quick_functions`) are to be compiled as the quick tier
    compiles (no IR passes, backend level `quick_level`) and the rest as asked: a generator's
    optimized tier that optimizes only its hot functions (jitvm.evm.jit.compile)."""

    quick_functions: frozenset[str] = frozenset()
    quick_level: int = 0

    def __new__(cls, text: str, quick_functions, quick_level: int = 0):
        made = super().__new__(cls, text)
        made.quick_functions, made.quick_level = frozenset(quick_functions), quick_level
        return made


class LargeModuleIr(str):
    """IR text to compile with LARGE_MODULE_PIPELINE whatever its size: a large module that its
    generator wrote in a smaller form (the EVM's compact memory accesses) is still one whose
    passes cost more than they buy."""


def compile_objects(ir, *, optimize_ir: bool = True, opt_level: int = CODEGEN_OPT_LEVEL,
                    threads: int | None = None, large_module_bytes: int | None = None) -> list[bytes]:
    """As compile_module, but a large module's IR text is split (jitvm.jit.split) into one module per
    thread, compiled at once: the object files to link together (one for a small module). The pass
    list is pipeline_for(the whole text's size, large_module_bytes). A MixedTierIr's quick functions
    go to a module of their own, compiled at its quick settings alongside the others."""
    if not isinstance(ir, str):
        return [compile_module(ir, optimize_ir=optimize_ir, opt_level=opt_level)]
    pipeline = LARGE_MODULE_PIPELINE if isinstance(ir, LargeModuleIr) else pipeline_for(len(ir), large_module_bytes)
    quick = getattr(ir, "quick_functions", frozenset())
    parts = split_tiered(str(ir), compile_threads() if threads is None else threads, quick)
    settings = [dict(optimize_ir=False, opt_level=ir.quick_level) if is_quick else
                dict(optimize_ir=optimize_ir, opt_level=opt_level, pipeline=pipeline) for _, is_quick in parts]
    if len(parts) == 1:
        return [compile_module(parts[0][0], **settings[0])]
    others = [_helper_pool(len(parts) - 1).submit(compile_module, text, **options)
              for (text, _), options in zip(parts[1:], settings[1:])]
    first = compile_module(parts[0][0], **settings[0])  # on this thread meanwhile
    return [first, *(future.result() for future in others)]


def _optimize_and_emit(module: llvm.ModuleRef, optimize_ir: bool, machine: llvm.TargetMachine,
                       pipeline: tuple[tuple[str, str], ...] | None = None, own_context: bool = False) -> bytes:
    if optimize_ir:  # the passes see the target as at CODEGEN_OPT_LEVEL, whatever the backend's level
        optimize(module, pipeline=pipeline, own_context=own_context)
    if own_context:
        return unlocked.emit_object(machine, module)
    return bytes(machine.emit_object(module))
