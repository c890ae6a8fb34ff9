"""Run state tests on the JIT with every code compiled at once as the OPTIMIZED tier compiles it
(full IR passes, the backend at CODEGEN_OPT_LEVEL, the OPTIMIZED tier's code: MULMOD in line
through mulmod_ir, ADDMOD in line, ...). A state test's codes run a few frames each, so `jitvm
statetest --engine jit` runs them on the baseline or the QUICK tier and never reaches the OPTIMIZED
tier's code; this does, with the object cache off (the QUICK tier's disk key would otherwise hold
OPTIMIZED code).

    python bench/optimized_statetests.py PATH... [--fork Cancun] [other `jitvm statetest` options]
"""

from __future__ import annotations

import os
import sys

os.environ["JITVM_DISABLE_CACHE"] = "1"
os.environ["JITVM_JIT_COLD_STEPS"] = "0"  # compile a code at its first frame
os.environ["JITVM_JIT_LOAD_STEPS"] = "0"


def main() -> int:
    from jitvm.cli.main import main as cli
    from jitvm.evm.jit import compile
    from jitvm.jit import layer

    generate = compile.EvmGenerator.generate
    compile.EvmGenerator.generate = lambda self, subject, tier=layer.OPTIMIZED: generate(self, subject, layer.OPTIMIZED)
    compile.EvmGenerator.levels = {layer.QUICK: compile.CODEGEN_OPT_LEVEL, layer.OPTIMIZED: compile.CODEGEN_OPT_LEVEL}
    layer.RUNS_IR_PASSES[layer.QUICK] = True
    return cli(["statetest", "--engine", "jit", "--jobs", "1", *sys.argv[1:]])


if __name__ == "__main__":
    raise SystemExit(main())
