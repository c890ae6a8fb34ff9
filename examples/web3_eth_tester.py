"""web3.py on jitvm: the Vyper ERC-20 and constant-product pool of vyper_titanoboa.py, compiled with vyper,
deployed and used through web3.py's EthereumTesterProvider (eth-tester on py-evm), once on py-evm alone
and once with jitvm running the code. Every engine must leave the same balances, reserves and gas.

    pip install 'jitvm[clients]'
    python examples/web3_eth_tester.py [ENGINE ...]      # default: py-evm reference jit
"""

import sys
import time
from pathlib import Path

CONTRACTS = Path(__file__).resolve().parent / "contracts"
DEFAULT_ENGINES = ("py-evm", "reference", "jit")
MAX = 2**256 - 1


def compile_contract(name: str) -> tuple[list, str]:
    import vyper

    output = vyper.compile_code((CONTRACTS / name).read_text(), output_formats=["abi", "bytecode"])
    return output["abi"], output["bytecode"]


def scenario(engine: str, swaps: int = 20) -> dict:
    """The whole story on `engine`; returns what must be equal across engines, and the swap time."""
    from eth_tester.exceptions import TransactionFailed
    from web3 import EthereumTesterProvider, Web3
    from web3.exceptions import ContractLogicError

    from jitvm.integrations import eth_tester

    w3 = Web3(EthereumTesterProvider(eth_tester(engine)))
    alice, bob = w3.eth.accounts[:2]
    token_abi, token_code = compile_contract("erc20.vy")
    pool_abi, pool_code = compile_contract("pool.vy")

    def deploy(abi, bytecode, *arguments):
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.contract(abi=abi, bytecode=bytecode).constructor(*arguments).transact({"from": alice}))
        return w3.eth.contract(address=receipt.contractAddress, abi=abi)

    def send(function, sender=alice):
        receipt = w3.eth.wait_for_transaction_receipt(function.transact({"from": sender, "gas": 1_000_000}))
        assert receipt.status == 1
        return receipt

    def reverts(function, reason, sender=alice) -> bool:
        try:
            function.call({"from": sender})
        except (ContractLogicError, TransactionFailed) as error:  # web3.py raises the tester's own error here
            return reason in str(error)
        return False

    token0 = deploy(token_abi, token_code, "Token Zero", "TK0", 10**24)
    token1 = deploy(token_abi, token_code, "Token One", "TK1", 10**24)
    pool = deploy(pool_abi, pool_code, token0.address, token1.address)
    send(token0.functions.approve(pool.address, MAX))
    send(token1.functions.approve(pool.address, MAX))
    send(pool.functions.add_liquidity(10**21, 4 * 10**21))
    send(token0.functions.transfer(bob, 10**20))
    send(token0.functions.approve(pool.address, MAX), bob)
    bob_out = pool.functions.swap(10**18, True, 0).call({"from": bob})
    swap_receipt = send(pool.functions.swap(10**18, True, 0), bob)
    caught = (reverts(pool.functions.swap(10**18, True, 10**30), "slippage", bob),
              reverts(token0.functions.transfer(bob, 10**30), "insufficient balance"),
              reverts(token0.functions.mint(bob, 1), "only the owner mints", bob))

    started = time.process_time()  # CPU time: the machine may be shared
    gas = [send(pool.functions.swap(10**17 + index, index % 2 == 0, 0)).gasUsed for index in range(swaps)]
    seconds = time.process_time() - started
    return {
        "bob_out": bob_out, "swap_gas": swap_receipt.gasUsed, "swaps_gas": gas, "reverts": caught,
        "reserves": (pool.functions.reserve0().call(), pool.functions.reserve1().call()),
        "balances": tuple(token.functions.balanceOf(who).call() for token in (token0, token1) for who in (alice, bob)),
        "swap_seconds": seconds, "swaps": swaps,
    }


def main(engines) -> int:
    try:
        import eth_tester, vyper, web3  # noqa: F401, E401
    except ImportError as error:
        print(f"skipped: {error.name} is not installed (pip install 'jitvm[clients]')")
        return 0
    results = {}
    for engine in engines:
        results[engine] = result = scenario(engine)
        print(f"{engine:>10}: bob swapped 1e18 TK0 for {result['bob_out']:,} TK1 ({result['swap_gas']:,} gas), "
              f"reverts caught {sum(result['reverts'])}/3, reserves {result['reserves'][0]:,} / "
              f"{result['reserves'][1]:,}; {result['swaps']} swap transactions in {result['swap_seconds'] * 1e3:.0f} ms "
              f"({result['swap_seconds'] / result['swaps'] * 1e3:.2f} ms each)")
    same = {key: value for key, value in results[engines[0]].items() if key != "swap_seconds"}
    differing = [engine for engine in engines
                 if {k: v for k, v in results[engine].items() if k != "swap_seconds"} != same]
    if differing or not all(same["reverts"]):
        print(f"DIFFERENT results on: {', '.join(differing) or 'none'}; reverts caught: {same['reverts']}")
        return 1
    print(f"same receipts, gas, reverts and balances on: {', '.join(engines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(tuple(sys.argv[1:]) or DEFAULT_ENGINES))
