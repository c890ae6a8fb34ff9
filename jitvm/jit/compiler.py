"""LLVM IR text in, host object code out: parse, verify, run the short pass list, emit.

Why a short, hand-picked pass list instead of -O2: generated code is big (thousands of basic blocks)
and the standard pipelines contain passes that are superlinear on it. Measured here, each pass below
is linear when a function holds about 100-200 blocks; loop passes are left out on purpose
(IndVarSimplify is quadratic on the i256 counters the EVM JIT produces).
"""

import threading

import llvmlite.binding as llvm

from .target import host_target

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

# One TargetMachine is shared and LLVM's TargetMachine is not thread-safe while emitting, so
# compilation is serialised. Each module gets its own LLVMContext, so nothing accumulates in the
# global context over a long run that compiles thousands of modules.
_compile_lock = threading.Lock()


def pipeline_description() -> str:
    """The pass list as text (part of the cache fingerprint: other passes make other code)."""
    return ",".join(name for name, _ in PASS_PIPELINE)


def _module_pass_manager() -> llvm.ModulePassManager:
    manager = llvm.create_new_module_pass_manager()
    for _, add_pass in PASS_PIPELINE:
        getattr(manager, add_pass)()  # function passes: the module manager runs them per function
    return manager


def optimize(module: llvm.ModuleRef) -> None:
    """Run PASS_PIPELINE over every function of `module`, in place."""
    target = host_target()
    tuning = llvm.create_pipeline_tuning_options()
    pass_builder = llvm.create_pass_builder(target.machine, tuning)
    _module_pass_manager().run(module, pass_builder)


def parse(ir, context=None) -> llvm.ModuleRef:
    """Parse IR text (or anything whose str() is IR, like an llvmlite.ir.Module) and verify it."""
    target = host_target()
    module = llvm.parse_assembly(str(ir), context)
    module.triple = target.triple
    module.data_layout = str(target.machine.target_data)
    module.verify()
    return module


def compile_module(ir, *, optimize_ir: bool = True) -> bytes:
    """Compile LLVM IR (text, llvmlite.ir.Module or a parsed ModuleRef) to a host object file.

    A parsed `llvm.ModuleRef` is optimised in place. The returned bytes are position-independent
    and can be cached on disk and loaded with `engine.load_objects`.
    """
    with _compile_lock:
        if isinstance(ir, llvm.ModuleRef):
            return _optimize_and_emit(ir, optimize_ir)
        context = llvm.create_context()
        module = parse(ir, context)
        try:
            return _optimize_and_emit(module, optimize_ir)
        finally:  # free the module before its context, now rather than whenever GC gets to them
            module.close()
            context.close()


def _optimize_and_emit(module: llvm.ModuleRef, optimize_ir: bool) -> bytes:
    if optimize_ir:
        optimize(module)
    return bytes(host_target().machine.emit_object(module))
