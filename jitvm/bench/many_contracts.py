"""Many distinct real-size contracts, each called a few times: what a node replaying blocks sees.

    python -m jitvm.bench.many_contracts [--contracts 1500] [--calls 3] [--eager] [--json FILE]
    python -m jitvm.bench.many_contracts --instructions     # CPU instructions per call (callgrind)

Mainnet blocks call hundreds of distinct contracts, most of them once or a few times, for tens of
thousands of gas each: a JIT that compiles, or even loads and links, every contract it meets pays
more than it can win back. This measurement shows what each engine does with such a stream.

The contracts are generated (seeded, so every run sees the same bytes), shaped like compiled
Solidity: a selector dispatcher over 12-48 external functions, each a mapping getter or setter
(KECCAK256 slot, SLOAD/SSTORE, LOG), a bounded arithmetic loop (up to 255 rounds), or straight-line arithmetic and
memory work; 2-16 KB of code, every contract distinct. Each is called `--calls` times with the
calldata of randomly chosen functions on a fresh state. Every engine's outcome (status, output,
gas) must equal the baseline's, and every 50th contract's the reference interpreter's.

Printed per engine: process CPU seconds for all calls (a loaded machine distorts it less than
wall time), the median of `--repeat` rounds in which every engine runs once, its ratio to the
baseline's, and the JIT's compile-layer counters. `jit, empty cache`
is the registered "jit" engine with a fresh in-process table and an empty object cache; `jit,
warm cache` a fresh table (as a new process would have) over the cache the first run filled.
`--eager` adds JitEngine(cold_steps=0), which compiles (or loads and links) every contract before
its first call. `--instructions` counts the CPU instructions of the calls instead of timing them
(the script starts itself again under valgrind's callgrind, jitvm.bench.counting): the counts do not
depend on the machine's load, so one round is enough and a loaded machine can judge a change of a
few percent. A script, not a test: timing never fails CI.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time

from jitvm.evm.opcodes import opcode_table

GAS = 1_000_000
REFERENCE_EVERY = 50  # every 50th contract is also checked against the reference interpreter
_OP = {name: opcode.byte for name, opcode in opcode_table("Cancun").by_name.items()}


class Assembler:
    """Bytecode with forward labels (PUSH2 targets patched at the end)."""

    def __init__(self):
        self.code = bytearray()
        self.labels: dict[str, int] = {}
        self.fixups: list[tuple[int, str]] = []

    def op(self, *names: str) -> None:
        self.code += bytes(_OP[name] for name in names)

    def push(self, value: int, size: int | None = None) -> None:
        size = size or max(1, (value.bit_length() + 7) // 8)
        self.code.append(_OP[f"PUSH{size}"])
        self.code += value.to_bytes(size, "big")

    def push_label(self, label: str) -> None:
        self.code.append(_OP["PUSH2"])
        self.fixups.append((len(self.code), label))
        self.code += b"\0\0"

    def mark(self, label: str) -> None:
        self.labels[label] = len(self.code)
        self.op("JUMPDEST")

    def assemble(self) -> bytes:
        for at, label in self.fixups:
            self.code[at : at + 2] = self.labels[label].to_bytes(2, "big")
        return bytes(self.code)


def _arithmetic(asm: Assembler, rng: random.Random, length: int) -> None:
    """Straight-line work on the top of the stack (one value in, one out), as an optimiser leaves
    it: constants, masks, shifts, products, and a spill to memory now and then."""
    for _ in range(length):
        kind = rng.randrange(7)
        if kind == 0:
            asm.push(rng.getrandbits(rng.choice((8, 32, 160, 256))) | 1)
            asm.op(rng.choice(("ADD", "MUL", "XOR", "AND", "OR", "SUB")))
        elif kind == 1:
            asm.push(rng.randrange(1, 255))
            asm.op(rng.choice(("SHR", "SHL")))
        elif kind == 2:
            asm.op("DUP1")
            asm.push(rng.randrange(2, 1 << 16))
            asm.op("SWAP1", rng.choice(("DIV", "MOD")), "ADD")
        elif kind == 3:
            asm.op("DUP1")
            asm.push(rng.randrange(0, 8) * 32 + 0x80)
            asm.op("MSTORE")
        elif kind == 4:
            asm.push(rng.randrange(0, 8) * 32 + 0x80)
            asm.op("MLOAD", "XOR")
        elif kind == 5:
            asm.op("DUP1", "ISZERO", "ADD")
        else:
            asm.push(rng.randrange(0, 31))
            asm.op("SIGNEXTEND")


def _return_top(asm: Assembler) -> None:
    asm.push(0)
    asm.op("MSTORE")
    asm.push(32)
    asm.push(0)
    asm.op("RETURN")


def _mapping_slot(asm: Assembler, slot: int) -> None:
    """Push the storage slot of mapping `slot` at the key in the first argument: keccak(key . slot)."""
    asm.push(4)
    asm.op("CALLDATALOAD")
    asm.push(0)
    asm.op("MSTORE")
    asm.push(slot)
    asm.push(32)
    asm.op("MSTORE")
    asm.push(64)
    asm.push(0)
    asm.op("KECCAK256")


def _function(asm: Assembler, rng: random.Random, kind: str, slot: int) -> None:
    if kind == "get":  # mapping(uint => uint) getter
        _mapping_slot(asm, slot)
        asm.op("SLOAD")
        _arithmetic(asm, rng, rng.randrange(2, 12))
        _return_top(asm)
    elif kind == "set":  # a setter with an add and an event
        _mapping_slot(asm, slot)
        asm.op("DUP1", "SLOAD")
        asm.push(36)
        asm.op("CALLDATALOAD", "ADD", "DUP1", "SWAP2", "SSTORE")
        asm.push(0)
        asm.op("MSTORE")
        asm.push(rng.getrandbits(256))
        asm.push(32)
        asm.push(0)
        asm.op("LOG1")
        asm.op("STOP")
    elif kind == "loop":  # for (i = calldata & 255; i != 0; i--) acc = f(acc)
        top = f"loop{slot}"
        done = f"done{slot}"
        asm.push(36)
        asm.op("CALLDATALOAD")
        asm.push(4)
        asm.op("CALLDATALOAD")
        asm.push(255)
        asm.op("AND")  # [acc, i]
        asm.mark(top)
        asm.op("DUP1", "ISZERO")
        asm.push_label(done)
        asm.op("JUMPI", "SWAP1")
        _arithmetic(asm, rng, rng.randrange(4, 16))
        asm.op("SWAP1")
        asm.push(1)
        asm.op("SWAP1", "SUB")
        asm.push_label(top)
        asm.op("JUMP")
        asm.mark(done)
        asm.op("POP")
        _return_top(asm)
    else:  # straight-line work on the argument
        asm.push(4)
        asm.op("CALLDATALOAD")
        _arithmetic(asm, rng, rng.randrange(40, 200))
        _return_top(asm)


def generate_contract(seed: int) -> tuple[bytes, list[bytes]]:
    """A contract's runtime code and the calldata of each of its functions."""
    rng = random.Random(seed)
    asm = Assembler()
    count = rng.randrange(12, 49)
    selectors = [rng.getrandbits(32) | 1 << 24 for _ in range(count)]
    kinds = [rng.choice(("get", "get", "set", "loop", "work", "work")) for _ in range(count)]
    asm.push(0x80)
    asm.push(0x40)
    asm.op("MSTORE")
    asm.push(4)
    asm.op("CALLDATASIZE", "LT")
    asm.push_label("fallback")
    asm.op("JUMPI")
    asm.push(0)
    asm.op("CALLDATALOAD")
    asm.push(0xE0)
    asm.op("SHR")
    for index, selector in enumerate(selectors):
        asm.op("DUP1")
        asm.push(selector, 4)
        asm.op("EQ")
        asm.push_label(f"f{index}")
        asm.op("JUMPI")
    asm.mark("fallback")
    asm.push(0)
    asm.op("DUP1", "REVERT")
    for index, kind in enumerate(kinds):
        asm.mark(f"f{index}")
        _function(asm, rng, kind, index)
    code = asm.assemble() + rng.randbytes(43)  # a metadata trailer, as solc appends (never executed)
    calls = [selector.to_bytes(4, "big") + rng.getrandbits(256).to_bytes(32, "big")
             + rng.getrandbits(64).to_bytes(32, "big") for selector in selectors]
    return code, calls


