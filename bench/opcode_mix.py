"""Count the instructions a bundled benchmark workload executes, by opcode, on the reference engine:
`python bench/opcode_mix.py blake2b_huff 2805nulls`. For finding which handlers of the baseline kernel
(or which code generator paths of the JIT) matter to a workload. `--pcs N` also prints the N code
offsets executed most often, with their opcode, and `--blocks N` the N most executed JUMPDEST-started
runs of code (the JIT's blocks start there), with their instructions.

The counts come from a tracer object in this process (the EIP-3155 trace of `jitvm run --trace` is a
JSON line per instruction: millions for snailtracer)."""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from jitvm.evm.calls import call_code
from jitvm.evm.engines import get_engine
from jitvm.evm.opcodes import opcode_table

FIXTURES = Path(__file__).resolve().parents[1] / "jitvm" / "bench" / "data" / "evm" / "benchmarks"


class CountingTracer:
    """Counts executed instructions per code offset (top-level code only: the bundled workloads make
    no calls)."""

    def __init__(self):
        self.at_pc: collections.Counter = collections.Counter()
        self.op_at: dict[int, int] = {}

    def before_step(self, frame, op: int) -> None:
        self.at_pc[frame.pc] += 1
        self.op_at[frame.pc] = op

    def after_step(self, frame, error=None) -> None:
        pass

    def end_transaction(self, result, gas_used: int) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contract")
    parser.add_argument("input_name")
    parser.add_argument("--gas", type=int, default=2**40)
    parser.add_argument("--pcs", type=int, default=0)
    parser.add_argument("--blocks", type=int, default=0)
    args = parser.parse_args()
    fixture = json.loads((FIXTURES / f"{args.contract}.json").read_text())
    calldata = next(item["calldata_hex"] for item in fixture["inputs"] if item["name"] == args.input_name)
    code = bytes.fromhex(fixture["code_hex"].removeprefix("0x"))
    tracer = CountingTracer()
    outcome = call_code(code, bytes.fromhex(calldata.removeprefix("0x")), gas=args.gas, engine=get_engine("reference"),
                        tracer=tracer)
    table = opcode_table("Cancun")
    name = {op: (table[op].mnemonic if table[op] else hex(op)) for op in set(tracer.op_at.values())}
    counts: collections.Counter = collections.Counter()
    for pc, count in tracer.at_pc.items():
        counts[name[tracer.op_at[pc]]] += count
    total = sum(counts.values())
    print(f"status {outcome.status.name.lower()}")
    for mnemonic, count in counts.most_common(30):
        print(f"{mnemonic:14} {count:11,} {100 * count / total:5.1f}%")
    print(f"{'total':14} {total:11,}")
    for pc, count in tracer.at_pc.most_common(args.pcs):
        print(f"pc {pc:6} {name[tracer.op_at[pc]]:14} {count:11,}")
    if args.blocks:
        _print_blocks(code, tracer, name, args.blocks)


def _print_blocks(code: bytes, tracer: CountingTracer, name: dict, top: int) -> None:
    """Runs of executed offsets from one JUMPDEST (or the code's start) to the next, by the
    instructions executed in them."""
    starts = sorted(pc for pc, op in tracer.op_at.items() if op == 0x5B or pc == 0)
    executed = sorted(tracer.op_at)
    runs: dict[int, list[int]] = collections.defaultdict(list)
    start = 0
    for pc in executed:
        if tracer.op_at[pc] == 0x5B:
            start = pc
        runs[start].append(pc)
    weight = {start: sum(tracer.at_pc[pc] for pc in pcs) for start, pcs in runs.items()}
    total = sum(weight.values())
    del starts
    for start, instructions in sorted(weight.items(), key=lambda item: -item[1])[:top]:
        pcs = runs[start]
        text = " ".join(name[tracer.op_at[pc]] for pc in pcs)
        print(f"block {start:6} entered {tracer.at_pc[start]:9,} instructions {instructions:11,} "
              f"({100 * instructions / total:4.1f}%): {text}")


if __name__ == "__main__":
    main()
