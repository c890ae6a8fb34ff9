"""Compiling the EVM codes of a whole fuzz batch together, a group of codes per LLVM module.

Every fuzz program brings new contract codes, so the JIT compiles nearly every code it runs. One
module per code costs a fixed ~7 ms of backend set-up and ~2 ms of linking before any of its own
instructions (measured: a one-instruction code 8.3 ms alone, 0.8 ms as one of 40 in a module), which
was most of a fuzz program's time. So a batch first runs every program on the reference, noting the
codes whose frames start, then compiles those codes here in groups, exactly as the JIT's QUICK tier
would (the same generated IR, backend level and no IR passes; only the entry function is renamed
per code), links each group as one library, and installs every code in the EVM compile layer's
table. The engines then find them there, as if they had compiled them themselves. A code the
reference never entered (an engine that wrongly calls it) is still compiled by the engine itself.

Every module of the EVM JIT carries the same small runtime functions (runtime_ir: the variable
shifts and the storage cache lookup, i256 code that is slow to select). Compiled once per code they
were ~1 ms of each code's ~8 ms: a group carries them once. The group's first code defines them,
the others declare them (their text is replaced only where it is exactly the runtime's; otherwise a
code keeps its own copy, which the linker renames), and after linking they are internal again, as
in a module of one code. The instructions of every function are the QUICK tier's.

Groups stay moderate: linking modules into one grows superlinearly (40 codes of ~300 bytes: 15 ms a
code in groups of 10, 21 ms in one group of 125).
"""

from __future__ import annotations

import llvmlite.binding as llvm

import re

from jitvm.evm.jit import compile as evm_compile
from jitvm.evm.jit import runtime_ir
from jitvm.evm.jit.entry import ENTRY, WORK_COUNTERS
from jitvm.jit.compiler import target_machine
from jitvm.jit.layer import QUICK, RUNS_IR_PASSES, Compiled, generated
from jitvm.jit.target import host_target

GROUP_SIZE = 24
# The runtime functions every EVM JIT module defines (internal), as the group's first code defines
# them (external, so the others' declarations link to them) and as the others declare them.
_RUNTIME_TEXTS = runtime_ir.FUNCTIONS
_RUNTIME_NAMES = tuple(name for text in _RUNTIME_TEXTS for name in re.findall(r"^define internal \S+ @(\w+)\(", text, re.M))
_DEFINED = tuple(text.replace("define internal ", "define ") for text in _RUNTIME_TEXTS)
_DECLARED = tuple("\n".join(re.sub(r"^define internal (\S+ @\w+\([^)]*\)).*$", r"declare \1", line)
                            for line in text.splitlines() if line.startswith("define internal ")) + "\n"
                  for text in _RUNTIME_TEXTS)


def compile_together(codes, fork: str, group_size: int = GROUP_SIZE) -> int:
    """Compile and install every code of `codes` that the EVM JIT would compile and does not hold
    yet (a code too large for it is left to the engine, which declines it). Returns how many."""
    layer = evm_compile.LAYER
    generator = layer.generator
    generator.register_runtime()
    pending = []
    for code in dict.fromkeys(codes):
        subject = (code, fork)
        if code and layer.entry(subject) is None:
            ir = generated(generator, subject, QUICK)
            if ir is not None:
                pending.append((subject, ir))
    for start in range(0, len(pending), group_size):
        _compile_group(layer, pending[start:start + group_size])
    return len(pending)


def _compile_group(layer, group) -> None:
    assert not RUNS_IR_PASSES[QUICK], "the QUICK tier's IR passes would have to run here too"
    context = llvm.create_context()
    module = None
    names = []
    shared = False  # whether the group's module defines the runtime functions for all its codes
    try:
        for number, (_, ir) in enumerate(group):
            ir, defines = _share_runtime(ir, provide=not shared)
            part = llvm.parse_assembly(ir, context)
            names.append(f"{ENTRY}_{number}")
            part.get_function(ENTRY).name = names[-1]
            part.get_global_variable(WORK_COUNTERS).name = f"{WORK_COUNTERS}_{number}"  # each code its own
            if module is None:
                module = part
            else:
                module.link_in(part)  # internal functions that clash are renamed by the linker
            shared = shared or defines
        if shared:
            for name in _RUNTIME_NAMES:
                module.get_function(name).linkage = "internal"
        target = host_target()
        module.triple = target.triple
        module.data_layout = str(target.machine.target_data)
        module.verify()
        object_code = bytes(target_machine(layer.generator.levels[QUICK]).emit_object(module))
    finally:
        if module is not None:
            module.close()
        context.close()
    from jitvm.jit.linker import load_objects

    counters = [f"{WORK_COUNTERS}_{number}" for number in range(len(names))]
    loaded = load_objects([object_code], names + counters, name_hint="evm-fuzz-batch")
    share = len(object_code) // len(group)
    for name, counter, (subject, _) in zip(names, counters, group):
        key = layer.key(subject, QUICK)
        compiled = Compiled(key, QUICK, False, share, _Renamed(loaded, name, counter), subject)
        compiled.value = layer.generator.wrap(subject, compiled)
        layer.install(subject, compiled)


def _share_runtime(ir: str, provide: bool) -> tuple[str, bool]:
    """The code's IR with its runtime functions made external (`provide`: it defines them for the
    group) or declared, and whether it defines them now. IR whose runtime text is not exactly the
    runtime's is left as it is (its functions stay internal, its own)."""
    if not all(text in ir for text in _RUNTIME_TEXTS):
        return ir, False
    for text, replacement in zip(_RUNTIME_TEXTS, _DEFINED if provide else _DECLARED):
        ir = ir.replace(text, replacement, 1)
    return ir, provide


class _Renamed:
    """One code's view of a group's library: its entry under the name the generator asks for."""

    def __init__(self, loaded, entry: str, counters: str):
        self.loaded = loaded
        self.entry = entry
        self.counters = counters  # its codegen WORK_COUNTERS (read when its OPTIMIZED tier is made)

    def __getitem__(self, export: str) -> int:
        return self.loaded[self.counters if export == WORK_COUNTERS else self.entry]

    def function(self, _export: str, restype, *argtypes):
        return self.loaded.function(self.entry, restype, *argtypes)  # keeps the whole library alive
