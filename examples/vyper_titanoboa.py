"""Vyper on jitvm with titanoboa: compile an ERC-20 and a constant-product pool, deploy them, add
liquidity, swap, hit the pool's and the token's reverts, and time a run of swaps, on py-evm (titanoboa's
own VM) and on jitvm's engines. Every engine must leave the same balances, reserves and gas.

    pip install 'jitvm[clients]'
    python examples/vyper_titanoboa.py [ENGINE ...]      # default: py-evm reference jit
"""

import sys
import time
from pathlib import Path

CONTRACTS = Path(__file__).resolve().parent / "contracts"
DEFAULT_ENGINES = ("py-evm", "reference", "jit")
MAX = 2**256 - 1


def scenario(engine: str, swaps: int = 40) -> dict:
    """The whole story on `engine`; returns what must be equal across engines, and the swap time."""
    import boa

    from jitvm.integrations import boa_env

    with boa.swap_env(boa_env(engine)):
        alice, bob = boa.env.eoa, boa.env.generate_address("bob")
        token0 = boa.load(CONTRACTS / "erc20.vy", "Token Zero", "TK0", 10**24)
        token1 = boa.load(CONTRACTS / "erc20.vy", "Token One", "TK1", 10**24)
        pool = boa.load(CONTRACTS / "pool.vy", token0.address, token1.address)
        token0.approve(pool.address, MAX)
        token1.approve(pool.address, MAX)
        shares = pool.add_liquidity(10**21, 4 * 10**21)
        token0.transfer(bob, 10**20)
        with boa.env.prank(bob):
            token0.approve(pool.address, MAX)
            bob_out = pool.swap(10**18, True, 0)
            with boa.reverts("slippage"):
                pool.swap(10**18, True, 10**30)
        with boa.reverts("insufficient balance"):
            token0.transfer(bob, 10**30)
        with boa.reverts("only the owner mints"), boa.env.prank(bob):
            token0.mint(bob, 1)

        started = time.process_time()  # CPU time: the machine may be shared
        outputs = [pool.swap(10**17 + index, index % 2 == 0, 0) for index in range(swaps)]
        seconds = time.process_time() - started
        return {
            "shares": shares, "bob_out": bob_out, "outputs": outputs,
            "reserves": (pool.reserve0(), pool.reserve1()),
            "balances": (token0.balanceOf(alice), token1.balanceOf(alice), token0.balanceOf(bob), token1.balanceOf(bob)),
            "gas_used": boa.env.evm.vm.state.gas_used if hasattr(boa.env.evm.vm.state, "gas_used") else None,
            "swap_seconds": seconds, "swaps": swaps,
        }


def main(engines) -> int:
    try:
        import boa  # noqa: F401
    except ImportError:
        print("skipped: titanoboa is not installed (pip install 'jitvm[clients]')")
        return 0
    results = {}
    for engine in engines:
        results[engine] = scenario(engine)
        result = results[engine]
        print(f"{engine:>10}: shares {result['shares']:,}, bob swapped 1e18 TK0 for {result['bob_out']:,} TK1, "
              f"reserves {result['reserves'][0]:,} / {result['reserves'][1]:,}; "
              f"{result['swaps']} swaps in {result['swap_seconds'] * 1e3:.0f} ms "
              f"({result['swap_seconds'] / result['swaps'] * 1e3:.2f} ms per swap)")
    same = {key: value for key, value in results[engines[0]].items() if key != "swap_seconds"}
    differing = [engine for engine in engines
                 if {k: v for k, v in results[engine].items() if k != "swap_seconds"} != same]
    if differing:
        print(f"DIFFERENT results on: {', '.join(differing)}")
        return 1
    print(f"reverts caught (slippage, insufficient balance, only the owner mints); same results on: {', '.join(engines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(tuple(sys.argv[1:]) or DEFAULT_ENGINES))
