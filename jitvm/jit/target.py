"""The host machine LLVM compiles for: CPU name, features, codegen level, and a fingerprint of them.

Object code is only valid on the machine (and LLVM) that produced it, so everything that changes the
machine code goes into `HostTarget.fingerprint`, which the on-disk cache folds into its keys.
"""

import functools
import platform
from dataclasses import dataclass

import llvmlite
import llvmlite.binding as llvm

# Codegen optimisation level for the backend (0-3). 2 gives good instruction selection and register
# allocation; the IR-level optimisation is our own short pass list (see compiler.py), not -O2.
CODEGEN_OPT_LEVEL = 2

# Position-independent code with the small code model: calls to runtime helpers and compiler-rt go
# through the GOT/stubs the JIT linker builds, so objects load at any address, also from the cache.
RELOCATION_MODEL = "pic"
CODE_MODEL = "small"


@dataclass(frozen=True)
class HostTarget:
    """The LLVM target machine for this host, and what identifies the code it emits."""

    triple: str
    cpu: str
    features: str
    opt_level: int
    machine: llvm.TargetMachine

    @property
    def fingerprint(self) -> str:
        """Everything besides the IR that decides which bytes the backend emits."""
        return "|".join(
            [
                f"llvm={'.'.join(map(str, llvm.llvm_version_info))}",
                f"llvmlite={llvmlite.__version__}",
                f"triple={self.triple}",
                f"cpu={self.cpu}",
                f"features={self.features}",
                f"opt={self.opt_level}",
                f"reloc={RELOCATION_MODEL}",
                f"model={CODE_MODEL}",
            ]
        )


@functools.cache
def initialize_llvm() -> None:
    """Register the native target and its assembly printer, once per process.

    llvmlite 0.50 initialises the LLVM core by itself (`llvm.initialize()` now raises); the native
    target and asm printer still need registering before a TargetMachine can emit code.
    """
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()


def _host_features() -> str:
    try:
        return llvm.get_host_cpu_features().flatten()
    except RuntimeError:  # LLVM cannot list features on some hosts; the CPU name still implies them
        return ""


@functools.cache
def host_target() -> HostTarget:
    """The target machine for the CPU this process runs on (created once, shared)."""
    initialize_llvm()
    triple = llvm.get_process_triple()
    cpu = llvm.get_host_cpu_name()
    features = _host_features()
    machine = llvm.Target.from_triple(triple).create_target_machine(
        cpu=cpu,
        features=features,
        opt=CODEGEN_OPT_LEVEL,
        reloc=RELOCATION_MODEL,
        codemodel=CODE_MODEL,
    )
    return HostTarget(triple, cpu, features, CODEGEN_OPT_LEVEL, machine)


def describe() -> str:
    """One line for benchmark reports: which machine and LLVM the code was compiled for."""
    target = host_target()
    return f"{platform.machine()} {target.cpu} LLVM {'.'.join(map(str, llvm.llvm_version_info))}"
