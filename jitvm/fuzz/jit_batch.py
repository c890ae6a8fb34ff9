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

Groups stay small: linking modules into one grows superlinearly (40 codes of ~300 bytes: 15 ms a
code in groups of 10, 21 ms in one group of 125).
"""

from __future__ import annotations

import llvmlite.binding as llvm

from jitvm.evm.jit import compile as evm_compile
from jitvm.evm.jit.entry import ENTRY
from jitvm.jit.compiler import parse, target_machine
from jitvm.jit.layer import QUICK, RUNS_IR_PASSES, Compiled

GROUP_SIZE = 12


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
            ir = generator.generate(subject)
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
    try:
        for number, (_, ir) in enumerate(group):
            part = parse(ir, context)
            names.append(f"{ENTRY}_{number}")
            part.get_function(ENTRY).name = names[-1]
            if module is None:
                module = part
            else:
                module.link_in(part)  # internal helpers that clash are renamed by the linker
        object_code = bytes(target_machine(layer.generator.levels[QUICK]).emit_object(module))
    finally:
        if module is not None:
            module.close()
        context.close()
    from jitvm.jit.linker import load_objects

    loaded = load_objects([object_code], names, name_hint="evm-fuzz-batch")
    share = len(object_code) // len(group)
    for name, (subject, _) in zip(names, group):
        key = layer.key(subject, QUICK)
        compiled = Compiled(key, QUICK, False, share, _Renamed(loaded, name), subject)
        compiled.value = layer.generator.wrap(subject, compiled)
        layer.install(subject, compiled)


class _Renamed:
    """One code's view of a group's library: its entry under the name the generator asks for."""

    def __init__(self, loaded, entry: str):
        self.loaded = loaded
        self.entry = entry

    def function(self, _export: str, restype, *argtypes):
        return self.loaded.function(self.entry, restype, *argtypes)  # keeps the whole library alive
