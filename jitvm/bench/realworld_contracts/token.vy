# pragma version 0.4.3
# A plain ERC-20 token, as deployed countless times, plus `transfer_many` (one call doing many
# transfers, the shape of an airdrop or a batch payout). Anyone may mint: a benchmark token.

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    amount: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    amount: uint256

name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])


@deploy
def __init__():
    self.name = "Bench Token"
    self.symbol = "BENCH"
    self.decimals = 18


@external
def transfer(receiver: address, amount: uint256) -> bool:
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=msg.sender, receiver=receiver, amount=amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, amount=amount)
    return True


@external
def transferFrom(owner: address, receiver: address, amount: uint256) -> bool:
    self.allowance[owner][msg.sender] -= amount
    self.balanceOf[owner] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=owner, receiver=receiver, amount=amount)
    return True


@external
def mint(receiver: address, amount: uint256):
    self.totalSupply += amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=empty(address), receiver=receiver, amount=amount)


@external
def transfer_many(first_receiver: uint160, count: uint256, amount: uint256) -> bool:
    """Send `amount` to each of `count` consecutive addresses starting at `first_receiver`."""
    for index: uint256 in range(count, bound=10000):
        receiver: address = convert(first_receiver + convert(index, uint160), address)
        self.balanceOf[msg.sender] -= amount
        self.balanceOf[receiver] += amount
        log Transfer(sender=msg.sender, receiver=receiver, amount=amount)
    return True
