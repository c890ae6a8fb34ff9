"""The JIT finds a code's heat and compiled code by the code's bytes (JitEngine._latest, the compile
layer's table), never by the account that holds it: a code replaced at an address, an address
destroyed and created again with other code (SELFDESTRUCT, then CREATE2), and two accounts holding
the same code all run what the account holds now. Each run on "jit" (compiled after a few
instructions, tests/conftest.py) and "auto" (compiled once hot) equals the reference's."""

from __future__ import annotations

import jitvm
from jitvm.api import AccountInfo
from jitvm.evm.engines import get_engine
from tests.api.bytecode import assemble

SENDER = "0x" + "5e" * 20
TARGET = "0x" + "00" * 18 + "7a01"
TWIN = "0x" + "00" * 18 + "7a02"
CALLER = "0x" + "00" * 18 + "ca01"
FACTORY = "0x" + "00" * 18 + "fac7"
HOT = 70  # calls that make a code hot on "auto" (HOT_CALLS is 64)
ENGINES = ("jit", "auto")


def returns(value: int, filler: int = 0) -> bytes:
    """A code that returns `value` as a word (`filler` STOPs after it make codes of other lengths)."""
    return assemble(value, 0, "MSTORE", 32, 0, "RETURN") + bytes(filler)


def calls(target: str) -> bytes:
    """A code that calls `target` and returns the first word of its output."""
    return assemble(32, 0, 0, 0, 0, int(target, 16), "GAS", "CALL", "POP", 32, 0, "RETURN")


def new_evm(engine: str):
    evm = jitvm.EVM(engine=engine)
    evm.insert_account_info(SENDER, AccountInfo(balance=10**18))
    return evm


def run_all(engine: str, script) -> list:
    """The outputs of `script(evm, settle)`, where settle() lets the engine finish compiling."""
    evm = new_evm(engine)

    def settle():
        if engine != "reference":
            get_engine(engine).settle()

    return script(evm, settle)


def same_on_every_engine(script) -> list:
    expected = run_all("reference", script)
    for engine in ENGINES:
        assert run_all(engine, script) == expected, engine
    return expected


def test_a_code_replaced_at_the_same_address_runs_the_new_code():
    first, second = returns(0xA1), returns(0xB2, filler=5)

    def script(evm, settle):
        evm.insert_account_info(TARGET, AccountInfo(code=first))
        evm.insert_account_info(CALLER, AccountInfo(code=calls(TARGET)))
        outputs = [evm.message_call(SENDER, address) for _ in range(HOT) for address in (TARGET, CALLER)]
        settle()
        outputs += [evm.message_call(SENDER, address) for address in (TARGET, CALLER)]
        evm.insert_account_info(TARGET, AccountInfo(code=second))  # redeployed in place
        outputs += [evm.message_call(SENDER, address) for _ in range(HOT) for address in (TARGET, CALLER)]
        settle()
        outputs += [evm.message_call(SENDER, address) for address in (TARGET, CALLER)]
        return outputs

    outputs = same_on_every_engine(script)
    assert set(outputs[: 2 * HOT + 2]) == {(0xA1).to_bytes(32, "big")}
    assert set(outputs[2 * HOT + 2 :]) == {(0xB2).to_bytes(32, "big")}


def test_two_accounts_with_the_same_code_keep_their_own_address_and_storage(monkeypatch):
    from jitvm.evm.jit import engine as jit_engine

    # Keep it compiled: its review (jit_engine._review) would send a code this short, whose SLOAD
    # hands over to the kernel, to the baseline.
    monkeypatch.setattr(jit_engine, "MIN_STEPS_PER_HANDOVER", 0)
    monkeypatch.setattr(jit_engine, "MIN_STEPS_PER_FRAME", 0)  # (nor for its short frames)
    # A JUMPDEST after the RETURN (never reached): jit and auto leave a code without one to the baseline.
    code = assemble(0, "SLOAD", 0, "MSTORE", "ADDRESS", 32, "MSTORE", 64, 0, "RETURN", "JUMPDEST")

    def script(evm, settle):
        for address, value in ((TARGET, 7), (TWIN, 9)):
            evm.insert_account_info(address, AccountInfo(code=code))
            evm.insert_account_storage(address, 0, value)
        outputs = [evm.message_call(SENDER, address) for _ in range(HOT) for address in (TARGET, TWIN)]
        settle()
        return outputs + [evm.message_call(SENDER, address) for address in (TARGET, TWIN)]

    outputs = same_on_every_engine(script)
    assert outputs[-2][:32] == (7).to_bytes(32, "big") and outputs[-1][:32] == (9).to_bytes(32, "big")
    assert outputs[-2][32:] != outputs[-1][32:]
    heat = get_engine("jit").heat(code, jitvm.EVM()._fork.name)
    assert heat.state == "compiled"  # both accounts ran the one compiled code


