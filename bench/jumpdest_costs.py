"""CPU instructions of the JUMPDEST analysis of one new code (jitvm.evm.jumpdests), counted by
callgrind (starts itself again under valgrind), beside the byte-by-byte walk it replaced.

    python bench/jumpdest_costs.py

Rows: an 8 KB contract of the many_contracts stream (generated, shaped like compiled Solidity), two
compiled contracts of the bundled workloads, and the 64 KB analysis workloads (zeros, push1s,
push32s, jumpdests). Every engine analyses a code the first time it meets it (the result is remembered per
code), so this is what a new contract costs every engine before its first instruction.

Columns, in CPU instructions: the byte walk; `jumpdest_positions` (the array the baseline's and the
JIT's code rows take); `jump_destinations` (the same as a frozenset, for the reference interpreter
and the JIT's block analysis).
"""

from __future__ import annotations

import sys

from jitvm.bench.counting import (
    InstructionCounter,
    reexec_under_valgrind,
    running_under_counter,
)


def walked(code: bytes) -> frozenset[int]:
    """The analysis as it was: one Python step per instruction."""
    from jitvm.evm.jumpdests import _IMMEDIATE_SIZE, _JUMPDEST

    destinations = []
    pc, end = 0, len(code)
    while pc < end:
        op = code[pc]
        if op == _JUMPDEST:
            destinations.append(pc)
        pc += 1 + _IMMEDIATE_SIZE[op]
    return frozenset(destinations)


def codes() -> list[tuple[str, bytes]]:
    import json
    from pathlib import Path

    from jitvm.bench.many_contracts import generate_contract

    found = []
    for seed in range(200):
        code, _ = generate_contract(seed)
        if 7_800 <= len(code) <= 8_600:
            found.append((f"many_contracts #{seed}", code))
            break
    folder = Path(__file__).resolve().parent.parent / "jitvm/bench/data/evm/benchmarks"
    for name in ("snailtracer", "weierstrudel", "zeros_0xffff", "push1s_0xffff", "push32s_0xffff",
                 "jumpdests_0xffff"):
        found.append((name, bytes.fromhex(json.loads((folder / f"{name}.json").read_text())["code_hex"])))
    return found


def main() -> int:
    if not running_under_counter():
        return reexec_under_valgrind([], script=sys.argv)
    from jitvm.evm.jumpdests import jump_destinations, jumpdest_positions

    counter = InstructionCounter()

    def count(analyse, code) -> tuple[int, frozenset[int]]:
        jumpdest_positions.cache_clear()
        jump_destinations.cache_clear()
        with counter.measuring():
            before = counter()
            result = analyse(code)
            return counter() - before, result

    for name, code in codes():  # numpy's first calls of each function (type resolution): off the count
        count(jump_destinations, code)
    reading = min(count(len, b"")[0] for _ in range(3))  # what reading the counter costs
    print(f"{'code':24} {'bytes':>6} {'byte walk':>12} {'positions':>12} {'ratio':>7} {'as a set':>12}")
    for name, code in codes():
        (walk, expected), (found, positions) = count(walked, code), count(jumpdest_positions, code)
        as_set, result = count(jump_destinations, code)
        assert result == expected == frozenset(positions.tolist()), name
        walk, found, as_set = walk - reading, found - reading, as_set - reading
        print(f"{name:24} {len(code):6} {walk:12,} {found:12,} {walk / found:6.1f}x {as_set:12,}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
