"""The CALL family's edge cases on every jitvm engine against pyrevm (an independent implementation).

The native engines serve CALL, CALLCODE, DELEGATECALL and STATICCALL with the reference's own
function (jitvm.evm.reference.instructions.system), so a differential test between jitvm's engines
cannot catch a mistake in it: pyrevm can. Each example is one call of one kind from a contract that
records what a program can see of it: the success flag, RETURNDATASIZE, the gas left after it (which
pins down every charge: memory expansion, cold access, value transfer, new account, the 63/64 rule
and the stipend), the first word written to its output region, and its own balance. Targets cover a
contract that stops, returns, reverts, runs out of gas or calls itself until the depth limit; an
account without code, one that does not exist, and precompiles. Values cover zero, some and more
than the caller has; the caller may itself run inside a STATICCALL (a CALL with value fails there).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jitvm
from tests.api.bytecode import assemble

pyrevm = pytest.importorskip("pyrevm")

pytestmark = pytest.mark.peers

SENDER = "0x" + "5e" * 20
OUTER = "0x" + "00" * 18 + "0f01"
CALLER = "0x" + "00" * 18 + "0c01"
TARGETS = {
    "stop": "0x" + "00" * 18 + "0a01",
    "returns": "0x" + "00" * 18 + "0a02",
    "reverts": "0x" + "00" * 18 + "0a03",
    "burns": "0x" + "00" * 18 + "0a04",
    "recurses": "0x" + "00" * 18 + "0a05",
    "no_code": "0x" + "00" * 18 + "0a06",
    "absent": "0x" + "00" * 18 + "0a07",
    "identity": "0x" + "00" * 19 + "04",
    "sha256": "0x" + "00" * 19 + "02",
    "ecrecover": "0x" + "00" * 19 + "01",
}
CALLER_BALANCE = 1000
KINDS = ("CALL", "CALLCODE", "DELEGATECALL", "STATICCALL")
WITH_VALUE = ("CALL", "CALLCODE")


def target_code(name: str) -> bytes:
    if name == "stop":
        return assemble("STOP")
    if name == "returns":  # 64 bytes: CALLVALUE, then CALLER
        return assemble("CALLVALUE", 0, "MSTORE", "CALLER", 32, "MSTORE", 64, 0, "RETURN")
    if name == "reverts":
        return assemble(0xDEAD, 0, "MSTORE", 32, 0, "REVERT")
    if name == "burns":  # an endless loop: runs out of whatever gas it has
        return assemble("JUMPDEST", 0, "JUMP")
    if name == "recurses":  # calls itself with all its gas until a call fails, then returns the depth reached
        return assemble(32, 0, 32, 0, 0, "ADDRESS", "GAS", "CALL", "POP",
                        0, "MLOAD", 1, "ADD", 0, "MSTORE", 32, 0, "RETURN")
    if name == "no_code":
        return b""
    raise ValueError(name)


def caller_code(kind: str, target: str, value: int, gas: int | None, args: tuple, returns: tuple) -> bytes:
    """One call of `kind`, then RETURN of six words: success, RETURNDATASIZE, GAS, the word at the
    output offset, SELFBALANCE, and 1 (the end was reached)."""
    out_offset, out_size = returns
    arguments = [out_size, out_offset, *reversed(args)]
    if kind in WITH_VALUE:
        arguments.append(value)
    arguments += [int(target, 16)]
    call = assemble(*arguments, "GAS" if gas is None else gas, kind)
    record = assemble("RETURNDATASIZE", "GAS", out_offset, "MLOAD", "SELFBALANCE")
    # stack: success, size, gas, word, balance -> memory words 0..4 (above the regions used), plus the marker
    base = 1 << 16
    store = assemble(*[part for index in range(4, -1, -1) for part in (base + 32 * index, "MSTORE")])
    return call + record + store + assemble(1, base + 160, "MSTORE", 192, base, "RETURN")


def outer_code() -> bytes:
    """STATICCALL the caller with all gas and return what it returned."""
    return assemble(0, 0, 0, 0, int(CALLER, 16), "GAS", "STATICCALL", "POP",
                    "RETURNDATASIZE", 0, 0, "RETURNDATACOPY", "RETURNDATASIZE", 0, "RETURN")


def run(module, engine: str | None, code: bytes, via_static: bool, gas_limit: int):
    evm = module.EVM() if engine is None else module.EVM(engine=engine, spec_id="CANCUN")
    info = module.AccountInfo
    evm.insert_account_info(SENDER, info(balance=10**18))
    evm.insert_account_info(CALLER, info(balance=CALLER_BALANCE, code=code))
    evm.insert_account_info(OUTER, info(code=outer_code()))
    for name, address in TARGETS.items():
        if name in ("stop", "returns", "reverts", "burns", "recurses"):
            evm.insert_account_info(address, info(code=target_code(name)))
        elif name == "no_code":
            evm.insert_account_info(address, info(balance=1))
    try:
        output = evm.message_call(SENDER, OUTER if via_static else CALLER, b"", gas=gas_limit)
        outcome = ("ok", bytes(output).hex())
    except RuntimeError as error:
        outcome = ("raised", str(error))
    result = evm.result
    return outcome, result.gas_used, result.is_success, evm.get_balance(CALLER), evm.get_balance(TARGETS["stop"])


regions = st.tuples(st.sampled_from([0, 31, 200, 5000]), st.sampled_from([0, 1, 32, 64, 300]))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kind=st.sampled_from(KINDS),
    target=st.sampled_from(sorted(TARGETS)),
    value=st.sampled_from([0, 1, CALLER_BALANCE, CALLER_BALANCE + 1]),
    gas=st.sampled_from([None, 0, 2300, 30_000, 10**9]),
    args=regions,
    returns=regions,
    via_static=st.booleans(),
)
def test_call_family_agrees_with_pyrevm(kind, target, value, gas, args, returns, via_static):
    gas_limit = 3_000_000 if target != "recurses" else 2**62  # enough to reach the depth limit
    code = caller_code(kind, TARGETS[target], value, gas, args, returns)
    expected = run(pyrevm, None, code, via_static, gas_limit)
    for engine in ("reference", "baseline", "jit"):
        assert run(jitvm, engine, code, via_static, gas_limit) == expected, engine