def workload(contracts: int, calls: int, seed: int = 1) -> list[tuple[bytes, list[bytes]]]:
    """(code, the calldata of each call) per contract."""
    chosen = []
    for index in range(contracts):
        code, functions = generate_contract(seed * 1_000_003 + index)
        rng = random.Random(index)
        chosen.append((code, [rng.choice(functions) for _ in range(calls)]))
    return chosen


def run_all(engine, contracts, counter=None) -> tuple[float, list[tuple]]:
    """(process CPU seconds, or CPU instructions with a jitvm.bench.counting.InstructionCounter,
    for all calls; their outcomes)."""
    from jitvm.evm.baseline import layout
    from jitvm.evm.calls import call_code

    for memo in (layout.code_rows, layout.code_rows_at, layout.calldata_at):
        memo.cache_clear()  # every engine meets each contract for the first time
    outcomes = []
    clock = time.process_time if counter is None else counter
    with contextlib.nullcontext() if counter is None else counter.measuring():
        started = clock()
        for code, calldatas in contracts:
            for calldata in calldatas:
                outcome = call_code(code, calldata, gas=GAS, engine=engine)
                outcomes.append((outcome.status, outcome.output, outcome.gas_used))
        elapsed = clock() - started
    return elapsed, outcomes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jitvm.bench.many_contracts",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=1500)
    parser.add_argument("--calls", type=int, default=3, help="calls per contract")
    parser.add_argument("--eager", action="store_true",
                        help="also run JitEngine(cold_steps=0), which compiles every contract first")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (the median is shown)")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--instructions", action="store_true",
                        help="count CPU instructions under callgrind (one round) instead of timing")
    options = parser.parse_args(argv)
    counter = None
    if options.instructions:
        from jitvm.bench.counting import InstructionCounter, reexec_under_valgrind, running_under_counter

        if not running_under_counter():
            return reexec_under_valgrind([], script=["-m", "jitvm.bench.many_contracts",
                                                     *(sys.argv[1:] if argv is None else argv)])
        counter = InstructionCounter()
        options.repeat = 1  # counts repeat exactly

    from jitvm.evm.baseline.engine import BaselineEngine
    from jitvm.evm.calls import call_code
    from jitvm.evm.engines import get_engine
    from jitvm.evm.jit import compile as evm_compile
    from jitvm.evm.jit.engine import COLD_STEPS, HOT_CALLS, HOT_GAS, JitEngine
    from jitvm.jit import ObjectCache
    from jitvm.jit.layer import CompileLayer, settle

    contracts = workload(options.contracts, options.calls)
    sizes = sorted(len(code) for code, _ in contracts)
    assert len({code for code, _ in contracts}) == len(contracts)
    print(f"{len(contracts)} distinct contracts, {sizes[0]}-{sizes[-1]} bytes (median {sizes[len(sizes) // 2]}), "
          f"{options.calls} calls each", flush=True)
    baseline = get_engine("baseline")
    call_code(contracts[0][0], contracts[0][1][0], engine=baseline)  # Numba's load, off the clock
    reference = get_engine("reference")
    for code, calldatas in contracts[::REFERENCE_EVERY]:
        for calldata in calldatas:
            expected = call_code(code, calldata, gas=GAS, engine=reference)
            actual = call_code(code, calldata, gas=GAS, engine=baseline)
            assert (actual.status, actual.output, actual.gas_used) == (expected.status, expected.output,
                                                                       expected.gas_used), code.hex()[:40]
    run_all(baseline, contracts)  # the process's first pass costs any engine about 0.3 s more: off the clock
    expected = run_all(baseline, contracts)[1]
    gas = sum(used for _, _, used in expected)
    seconds: dict[str, list[float]] = {}
    stats: dict[str, dict] = {}

    def measure(label: str, engine) -> None:
        elapsed, outcomes = run_all(engine, contracts, counter)
        settle()
        assert outcomes == expected, f"{label}: an outcome differs from the baseline's"
        seconds.setdefault(label, []).append(elapsed)
        if label != "baseline":
            stats[label] = evm_compile.LAYER.stats.as_dict()

    saved = evm_compile.CACHE, evm_compile.LAYER  # put back at the end: callers' compiled code stays theirs
    try:
        with tempfile.TemporaryDirectory() as folder:
            evm_compile.CACHE = ObjectCache(folder)
            # Every row a fresh engine, in a process that has loaded Numba and run the stream once: a
            # new engine's own set-up (its frame arena, its memos) is in every row alike. Until
            # session 16 the baseline row reused the warmed `baseline` above, 1.019x cheaper in
            # instructions than a fresh one (bench/many_contracts_split.py), a gap the JIT rows paid.
            runs = [("baseline", BaselineEngine),
                    ("jit, empty cache", lambda: JitEngine(cold_steps=COLD_STEPS)),
                    ("jit, warm cache", lambda: JitEngine(cold_steps=COLD_STEPS)),
                    ("auto", lambda: JitEngine(hot_gas=HOT_GAS, hot_calls=HOT_CALLS, background=True))]
            for round_number in range(options.repeat):  # rounds, so that every engine sees the same machine
                for label, make in runs + ([("eager jit, empty cache", JitEngine), ("eager jit, warm cache", JitEngine)]
                                           if options.eager and round_number == 0 else []):
                    if label.endswith("empty cache"):
                        ObjectCache(folder).clear()
                    evm_compile.LAYER = CompileLayer(evm_compile.EvmGenerator())
                    measure(label, make())
    finally:
        evm_compile.CACHE, evm_compile.LAYER = saved
    base = statistics.median(seconds["baseline"])
    figures = {}
    for label, times in seconds.items():
        middle = statistics.median(times)
        figures[label] = {"instructions" if counter else "seconds": times, "median": middle, "ratio": middle / base, **stats.get(label, {})}
        counters = stats.get(label)
        detail = ("" if counters is None else
                  f"  (compiles {counters['compiles']}, disk hits {counters['disk_hits']}, declined "
                  f"{counters['declined']}, compile {counters['compile_seconds']:.2f} s, load+link "
                  f"{counters['cache_load_seconds']:.2f} s)")
        if counter is None:
            figure = f"{middle:7.3f} s  {middle / base:5.2f}x baseline  {gas / middle / 1e6:6.1f} Mgas/s"
        else:
            calls = len(contracts) * options.calls
            figure = f"{middle / calls / 1e3:8.1f}k instructions per call  {middle / base:6.3f}x baseline"
        print(f"{label:22s} {figure}{detail}")
    if options.json:
        with open(options.json, "w") as file:
            json.dump({"contracts": len(contracts), "calls": options.calls, "gas": gas, "engines": figures}, file,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
