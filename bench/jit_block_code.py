"""The JIT's code for one block of a bundled workload's contract, as the OPTIMIZED tier makes it:
the LLVM function holding the block after the pass list (`--ir`) and its machine code (`--asm`),
cut to the lines of that block's labels. For reading what a hot block costs (bench/opcode_mix.py
--blocks finds them).

    python bench/jit_block_code.py snailtracer 13077 [--asm] [--ir] [--whole]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1])]

FIXTURES = Path(__file__).resolve().parents[1] / "jitvm" / "bench" / "data" / "evm" / "benchmarks"


def main() -> None:

    from jitvm.evm.jit import block_analysis, codegen
    from jitvm.evm.jit.compile import register_helpers
    from jitvm.jit import compiler

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contract")
    parser.add_argument("pc", type=int)
    parser.add_argument("--ir", action="store_true", help="the optimized IR of the function holding the block")
    parser.add_argument("--asm", action="store_true", help="its machine code")
    parser.add_argument("--raw", action="store_true", help="the generated IR before the passes")
    parser.add_argument("--fork", default="Cancun")
    args = parser.parse_args()
    fixture = json.loads((FIXTURES / f"{args.contract}.json").read_text())
    code = bytes.fromhex(fixture["code_hex"].removeprefix("0x"))
    register_helpers()
    analysis = block_analysis.analyse(code, args.fork)
    generator = codegen.ModuleGenerator(analysis)
    part = generator.part_of[args.pc]
    name = codegen.function_name(part)
    ir = codegen.generate(analysis)
    if args.raw:
        print(_function(ir, name))
        return
    module = compiler.parse(ir)
    compiler.optimize(module)
    if args.ir or not args.asm:
        print(_function(str(module), name))
    if args.asm:
        machine = compiler.target_machine()
        asm = machine.emit_assembly(module)
        print(_asm_function(asm, name))


def _function(ir: str, name: str) -> str:
    start = re.search(rf"^define [^\n]*@{name}\(", ir, re.MULTILINE).start()
    end = ir.index("\n}\n", start) + 3
    return ir[start:end]


def _asm_function(asm: str, name: str) -> str:
    match = re.search(rf"^{name}:", asm, re.MULTILINE)
    end = asm.find(".Lfunc_end", match.start())
    return asm[match.start():end]


if __name__ == "__main__":
    main()
