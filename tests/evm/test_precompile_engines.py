"""Precompiles as contracts see them: a tiny contract CALLs one with a chosen gas and returns the call's
success flag and return data. Every engine must give the reference's outcome (status, output, gas
used), and the outcome must be the vector's: its output at exactly its gas, failure one gas short
(the whole gas gone), and failure for every failure vector.

The default run takes a sample: the first two vectors of each Prague/Osaka file (and of its failure
file) and the repriced MODEXP. Under --conformance every vector of every file whose rules hold in a
fork jitvm executes (all but EIP-198's MODEXP) runs on every engine.
"""

import json

import pytest

from jitvm.evm.calls import call_code
from jitvm.evm.engines import ENGINE_NAMES, get_engine
from jitvm.evm.forks import Fork, UnsupportedFork, get_fork
from jitvm.evm.opcodes import fork_index, opcode_table
from jitvm.evm.precompiles import precompile_addresses
from tests.conftest import FIXTURES

VECTORS = FIXTURES / "evm" / "precompiles"
SAMPLE_PER_FILE = 2
# stem -> (address, a fork in which the file's prices hold)
SAMPLED_FILES = {
    "blsG1Add": (0x0B, "Prague"),
    "blsG1MultiExp": (0x0C, "Prague"),
    "blsG2Add": (0x0D, "Prague"),
    "blsG2MultiExp": (0x0E, "Osaka"),
    "blsPairing": (0x0F, "Prague"),
    "blsMapG1": (0x10, "Osaka"),
    "blsMapG2": (0x11, "Prague"),
    "p256Verify": (0x100, "Osaka"),
    "modexp_eip7883": (0x05, "Osaka"),
}
ALL_FILES = {
    **SAMPLED_FILES,
    "ecRecover": (0x01, "Cancun"),
    "modexp_eip2565": (0x05, "Cancun"),
    "bn256Add": (0x06, "Cancun"),
    "bn256ScalarMul": (0x07, "Cancun"),
    "bn256Pairing": (0x08, "Cancun"),
    "blake2F": (0x09, "Cancun"),
    "pointEvaluation": (0x0A, "Cancun"),
    "blsG1Mul": (0x0C, "Osaka"),
    "blsG2Mul": (0x0E, "Prague"),
}
FAILURE_FILES = {"blake2f": ALL_FILES["blake2F"], **{stem: ALL_FILES[stem] for stem in ALL_FILES if stem.startswith("bls")}}
OTHER_ENGINES = [name for name in ENGINE_NAMES if name != "reference"]
CALLER_GAS = 100_000  # for the caller's own instructions, beyond memory and what it passes on


def fork(name: str) -> Fork:
    """The fork as the frame driver sees it. Prague and Osaka are not executable as transactions yet
    (their transaction rules are another branch's work); a message call only needs the fork's opcode
    table and precompiles, so until then the test builds the Fork as get_fork would."""
    try:
        return get_fork(name)
    except UnsupportedFork:
        numbers = precompile_addresses(name)
        return Fork(name, fork_index(name), opcode_table(name), numbers,
                     frozenset(number.to_bytes(20, "big") for number in numbers))


def caller_code(address: int) -> bytes:
    """Calldata is the call's gas (32 bytes) then the precompile's input. Returns a word holding
    CALL's success flag, then the return data."""
    op = {name: opcode.byte for name, opcode in opcode_table("Cancun").by_name.items()}
    address_bytes = address.to_bytes(2, "big")
    input_size = [op["PUSH1"], 32, op["CALLDATASIZE"], op["SUB"]]
    return bytes(
        input_size + [op["PUSH1"], 32, op["PUSH0"], op["CALLDATACOPY"]]  # memory[0:] = input
        + [op["PUSH0"], op["PUSH0"]] + input_size + [op["PUSH0"], op["PUSH0"]]  # ret 0 0, args 0 size, value 0
        + [op["PUSH2"], *address_bytes, op["PUSH0"], op["CALLDATALOAD"], op["CALL"]]
        + [op["PUSH0"], op["MSTORE"]]  # memory[0:32] = success
        + [op["RETURNDATASIZE"], op["PUSH0"], op["PUSH1"], 32, op["RETURNDATACOPY"]]
        + [op["RETURNDATASIZE"], op["PUSH1"], 32, op["ADD"], op["PUSH0"], op["RETURN"]]
    )


