# pragma version ~=0.4.0
# A constant-product pool (x * y = k, 0.3% fee) over two ERC-20 tokens, for the client examples.

from ethereum.ercs import IERC20

FEE_NUMERATOR: constant(uint256) = 997
FEE_DENOMINATOR: constant(uint256) = 1000

token0: public(IERC20)
token1: public(IERC20)
reserve0: public(uint256)
reserve1: public(uint256)
totalShares: public(uint256)
shares: public(HashMap[address, uint256])


@deploy
def __init__(token0: address, token1: address):
    self.token0 = IERC20(token0)
    self.token1 = IERC20(token1)


@external
def add_liquidity(amount0: uint256, amount1: uint256) -> uint256:
    assert amount0 > 0 and amount1 > 0, "empty deposit"
    minted: uint256 = 0
    if self.totalShares == 0:
        minted = isqrt(amount0 * amount1)
    else:
        minted = min(amount0 * self.totalShares // self.reserve0, amount1 * self.totalShares // self.reserve1)
    assert minted > 0, "too small"
    extcall self.token0.transferFrom(msg.sender, self, amount0)
    extcall self.token1.transferFrom(msg.sender, self, amount1)
    self.reserve0 += amount0
    self.reserve1 += amount1
    self.totalShares += minted
    self.shares[msg.sender] += minted
    return minted


@view
@external
def quote(amount_in: uint256, zero_for_one: bool) -> uint256:
    return self._quote(amount_in, zero_for_one)


@internal
@view
def _quote(amount_in: uint256, zero_for_one: bool) -> uint256:
    reserve_in: uint256 = self.reserve0 if zero_for_one else self.reserve1
    reserve_out: uint256 = self.reserve1 if zero_for_one else self.reserve0
    with_fee: uint256 = amount_in * FEE_NUMERATOR
    return with_fee * reserve_out // (reserve_in * FEE_DENOMINATOR + with_fee)


@external
def swap(amount_in: uint256, zero_for_one: bool, min_out: uint256) -> uint256:
    amount_out: uint256 = self._quote(amount_in, zero_for_one)
    assert amount_out >= min_out, "slippage"
    if zero_for_one:
        extcall self.token0.transferFrom(msg.sender, self, amount_in)
        extcall self.token1.transfer(msg.sender, amount_out)
        self.reserve0 += amount_in
        self.reserve1 -= amount_out
    else:
        extcall self.token1.transferFrom(msg.sender, self, amount_in)
        extcall self.token0.transfer(msg.sender, amount_out)
        self.reserve1 += amount_in
        self.reserve0 -= amount_out
    return amount_out


@external
def remove_liquidity(share: uint256) -> (uint256, uint256):
    assert self.shares[msg.sender] >= share, "not enough shares"
    amount0: uint256 = share * self.reserve0 // self.totalShares
    amount1: uint256 = share * self.reserve1 // self.totalShares
    self.shares[msg.sender] -= share
    self.totalShares -= share
    self.reserve0 -= amount0
    self.reserve1 -= amount1
    extcall self.token0.transfer(msg.sender, amount0)
    extcall self.token1.transfer(msg.sender, amount1)
    return amount0, amount1
