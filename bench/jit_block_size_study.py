"""Where compiled code stops paying: jump_around-like codes (blocks chained in a random order, each
run once per call) with `size` instructions per block, so `size` instructions per jump, timed on
the baseline and on jit's OPTIMIZED tier side by side in one process (minimum CPU time of
interleaved rounds). The decline rule of jitvm.evm.jit.codegen (MIN_INSTRUCTIONS_PER_JUMP) comes
from this crossover.

    python bench/jit_block_size_study.py [--blocks 4096,512] [--sizes 3,4,5,6,8] [--rounds 30]

A block is JUMPDEST, (size - 3) NOTs, PUSH2 next, JUMP; the last block STOPs. The compiled code of
such a block is its entry checks, the NOTs and a branch, entered once per call: as the kernel runs
the instructions one by one, the ratio falls as blocks grow."""

from __future__ import annotations

import argparse
import random
import tempfile
import time


def chained_blocks(blocks: int, size: int, seed: int = 1) -> bytes:
    """PUSH0, then `blocks` blocks of `size` instructions each (JUMPDEST, size - 3 NOTs of the word
    below, PUSH2 next, JUMP), jumping to one another in a random order; the last one STOPs."""
    order = list(range(1, blocks))
    random.Random(seed).shuffle(order)
    successor = dict(zip([0, *order], order))
    width = size + 2  # bytes: JUMPDEST, the NOTs, PUSH2 xx xx, JUMP
    code = bytearray([0x5F])
    for index in range(blocks):
        code += b"\x5b" + b"\x19" * (size - 3)
        if index in successor:
            code += bytes([0x61]) + (1 + successor[index] * width).to_bytes(2, "big") + b"\x56"
        else:
            code += b"\x00\x00\x00\x00"
    return bytes(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", default="4096,512")
    parser.add_argument("--sizes", default="3,4,5,6,8")
    parser.add_argument("--rounds", type=int, default=30)
    arguments = parser.parse_args()

    from jitvm.evm.calls import call_code
    from jitvm.evm.engines import get_engine
    from jitvm.evm.jit import codegen, compile
    from jitvm.evm.jit.engine import JitEngine, _remember
    from jitvm.jit.cache import ObjectCache

    baseline = get_engine("baseline")
    codegen.DECLINE_FROM_JUMPS = 10**9  # compile every code, whatever the decline rule says
    with tempfile.TemporaryDirectory() as directory:
        compile.CACHE = ObjectCache(directory)
        for blocks in map(int, arguments.blocks.split(",")):
            for size in map(int, arguments.sizes.split(",")):
                code = chained_blocks(blocks, size)
                jit = JitEngine()
                expected = call_code(code, b"", engine=baseline)
                compiled = compile.build(code, "Osaka", compile.CACHE)  # the OPTIMIZED tier
                heat = jit.heat(code, "Osaka")
                _remember(heat, compiled)
                heat.state = "compiled"
                best = {"baseline": float("inf"), "jit": float("inf")}
                for _ in range(arguments.rounds):
                    for name, engine in (("baseline", baseline), ("jit", jit)):
                        start = time.process_time()
                        outcome = call_code(code, b"", engine=engine)
                        best[name] = min(best[name], time.process_time() - start)
                        assert outcome.gas_used == expected.gas_used and outcome.is_success
                print(f"blocks {blocks:5} instructions/block {size:2}: baseline {best['baseline'] * 1e6:8.1f} us, "
                      f"jit {best['jit'] * 1e6:8.1f} us, jit/baseline {best['jit'] / best['baseline']:5.2f}")


if __name__ == "__main__":
    main()
