"""MCOPY in compiled code (codegen.memory_copy) against the reference interpreter: overlapping
moves both ways, memory growth to the farther range, empty and out-of-reach copies (left to the
kernel), and every amount of gas around the dynamic cost."""

import pytest

from jitvm.evm.calls import call_code
from jitvm.evm.jit.engine import JitEngine
from jitvm.evm.opcodes import opcode_table

TABLE = opcode_table("Cancun").by_name


def assemble(*parts) -> bytes:
    """Mnemonics and ints; an int after a PUSHn mnemonic is its immediate."""
    code = bytearray()
    size = 0
    for part in parts:
        if isinstance(part, int):
            code += part.to_bytes(size, "big")
            size = 0
        else:
            code.append(TABLE[part].byte)
            size = TABLE[part].immediate_size
    return bytes(code)


def mcopy_then_return(destination: int, source: int, size: int, returned: int = 96) -> bytes:
    """Fill memory[0:64] with a pattern, MCOPY, return memory[0:returned] and MSIZE after it."""
    return assemble("PUSH32", int.from_bytes(bytes(range(1, 33)), "big"), "PUSH1", 0, "MSTORE",
                    "PUSH32", int.from_bytes(bytes(range(33, 65)), "big"), "PUSH1", 32, "MSTORE",
                    "PUSH4", size, "PUSH4", source, "PUSH4", destination, "MCOPY",
                    "MSIZE", "PUSH2", returned, "MSTORE", "PUSH2", returned + 32, "PUSH1", 0, "RETURN")


CASES = [
    (0, 0, 64),  # in place
    (1, 0, 40),  # overlapping, forwards
    (0, 3, 50),  # overlapping, backwards
    (64, 0, 64),  # grows memory through the destination
    (0, 200, 33),  # grows memory through the source (reads zeros)
    (5, 7, 0),  # empty: no growth (the kernel does it)
    (10, 20, 1),
]


@pytest.fixture(scope="module")
def jit():
    return JitEngine()  # compiles every code before its first frame


def same_as_reference(jit, code: bytes, gas: int):
    expected = call_code(code, b"", gas=gas)
    actual = call_code(code, b"", gas=gas, engine=jit)
    assert (actual.status, actual.output, actual.gas_used) == (expected.status, expected.output, expected.gas_used), gas
    return expected


@pytest.mark.parametrize("destination,source,size", CASES)
def test_mcopy_matches_the_reference(jit, destination, source, size):
    code = mcopy_then_return(destination, source, size, returned=max(96, destination + size, source + size))
    full = same_as_reference(jit, code, 100_000)
    assert full.status.name == "SUCCESS"
    for gas in range(full.gas_used - 40, full.gas_used + 2):  # around the MCOPY's and the RETURN's costs
        same_as_reference(jit, code, gas)


def test_mcopy_out_of_reach_is_left_to_the_kernel(jit):
    """Offsets of 2**32 and more are not compiled: the kernel fails the frame with out of gas."""
    code = assemble("PUSH1", 1, "PUSH5", 1 << 32, "PUSH1", 0, "MCOPY", "STOP")
    assert same_as_reference(jit, code, 1_000_000).status.name != "SUCCESS"
    code = assemble("PUSH1", 0, "PUSH5", 1 << 32, "PUSH1", 0, "MCOPY", "STOP")  # empty: no expansion
    assert same_as_reference(jit, code, 1_000_000).status.name == "SUCCESS"
