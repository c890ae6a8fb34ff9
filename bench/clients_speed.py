"""How fast titanoboa and web3.py + eth-tester run the examples' pool swaps on jitvm's engines, against
the tools' default setup (py-evm, its newest fork) and py-evm on the Cancun rules.

    python bench/clients_speed.py [--rounds 3] [--boa-swaps 60] [--web3-swaps 20]

Each round runs every setup once, in turn (so all share the machine's conditions); a setup's figure
is the median over rounds of the process CPU time of its swap loop, per swap. Compiling, deploying
and the first calls (the JIT's compiles) are not in the timed loop.
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

SETUPS = ("default", "py-evm", "reference", "baseline", "jit", "auto")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--boa-swaps", type=int, default=60)
    parser.add_argument("--web3-swaps", type=int, default=20)
    args = parser.parse_args()
    import vyper_titanoboa
    import web3_eth_tester

    for tool, module, swaps in (("titanoboa", vyper_titanoboa, args.boa_swaps),
                                ("web3.py + eth-tester", web3_eth_tester, args.web3_swaps)):
        per_swap = {setup: [] for setup in SETUPS}
        for _ in range(args.rounds):
            for setup in SETUPS:
                result = module.scenario(setup, swaps=swaps)
                per_swap[setup].append(result["swap_seconds"] / swaps)
        default = statistics.median(per_swap["default"])
        print(f"\n{tool}: {swaps} swaps per round, {args.rounds} rounds, median CPU time per swap\n")
        print("| setup | ms per swap | speedup vs the tool's default |")
        print("|---|---:|---:|")
        for setup, values in per_swap.items():
            median = statistics.median(values)
            print(f"| {setup} | {median * 1e3:.2f} | {default / median:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
