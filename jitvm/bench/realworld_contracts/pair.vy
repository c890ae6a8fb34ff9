# pragma version 0.4.3
# A constant-product pair in the shape of Uniswap V2's: tokens are sent to the pair first, then
# `swap` pays out and checks that the product of the balances (less a 0.3% fee on what came in)
# has not decreased.
from ethereum.ercs import IERC20

event Swap:
    sender: indexed(address)
    amount0_in: uint256
    amount1_in: uint256
    amount0_out: uint256
    amount1_out: uint256
    receiver: indexed(address)

event Sync:
    reserve0: uint256
    reserve1: uint256

token0: public(address)
token1: public(address)
reserve0: public(uint256)
reserve1: public(uint256)
unlocked: uint256


@external
def initialize(token0: address, token1: address):
    assert self.token0 == empty(address), "initialized"
    self.token0 = token0
    self.token1 = token1
    self.unlocked = 1


@external
def sync():
    self.reserve0 = staticcall IERC20(self.token0).balanceOf(self)
    self.reserve1 = staticcall IERC20(self.token1).balanceOf(self)
    log Sync(reserve0=self.reserve0, reserve1=self.reserve1)


@external
def swap(amount0_out: uint256, amount1_out: uint256, receiver: address):
    assert self.unlocked == 1, "locked"
    self.unlocked = 2
    assert amount0_out > 0 or amount1_out > 0, "insufficient output"
    reserve0: uint256 = self.reserve0
    reserve1: uint256 = self.reserve1
    assert amount0_out < reserve0 and amount1_out < reserve1, "insufficient liquidity"
    if amount0_out > 0:
        assert extcall IERC20(self.token0).transfer(receiver, amount0_out)
    if amount1_out > 0:
        assert extcall IERC20(self.token1).transfer(receiver, amount1_out)
    balance0: uint256 = staticcall IERC20(self.token0).balanceOf(self)
    balance1: uint256 = staticcall IERC20(self.token1).balanceOf(self)
    amount0_in: uint256 = 0
    amount1_in: uint256 = 0
    if balance0 > reserve0 - amount0_out:
        amount0_in = balance0 - (reserve0 - amount0_out)
    if balance1 > reserve1 - amount1_out:
        amount1_in = balance1 - (reserve1 - amount1_out)
    assert amount0_in > 0 or amount1_in > 0, "insufficient input"
    adjusted0: uint256 = balance0 * 1000 - amount0_in * 3
    adjusted1: uint256 = balance1 * 1000 - amount1_in * 3
    assert adjusted0 * adjusted1 >= reserve0 * reserve1 * 1000 * 1000, "K"
    self.reserve0 = balance0
    self.reserve1 = balance1
    log Sync(reserve0=balance0, reserve1=balance1)
    log Swap(sender=msg.sender, amount0_in=amount0_in, amount1_in=amount1_in, amount0_out=amount0_out,
             amount1_out=amount1_out, receiver=receiver)
    self.unlocked = 1
