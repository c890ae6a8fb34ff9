# pragma version 0.4.3
# The minting side of an ERC-721 collection: each mint takes the next id.

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    token_id: indexed(uint256)

ownerOf: public(HashMap[uint256, address])
balanceOf: public(HashMap[address, uint256])
totalSupply: public(uint256)


@external
def mint(receiver: address) -> bool:
    assert receiver != empty(address), "zero receiver"
    token_id: uint256 = self.totalSupply + 1
    self.totalSupply = token_id
    self.ownerOf[token_id] = receiver
    self.balanceOf[receiver] += 1
    log Transfer(sender=empty(address), receiver=receiver, token_id=token_id)
    return True
