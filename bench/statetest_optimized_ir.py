"""`jitvm statetest` with every code's first (QUICK) compile made from the OPTIMIZED tier's IR (codegen's
full form: in-line memory accesses, ADDMOD and the narrow SDIV/SMOD paths), so that conformance cases,
whose codes each run a frame or two and so never reach their upgrade, exercise the OPTIMIZED tier's
code paths. One process (`-j` would spawn workers without the patch) and no object cache (nothing
compiled this way is written where a normal run would load it).

    JITVM_JIT_COLD_STEPS=0 python bench/statetest_optimized_ir.py PATH... --fork Cancun --engine jit
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1])]
os.environ["JITVM_DISABLE_CACHE"] = "1"


def main() -> int:
    from jitvm.cli.main import main as cli_main
    from jitvm.evm.jit import codegen

    full_form = codegen.generate

    def generate(analysis, blocks_per_function=None, compact=False, counting=False, cold_parts=frozenset()):
        return full_form(analysis, blocks_per_function, False, counting, cold_parts)

    codegen.generate = generate
    return cli_main(["statetest", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
