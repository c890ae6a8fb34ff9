"""The `realworld` workloads: short transactions of ordinary contracts, run the way users run them.

Each workload is a session: one EVM object (jitvm.EVM on one engine, or pyrevm.EVM), the contracts
deployed once, then transactions sent one after another with the state committed between them,
exactly as code written against pyrevm does it. One timed call is one transaction (or, for the block,
1,000 of them). The contracts are Vyper sources in realworld_contracts/ compiled by vyper 0.4.3; the
bytecode is committed next to them (bytecode.json) and tests/bench/test_realworld.py recompiles the
sources when vyper is installed and checks that they match. The DELEGATECALL proxy is the EIP-1167
minimal proxy (CC0).

Every transaction of a session is in a steady state: its gas and output are the same on every call
(balances and allowances are kept far from zero, swaps alternate direction, each mint takes a fresh
id), so a timed call repeats the same work. A call's answer is its output, checked against the
workload's expected output on every engine and on pyrevm. Gas is not compared across runners:
pyrevm keeps accounts and slots warm from one call to the next where jitvm follows the specification
(docs/pyrevm-compat.md), so the same transaction costs pyrevm less gas. Engines are held equal to
the reference interpreter on these sessions by tests/bench/test_realworld.py instead.

    python -m jitvm.bench.realworld --write   # recompile the sources into bytecode.json
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jitvm.hashing import keccak256

CONTRACTS_DIR = Path(__file__).with_name("realworld_contracts")
BYTECODE_FILE = CONTRACTS_DIR / "bytecode.json"
VYPER_VERSION = "0.4.3"
SOURCES = ("token", "weth", "pair", "router", "multicall", "nft")

GROUP = "realworld"
TRUE = (1).to_bytes(32, "big")
RICH = 10**30  # every sender's ether
SUPPLY = 10**27  # every holder's tokens: no balance ever nears zero
RESERVE = 10**24  # the pair's reserves of each token
SWAP_AMOUNT = 10**18
BLOCK_SIZE = 1000
MANY_TRANSFERS = 5000


def _account(number: int) -> str:
    return "0x" + number.to_bytes(20, "big").hex()


ALICE, BOB, CAROL, SPENDER = _account(0xA11CE), _account(0xB0B), _account(0xCA201), _account(0x5BE4D)
FIRST_AIRDROP_RECEIVER = 0x10_0000  # transfer_many pays this address and the next 4,999


def minimal_proxy(implementation: str) -> bytes:
    """EIP-1167: runtime code that DELEGATECALLs every call to `implementation` and returns or
    reverts with its output."""
    return (bytes.fromhex("363d3d373d3d3d363d73") + bytes.fromhex(implementation[2:])
            + bytes.fromhex("5af43d82803e903d91602b57fd5bf3"))


# -- calldata ---------------------------------------------------------------------------------------

def _selector(signature: str) -> bytes:
    return keccak256(signature.encode())[:4]


def _word(value) -> bytes:
    if isinstance(value, str):
        value = int(value, 16)
    return value.to_bytes(32, "big")


def abi_call(signature: str, *arguments) -> bytes:
    """Calldata for a function whose arguments are all static words (addresses, integers)."""
    return _selector(signature) + b"".join(_word(argument) for argument in arguments)


def multicall_data(calls: list[tuple[str, bytes]]) -> bytes:
    """aggregate((address,bytes)[]) calldata (the ABI's dynamic encoding, written out)."""
    head = _word(32) + _word(len(calls))
    tails, offset = [], 32 * len(calls)
    offsets = []
    for target, data in calls:
        padded = data + bytes(-len(data) % 32)
        tail = _word(target) + _word(64) + _word(len(data)) + padded
        offsets.append(_word(offset))
        tails.append(tail)
        offset += len(tail)
    return _selector("aggregate((address,bytes)[])") + head + b"".join(offsets) + b"".join(tails)


def multicall_output(results: list[bytes]) -> bytes:
    """The ABI encoding of the bytes[] that aggregate returns."""
    head = _word(32) + _word(len(results))
    tails, offset, offsets = [], 32 * len(results), []
    for data in results:
        tail = _word(len(data)) + data + bytes(-len(data) % 32)
        offsets.append(_word(offset))
        tails.append(tail)
        offset += len(tail)
    return head + b"".join(offsets) + b"".join(tails)


# -- the contracts ----------------------------------------------------------------------------------

@cache
def initcodes() -> dict[str, bytes]:
    """name -> deployment bytecode, as committed in bytecode.json."""
    recorded = json.loads(BYTECODE_FILE.read_text())
    return {name: bytes.fromhex(entry["initcode"][2:]) for name, entry in recorded["contracts"].items()}


def compile_sources() -> dict[str, bytes]:
    """Compile every source with the installed vyper (ImportError if it is not installed)."""
    import vyper

    compiled = {}
    for name in SOURCES:
        source = (CONTRACTS_DIR / f"{name}.vy").read_text()
        output = vyper.compile_code(source, output_formats=["bytecode"])
        compiled[name] = bytes.fromhex(output["bytecode"][2:])
    return compiled


def write_bytecode() -> None:
    import vyper

    contracts = {name: {"initcode": "0x" + code.hex()} for name, code in compile_sources().items()}
    BYTECODE_FILE.write_text(json.dumps({"compiler": f"vyper {vyper.__version__}", "contracts": contracts},
                                        indent=1) + "\n")


# -- a session --------------------------------------------------------------------------------------

class Deployment:
    """The contracts of every workload, deployed on one EVM with balances that keep every later
    transaction in a steady state. `evm` is a jitvm.EVM or a pyrevm.EVM (same interface)."""

    def __init__(self, evm, account_info):
        self.evm = evm
        for holder in (ALICE, BOB, CAROL, SPENDER):
            evm.insert_account_info(holder, account_info(balance=RICH))
        code = initcodes()
        self.token = evm.deploy(ALICE, code["token"])
        self.token_b = evm.deploy(ALICE, code["token"])
        self.weth = evm.deploy(ALICE, code["weth"])
        self.pair = evm.deploy(ALICE, code["pair"])
        self.router = evm.deploy(ALICE, code["router"])
        self.multicall = evm.deploy(ALICE, code["multicall"])
        self.nft = evm.deploy(ALICE, code["nft"])
        self.proxy = _account(0x9E0C5)
        evm.insert_account_info(self.proxy, account_info(code=minimal_proxy(self.token)))
        self.stop_contract = _account(0x5709)
        evm.insert_account_info(self.stop_contract, account_info(code=b"\x00"))
        self.no_code = _account(0xE3E7)
        evm.insert_account_info(self.no_code, account_info(balance=1))

        for token in (self.token, self.token_b, self.proxy):
            for holder in (ALICE, BOB, CAROL):
                self.send(ALICE, token, abi_call("mint(address,uint256)", holder, SUPPLY))
                self.send(holder, token, abi_call("transfer(address,uint256)", ALICE, 1))  # nonzero both ways
            self.send(ALICE, token, abi_call("approve(address,uint256)", SPENDER, SUPPLY))
            self.send(ALICE, token, abi_call("approve(address,uint256)", self.router, SUPPLY))
        for token in (self.token, self.token_b):
            self.send(ALICE, token, abi_call("mint(address,uint256)", self.pair, RESERVE))
        self.send(ALICE, self.pair, abi_call("initialize(address,address)", self.token, self.token_b))
        self.send(ALICE, self.pair, abi_call("sync()"))
        self.send(ALICE, self.weth, abi_call("deposit()"), value=SUPPLY)
        self.send(BOB, self.weth, abi_call("deposit()"), value=SUPPLY)
        self.send(ALICE, self.nft, abi_call("mint(address)", ALICE))

    def send(self, caller: str, to: str, data: bytes, value: int = 0) -> bytes:
        return bytes(self.evm.message_call(caller, to, data, value=value))


def _calls(deployment: Deployment, name: str) -> list[tuple[str, str, bytes, int]]:
    """The (caller, to, data, value) transactions of workload `name` on `deployment`, in cycle order."""
    d = deployment
    if name == "erc20/transfer":
        return [(ALICE, d.token, abi_call("transfer(address,uint256)", BOB, 1), 0)]
    if name == "erc20/approve":
        return [(ALICE, d.token, abi_call("approve(address,uint256)", CAROL, amount), 0) for amount in (5, 7)]
    if name == "erc20/transferFrom":
        return [(SPENDER, d.token, abi_call("transferFrom(address,address,uint256)", ALICE, CAROL, 1), 0)]
    if name == "weth/deposit":
        return [(ALICE, d.weth, abi_call("deposit()"), 1)]
    if name == "weth/withdraw":
        return [(ALICE, d.weth, abi_call("withdraw(uint256)", 1), 0)]
    if name == "uniswap/swap":
        signature = "swap_exact_in(address,address,uint256,uint256,address)"
        return [(ALICE, d.router, abi_call(signature, d.pair, token_in, SWAP_AMOUNT, 1, ALICE), 0)
                for token_in in (d.token, d.token_b)]
    if name == "proxy/transfer":
        return [(ALICE, d.proxy, abi_call("transfer(address,uint256)", BOB, 1), 0)]
    if name == "multicall/balances":
        return [(CAROL, d.multicall, multicall_data(_multicall_reads(d)), 0)]
    if name == "nft/mint":
        return [(ALICE, d.nft, abi_call("mint(address)", ALICE), 0)]
    if name == "call/stop_contract":
        return [(ALICE, d.stop_contract, b"", 0)]
    if name == "call/no_code":
        return [(ALICE, d.no_code, b"", 0)]
    if name == "erc20/transfer_many_5000":
        return [(ALICE, d.token, abi_call("transfer_many(uint160,uint256,uint256)", FIRST_AIRDROP_RECEIVER,
                                          MANY_TRANSFERS, 1), 0)]
    if name == "block/1000_mixed":
        mix = [call for kind in BLOCK_MIX for call in _calls(d, kind)]
        return [mix[index % len(mix)] for index in range(BLOCK_SIZE)]
    raise KeyError(name)


def _multicall_reads(d: Deployment) -> list[tuple[str, bytes]]:
    """Reads whose answers no workload changes (an allowance nobody spends, a constant, a supply
    nobody mints after the deployment, the WETH of an account that never moves it)."""
    return [
        (d.token_b, abi_call("allowance(address,address)", ALICE, SPENDER)),
        (d.token, abi_call("decimals()")),
        (d.token_b, abi_call("totalSupply()")),
        (d.weth, abi_call("balanceOf(address)", BOB)),
    ]


# The kinds of transaction the mixed block cycles through (each contributes its whole cycle).
BLOCK_MIX = ("erc20/transfer", "erc20/approve", "erc20/transferFrom", "weth/deposit", "weth/withdraw",
             "uniswap/swap", "proxy/transfer", "multicall/balances", "nft/mint")

WORKLOAD_NAMES = ("erc20/transfer", "erc20/approve", "erc20/transferFrom", "weth/deposit", "weth/withdraw",
                  "uniswap/swap", "proxy/transfer", "multicall/balances", "nft/mint", "call/stop_contract",
                  "call/no_code", "erc20/transfer_many_5000", "block/1000_mixed")


def chosen_workloads(patterns: str, skip_long: bool = False) -> list[tuple[str, bool]]:
    """(name, long) of the workloads whose name holds one of the comma-separated `patterns` (all for
    ""); long ones (the 5,000-transfer call, the block) are marked, and left out with `skip_long`."""
    chosen = []
    for name in WORKLOAD_NAMES:
        long = "5000" in name or "block" in name
        if any(part in name for part in patterns.split(",")) and not (long and skip_long):
            chosen.append((name, long))
    return chosen


def expected_output(name: str) -> bytes:
    """What the last transaction of one call of workload `name` returns."""
    if name in ("weth/deposit", "weth/withdraw", "call/stop_contract", "call/no_code"):
        return b""
    if name == "multicall/balances":
        return multicall_output([_word(SUPPLY), _word(18), _word(3 * SUPPLY + RESERVE), _word(SUPPLY)])
    if name == "block/1000_mixed":
        mix = [kind for kind in BLOCK_MIX for _ in range(2 if kind in ("erc20/approve", "uniswap/swap") else 1)]
        return expected_output(mix[(BLOCK_SIZE - 1) % len(mix)])
    return TRUE


class Session:
    """One workload on one EVM: the deployment, then the workload's transactions in a cycle."""

    def __init__(self, name: str, evm, account_info):
        self.deployment = Deployment(evm, account_info)
        self.calls = _calls(self.deployment, name)
        self.per_call = BLOCK_SIZE if name.startswith("block/") else 1
        self.position = 0
        # Reach the steady state: one pass over the cycle makes every later write nonzero to nonzero.
        for _ in range(1 if self.per_call > 1 else len(self.calls)):
            self.run()

    def run(self) -> bytes:
        """One timed call: the next transaction (the next BLOCK_SIZE for a block). Raises the EVM's
        RuntimeError if a transaction reverts or halts."""
        send, calls = self.deployment.evm.message_call, self.calls
        position, count = self.position, len(calls)
        output = b""
        for _ in range(self.per_call):
            caller, to, data, value = calls[position]
            output = send(caller, to, data, value=value)
            position = position + 1 if position + 1 < count else 0
        self.position = position
        return bytes(output)


def new_evm(runner_name: str, engine=None):
    """(evm, AccountInfo) for a runner: pyrevm, or jitvm.EVM on the engine called runner_name."""
    if runner_name == "pyrevm":
        import pyrevm

        return pyrevm.EVM(), pyrevm.AccountInfo
    import jitvm

    return jitvm.EVM(engine=runner_name), jitvm.AccountInfo


@dataclass(frozen=True, slots=True)
class RealWorldCase:
    """A realworld workload for the bench harness (same fields as EvmCase where they apply)."""

    name: str
    expected_output: bytes
    group: str = GROUP
    kind = "evm"
    unit = "gas"
    expected_units = None  # not comparable with pyrevm's (see the module docstring)

    @property
    def key(self) -> str:
        return f"evm/{GROUP}/{self.name}"

    def describe_answer(self) -> str:
        return f"output 0x{self.expected_output.hex()[:16]}" + ("..." if len(self.expected_output) > 8 else "")

    def accepts(self, runner_name: str) -> bool:
        """Which runners can run a session: jitvm's engines and pyrevm (py-evm has no such API)."""
        return runner_name != "py-evm"

    def prepare_on(self, runner_name: str):
        """A call running the next transaction of this runner's session (created on first use)."""
        from jitvm.bench.runners import Observation

        session = _session(self.name, runner_name)

        def call() -> Observation:
            try:
                output = session.run()
            except RuntimeError as exc:
                return Observation(b"", None, f"{runner_name}: {str(exc)[:120]}")
            return Observation(output, None)

        return call


_SESSIONS: dict[tuple[str, str], Session] = {}


def _session(name: str, runner_name: str) -> Session:
    session = _SESSIONS.get((name, runner_name))
    if session is None:
        session = _SESSIONS[(name, runner_name)] = Session(name, *new_evm(runner_name))
    return session


def realworld_cases() -> list[RealWorldCase]:
    return [RealWorldCase(name, expected_output(name)) for name in WORKLOAD_NAMES]


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write"]:
        write_bytecode()
        print(f"wrote {BYTECODE_FILE}")
    else:
        sys.exit("usage: python -m jitvm.bench.realworld --write")
