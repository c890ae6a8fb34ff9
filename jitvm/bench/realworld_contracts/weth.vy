# pragma version 0.4.3
# Wrapped ether (the WETH9 interface): deposit ether for tokens, withdraw tokens for ether.

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    amount: uint256

event Deposit:
    owner: indexed(address)
    amount: uint256

event Withdrawal:
    owner: indexed(address)
    amount: uint256

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])


@external
@payable
def deposit():
    self.balanceOf[msg.sender] += msg.value
    log Deposit(owner=msg.sender, amount=msg.value)


@external
def withdraw(amount: uint256):
    self.balanceOf[msg.sender] -= amount
    send(msg.sender, amount)
    log Withdrawal(owner=msg.sender, amount=amount)


@external
def transfer(receiver: address, amount: uint256) -> bool:
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=msg.sender, receiver=receiver, amount=amount)
    return True


@view
@external
def totalSupply() -> uint256:
    return self.balance