def caller_gas(data: bytes, call_gas: int) -> int:
    """Enough for the caller to copy `data` to memory (twice over) and still pass on `call_gas` after
    keeping back the 1/64 that CALL must leave (EIP-150)."""
    words = (len(data) + 31) // 32
    memory = 3 * words + words * words // 512
    return CALLER_GAS + 2 * memory + call_gas + call_gas // 32


def outcome(engine_name: str, address: int, data: bytes, call_gas: int, fork_name: str) -> tuple:
    result = call_code(caller_code(address), call_gas.to_bytes(32, "big") + data, gas=caller_gas(data, call_gas),
                       engine=get_engine(engine_name), fork=fork(fork_name))
    return result.status, result.output, result.gas_used


def load(stem: str, count: int | None = SAMPLE_PER_FILE) -> list:
    path = VECTORS / f"{stem}.json"
    if not path.exists():
        pytest.skip(f"fixture {path} not found")
    return json.loads(path.read_text())[:count]


SUCCESS = (1).to_bytes(32, "big")
FAILURE = bytes(32)


def check_vectors(engine_name: str, stem: str, vectors: list) -> None:
    address, fork_name = ALL_FILES[stem]
    for vector in vectors:
        data, gas = bytes.fromhex(vector["Input"]), vector["Gas"]
        exact = outcome("reference", address, data, gas, fork_name)
        assert exact[1] == SUCCESS + bytes.fromhex(vector["Expected"]), vector["Name"]
        # The precompile takes its price and returns the rest: with more gas the caller uses the same.
        more = outcome("reference", address, data, gas + 1000, fork_name)
        assert more == exact, vector["Name"]
        calls = [(gas, exact), (gas + 1000, more)]
        if gas > 0:
            short = outcome("reference", address, data, gas - 1, fork_name)
            assert short[1] == FAILURE, vector["Name"]
            calls.append((gas - 1, short))
        for call_gas, expected in calls:
            assert outcome(engine_name, address, data, call_gas, fork_name) == expected, vector["Name"]


def check_failure_vectors(engine_name: str, stem: str, vectors: list) -> None:
    address, fork_name = FAILURE_FILES[stem]
    call_gas = 200_000
    for vector in vectors:
        data = bytes.fromhex(vector["Input"])
        reference = outcome("reference", address, data, call_gas, fork_name)
        assert reference[1] == FAILURE, vector["Name"]
        assert outcome(engine_name, address, data, call_gas, fork_name) == reference, vector["Name"]


@pytest.mark.parametrize("stem", SAMPLED_FILES)
@pytest.mark.parametrize("engine_name", OTHER_ENGINES)
def test_vectors_through_a_call_on_every_engine(engine_name, stem):
    check_vectors(engine_name, stem, load(stem))


@pytest.mark.parametrize("stem", [stem for stem in SAMPLED_FILES if stem in FAILURE_FILES])
@pytest.mark.parametrize("engine_name", OTHER_ENGINES)
def test_failure_vectors_through_a_call_on_every_engine(engine_name, stem):
    check_failure_vectors(engine_name, stem, load(f"fail-{stem}"))


@pytest.mark.conformance
@pytest.mark.parametrize("stem", ALL_FILES)
@pytest.mark.parametrize("engine_name", OTHER_ENGINES)
def test_all_vectors_through_a_call_on_every_engine(engine_name, stem):
    check_vectors(engine_name, stem, load(stem, count=None))


@pytest.mark.conformance
@pytest.mark.parametrize("stem", FAILURE_FILES)
@pytest.mark.parametrize("engine_name", OTHER_ENGINES)
def test_all_failure_vectors_through_a_call_on_every_engine(engine_name, stem):
    check_failure_vectors(engine_name, stem, load(f"fail-{stem}", count=None))
