"""Run a contract on every EVM engine, then benchmark it against the peers with jitvm.bench.

    python examples/evm_compare_engines.py

The contract returns the n-th Fibonacci number mod 2**256, n being its 32-byte calldata.
"""

import time

from jitvm.bench.harness import Settings, run_cases
from jitvm.bench.report import render
from jitvm.bench.runners import discover
from jitvm.bench.workloads import EvmCase
from jitvm.evm.calls import call_code
from jitvm.evm.engines import ENGINE_NAMES, get_engine
from jitvm.cli.common import console

FIBONACCI = bytes.fromhex(
    "600035"          # 00 PUSH1 0 CALLDATALOAD       [n]
    "6000" "6001"     # 03 PUSH1 0 PUSH1 1            [n, a=0, b=1]
    "5b"              # 07 loop: JUMPDEST
    "82" "15" "6019" "57"      # DUP3 ISZERO PUSH1 done JUMPI      (n == 0: done)
    "80" "91" "01"             # DUP1 SWAP2 ADD                    [n, b, a+b]
    "91" "6001" "90" "03" "91"  # SWAP2 PUSH1 1 SWAP1 SUB SWAP2    [n-1, b, a+b]
    "6007" "56"                # PUSH1 loop JUMP
    "5b" "50"                  # 19 done: JUMPDEST POP             [0, a]
    "600052" "60206000f3"      # MSTORE(0, a) RETURN(0, 32)
)
N = 10_000


def fibonacci(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % 2**256
    return a


def main():
    calldata = N.to_bytes(32, "big")
    expected = fibonacci(N).to_bytes(32, "big")
    print(f"fib({N}) mod 2**256 on each engine (a compiled engine's first call includes compiling or loading it):")
    for name in ENGINE_NAMES:
        started = time.perf_counter()
        outcome = call_code(FIBONACCI, calldata, engine=get_engine(name))
        seconds = time.perf_counter() - started
        verdict = "ok" if outcome.output == expected else "WRONG"
        print(f"  {name:10} 0x{outcome.output.hex()[:16]}... {outcome.gas_used:,} gas in {seconds * 1e3:7.1f} ms  {verdict}")

    # The same contract as a benchmark case: verified, then timed on every engine and peer.
    case = EvmCase("fibonacci", "user", FIBONACCI, calldata, expected, expected_gas=None)
    runners, unavailable = discover(["evm"], None)
    run = run_cases([case], runners, Settings(repeat=5, budget=0.3))
    run.unavailable = unavailable
    render(run, console())


if __name__ == "__main__":
    main()