def runtime(marker: int) -> bytes:
    """Returns `marker` as a word; with calldata, SELFDESTRUCTs to its caller (17 bytes; the marker
    is the byte at offset 5)."""
    code = bytes.fromhex("36600e576000600052602060" "00f35b33ff")
    return code[:5] + bytes([marker]) + code[6:]


# Initcode whose runtime's marker is CALLVALUE: the same initcode, so CREATE2 with the same salt
# gives the same address, deploys different code for different values.
INITCODE = (bytes([0x70]) + runtime(0) + assemble("CALLVALUE") + bytes.fromhex("6058") + assemble("SHL", "OR")
            + bytes.fromhex("6078") + assemble("SHL") + bytes.fromhex("600052601160") + bytes.fromhex("00f3"))


def factory() -> bytes:
    """CREATE2(value = calldata word 0, INITCODE, salt 0); call the new contract; if calldata word 1
    is not zero call it again with one byte (it SELFDESTRUCTs, in the transaction that created it:
    the account is gone afterwards, EIP-6780); return (its first output, its address)."""
    skip = start = 0
    for _ in range(2):  # offsets fit a PUSH1 whatever they are: the second pass places them
        head = assemble(len(INITCODE), start, 0, "CODECOPY", 0, len(INITCODE), 0, 0, "CALLDATALOAD", "CREATE2",
                        32, 64, 0, 0, 0, "DUP6", "GAS", "CALL", "POP", 32, "CALLDATALOAD", "ISZERO", skip, "JUMPI")
        kill = assemble(0, 0, 1, 0, 0, "DUP6", "GAS", "CALL", "POP")
        tail = assemble("JUMPDEST", 96, "MSTORE", 64, 64, "RETURN")
        skip, start = len(head) + len(kill), len(head) + len(kill) + len(tail)
    return head + kill + tail + INITCODE


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def test_selfdestruct_then_create2_at_the_same_address_runs_the_new_code():
    first, second = runtime(0xAA), runtime(0xBB)
    assert len(INITCODE) == 34

    def script(evm, settle):
        evm.insert_account_info(FACTORY, AccountInfo(balance=10**6, code=factory()))
        evm.insert_account_info(TWIN, AccountInfo(code=first))  # the first code, hot before it is created
        outputs = [evm.message_call(SENDER, TWIN) for _ in range(HOT)]
        settle()
        created = evm.message_call(SENDER, FACTORY, word(0xAA) + word(1))  # create, call, destroy
        outputs.append(created)
        address = "0x" + created[-20:].hex()
        assert evm.get_code(address) in (None, b"")
        outputs.append(evm.message_call(SENDER, FACTORY, word(0xBB) + word(0)))  # the same address again
        assert evm.get_code(address) == second
        outputs += [evm.message_call(SENDER, address) for _ in range(HOT)]
        settle()
        return outputs + [evm.message_call(SENDER, address), evm.message_call(SENDER, TWIN)]

    outputs = same_on_every_engine(script)
    assert outputs[HOT][:32] == word(0xAA) and outputs[HOT + 1][:32] == word(0xBB)
    assert outputs[HOT][32:] == outputs[HOT + 1][32:]  # one address
    assert set(outputs[HOT + 2 : -1]) == {word(0xBB)} and outputs[-1] == word(0xAA)
