"""Memory expansion on both JIT tiers: the QUICK tier calls codegen.MEMORY_EXPANSION (MLOAD, MSTORE and
MSTORE8 through codegen.MEMORY_ACCESSES, which read their operands from the stack rows), the OPTIMIZED
tier computes it inline (codegen.FunctionWriter.expand_inline), unless the code is large
(EvmGenerator.large_module_bytes: "large" below, written compact as the QUICK tier). Each code runs with
the code held at one tier, against the reference, at every gas limit around its cost (out of gas
inside an expansion, offsets of 2**32 and more, memory past the first buffer, copies that charge with
the expansion)."""

import pytest

from jitvm.evm import DEFAULT_FORK
from jitvm.evm.calls import call_code
from jitvm.evm.jit import compile as evm_compile
from jitvm.evm.jit.engine import JitEngine
from jitvm.jit import ObjectCache
from jitvm.jit.compiler import LargeModuleIr
from jitvm.jit.layer import OPTIMIZED, QUICK

from tests.evm.test_evm_jit_engine import assemble

CODES = [
    # growing offsets, as memory_grow_mstore / _mload (offset and step from the calldata)
    assemble("PUSH1", 0, "CALLDATALOAD", "PUSH1", 32, "CALLDATALOAD", *(["DUP1", "DUP1", "MSTORE", "DUP2", "ADD"] * 6),
             *(["DUP1", "MLOAD", "POP", "DUP2", "ADD"] * 3), "MSIZE", "PUSH1", 0, "MSTORE8", "PUSH1", 1, "PUSH1", 0,
             "RETURN"),
    assemble("PUSH4", 0xFFFFFFFF, "MLOAD"),  # unpayable
    assemble("PUSH5", 1 << 32, "MLOAD"),  # out of reach: the kernel
    assemble("PUSH3", 0x100000, "MLOAD", "PUSH1", 1, "PUSH2", 0x1000, "MSTORE", "MSIZE", "PUSH1", 0, "MSTORE8",
             "PUSH1", 1, "PUSH1", 0, "RETURN"),  # past the first buffer
    assemble("PUSH1", 60, "PUSH1", 30, "PUSH1", 0x70, "CALLDATACOPY", "PUSH1", 40, "PUSH1", 45, "PUSH2", 0x260,
             "CODECOPY", "PUSH1", 64, "PUSH1", 0x10, "PUSH2", 0x400, "MCOPY", "PUSH1", 40, "PUSH2", 0x3F0,
             "KECCAK256", "PUSH1", 0, "MSTORE", "PUSH1", 0x80, "PUSH2", 0x1F0, "RETURN"),
    # stack rows changed before a declined access (SWAP, DUP, results), a loaded word used in the
    # same block, MSTORE8 at growing offsets, an access to memory an earlier one covered
    assemble("PUSH1", 7, "PUSH1", 0, "CALLDATALOAD", "PUSH1", 9, "SWAP2", "DUP2", "MLOAD", "ADD", "DUP1", "PUSH1", 64,
             "MSTORE", "PUSH1", 64, "MLOAD", "DUP3", "MSTORE8", "DUP2", "DUP2", "ADD", "MSTORE8", "PUSH1", 32,
             "CALLDATALOAD", "DUP1", "MLOAD", "SWAP1", "MSTORE", "MSIZE", "PUSH1", 0, "MSTORE", "PUSH1", 96,
             "PUSH1", 0, "RETURN"),
    assemble("PUSH1", 1, "PUSH1", 0, "CALLDATALOAD", "DUP2", "DUP2", "MSTORE8", "PUSH4", 0xFFFFFFFF, "MSTORE8", "STOP"),
]
CALLDATA = (100).to_bytes(32, "big") + (48).to_bytes(32, "big")


@pytest.mark.parametrize("tier", [QUICK, OPTIMIZED, "large"])
@pytest.mark.parametrize("index", range(len(CODES)))
def test_memory_expansion_matches_the_reference_on_each_tier(tier, index, monkeypatch):
    code = CODES[index]
    subject = (code, DEFAULT_FORK)
    if tier == "large":
        monkeypatch.setattr(evm_compile.LAYER.generator, "large_module_bytes", 0)
        assert isinstance(evm_compile.LAYER.generator.generate(subject, OPTIMIZED), LargeModuleIr)
        tier = OPTIMIZED
    evm_compile.LAYER.install(subject, evm_compile.LAYER.build(subject, ObjectCache(enabled=False), tier))
    assert evm_compile.loaded(code, DEFAULT_FORK).tier == tier
    engine = JitEngine()
    full = call_code(code, CALLDATA, gas=10**6).gas_used
    for gas in sorted({0, 1, 2, 3, full // 3, full // 2, full - 4, full - 3, full - 1, full, full + 1} - {-1}):
        expected = call_code(code, CALLDATA, gas=gas)
        actual = call_code(code, CALLDATA, gas=gas, engine=engine)
        assert (actual.status, actual.output, actual.gas_used) == (expected.status, expected.output,
                                                                   expected.gas_used), gas
        assert evm_compile.loaded(code, DEFAULT_FORK).tier == tier  # (no upgrade in between)
