"""Deploy an ERC-20-style token with a contract-creation transaction, then transfer tokens and read
balances; the Transfer event comes back as a log. The same story runs on every EVM engine and must
come out the same.

    python examples/erc20_token.py

The token is hand-assembled below (no compiler needed) with a ten-line assembler that reads the
opcode table. It keeps balances where Solidity would keep `mapping(address => uint256)` at slot 0
(slot keccak256(address . 0)) and the total supply at slot 1, and answers
balanceOf(address), transfer(address,uint256) and totalSupply().
"""

from jitvm.evm.context import BlockEnv
from jitvm.evm.engines import ENGINE_NAMES, get_engine
from jitvm.evm.forks import get_fork
from jitvm.evm.opcodes import opcode_table
from jitvm.evm.state import Account, State
from jitvm.evm.transaction import Transaction, apply_transaction
from jitvm.hashing import keccak256

OPCODES = opcode_table("Cancun").by_name


def assemble(source: str) -> bytes:
    """One instruction or `label:` per line; `PUSHn @label` pushes a label's offset; `;` comments."""
    lines = [line.split(";")[0].split() for line in source.splitlines()]
    lines = [words for words in lines if words]
    labels, offset = {}, 0
    for words in lines:  # first pass: where each label lands
        if words[0].endswith(":"):
            labels[words[0][:-1]] = offset
        else:
            offset += 1 + OPCODES[words[0]].immediate_size
    code = bytearray()
    for words in lines:
        if words[0].endswith(":"):
            continue
        opcode = OPCODES[words[0]]
        code.append(opcode.byte)
        if opcode.immediate_size:
            value = labels[words[1][1:]] if words[1].startswith("@") else int(words[1], 0)
            code += value.to_bytes(opcode.immediate_size, "big")
    return bytes(code)


TRANSFER_TOPIC = keccak256(b"Transfer(address,address,uint256)")
ADDRESS_MASK = "0x" + "ff" * 20
# [address] -> [balance slot]: keccak256(address . 0), via memory 0..64
SLOT = """
    PUSH1 0x00
    MSTORE
    PUSH1 0x00
    PUSH1 0x20
    MSTORE
    PUSH1 0x40
    PUSH1 0x00
    KECCAK256
"""
RETURN_TOP = """
    PUSH1 0x00
    MSTORE
    PUSH1 0x20
    PUSH1 0x00
    RETURN
"""

RUNTIME = assemble(f"""
    PUSH1 0x00
    CALLDATALOAD
    PUSH1 0xe0
    SHR                       ; the 4-byte function selector
    DUP1
    PUSH4 0x70a08231          ; balanceOf(address)
    EQ
    PUSH2 @balance_of
    JUMPI
    DUP1
    PUSH4 0xa9059cbb          ; transfer(address,uint256)
    EQ
    PUSH2 @transfer
    JUMPI
    PUSH4 0x18160ddd          ; totalSupply()
    EQ
    PUSH2 @total_supply
    JUMPI
fail:
    JUMPDEST
    PUSH1 0x00
    DUP1
    REVERT

balance_of:
    JUMPDEST
    PUSH1 0x04
    CALLDATALOAD
    PUSH20 {ADDRESS_MASK}
    AND
    {SLOT}
    SLOAD
    {RETURN_TOP}

total_supply:
    JUMPDEST
    PUSH1 0x01
    SLOAD
    {RETURN_TOP}

transfer:
    JUMPDEST
    CALLER
    {SLOT}                    ; [from_slot]
    DUP1
    SLOAD                     ; [from_slot, from_balance]
    PUSH1 0x24
    CALLDATALOAD              ; [from_slot, from_balance, amount]
    DUP2
    DUP2
    GT                        ; amount > from_balance: revert
    PUSH2 @fail
    JUMPI
    SWAP1
    DUP2
    SWAP1
    SUB                       ; [from_slot, amount, from_balance - amount]
    DUP3
    SSTORE                    ; [from_slot, amount]
    SWAP1
    POP                       ; [amount]
    PUSH1 0x04
    CALLDATALOAD
    PUSH20 {ADDRESS_MASK}
    AND
    {SLOT}                    ; [amount, to_slot]
    DUP1
    SLOAD
    DUP3
    ADD
    SWAP1
    SSTORE                    ; [amount]
    PUSH1 0x00
    MSTORE                    ; the event's data: the amount
    PUSH1 0x04
    CALLDATALOAD
    PUSH20 {ADDRESS_MASK}
    AND                       ; topic 2: to
    CALLER                    ; topic 1: from
    PUSH32 0x{TRANSFER_TOPIC.hex()}
    PUSH1 0x20
    PUSH1 0x00
    LOG3
    PUSH1 0x01
    {RETURN_TOP}
""")

# The constructor: mint the supply (the last 32 bytes of the init code) to the deployer, then
# return the runtime code, which follows the constructor.
CONSTRUCTOR = f"""
    PUSH1 0x20
    PUSH1 0x20
    CODESIZE
    SUB
    PUSH1 0x00
    CODECOPY                  ; memory[0..32] = the supply argument
    PUSH1 0x00
    MLOAD
    DUP1
    PUSH1 0x01
    SSTORE                    ; total supply
    CALLER
    {SLOT}
    SSTORE                    ; balance of the deployer
    PUSH2 {len(RUNTIME)}
    PUSH2 @runtime
    PUSH1 0x00
    CODECOPY
    PUSH2 {len(RUNTIME)}
    PUSH1 0x00
    RETURN
"""
CONSTRUCTOR_CODE = assemble(CONSTRUCTOR + "runtime:")
INIT_CODE = CONSTRUCTOR_CODE + RUNTIME

ALICE = bytes.fromhex("a11ce00000000000000000000000000000000001")
BOB = bytes.fromhex("b0b0000000000000000000000000000000000002")
SUPPLY = 1_000_000 * 10**18


def word(value: int | bytes) -> bytes:
    return (int.from_bytes(value, "big") if isinstance(value, bytes) else value).to_bytes(32, "big")


def scenario(engine):
    """Deploy, transfer 250 tokens Alice -> Bob, then read both balances and the supply."""
    fork, block = get_fork("Cancun"), BlockEnv()
    state = State({ALICE: Account(balance=10**20)})
    nonce = iter(range(100))

    def send(to, data, gas_limit=300_000):
        tx = Transaction(sender=ALICE, to=to, nonce=next(nonce), gas_limit=gas_limit, gas_price=10, data=data)
        return apply_transaction(state, block, tx, fork, engine=engine)

    deployed = send(None, INIT_CODE + word(SUPPLY))
    assert deployed.is_success, deployed.status
    token = deployed.contract_address
    transfer = send(token, bytes.fromhex("a9059cbb") + word(BOB) + word(250 * 10**18))
    assert transfer.is_success and int.from_bytes(transfer.output, "big") == 1
    balances = {name: int.from_bytes(send(token, bytes.fromhex("70a08231") + word(who)).output, "big")
                for name, who in (("alice", ALICE), ("bob", BOB))}
    supply = int.from_bytes(send(token, bytes.fromhex("18160ddd")).output, "big")
    too_much = send(token, bytes.fromhex("a9059cbb") + word(BOB) + word(SUPPLY + 1))
    return token, deployed, transfer, balances, supply, too_much


def main():
    print(f"token: {len(INIT_CODE)} bytes of init code, {len(RUNTIME)} bytes of runtime code")
    results = {}
    for name in ENGINE_NAMES:
        token, deployed, transfer, balances, supply, too_much = results[name] = scenario(get_engine(name))
        summary = (token, deployed.gas_used, transfer.gas_used, balances, supply, too_much.status.name)
        if len(results) == 1:
            print(f"deployed at 0x{token.hex()} for {deployed.gas_used:,} gas")
            print(f"transfer(bob, 250e18) used {transfer.gas_used:,} gas and logged:")
            for log in transfer.logs:
                sender, recipient = (f"0x{topic:040x}" for topic in log.topics[1:])
                named = "Transfer" if log.topics[0] == int.from_bytes(TRANSFER_TOPIC, "big") else "?"
                print(f"  {named}(from={sender}, to={recipient}, value={int.from_bytes(log.data, 'big') / 1e18:g})")
            print(f"balanceOf(alice) = {balances['alice'] / 1e18:,.0f}, balanceOf(bob) = {balances['bob'] / 1e18:,.0f}, "
                  f"totalSupply() = {supply / 1e18:,.0f}")
            print(f"transferring more than the balance: {too_much.status.name.lower()}")
            first = summary
        else:
            assert summary == first, f"{name} disagrees with {ENGINE_NAMES[0]}"
    print(f"same results on every engine: {', '.join(results)}")


if __name__ == "__main__":
    main()
