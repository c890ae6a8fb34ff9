# pragma version 0.4.3
# A router in the shape of Uniswap V2's: quote the output of an exact input, move the input from
# the caller to the pair, and have the pair pay the output out.
from ethereum.ercs import IERC20

interface Pair:
    def token0() -> address: view
    def reserve0() -> uint256: view
    def reserve1() -> uint256: view
    def swap(amount0_out: uint256, amount1_out: uint256, receiver: address): nonpayable


@pure
@internal
def _amount_out(amount_in: uint256, reserve_in: uint256, reserve_out: uint256) -> uint256:
    with_fee: uint256 = amount_in * 997
    return with_fee * reserve_out // (reserve_in * 1000 + with_fee)


@external
def swap_exact_in(pair: address, token_in: address, amount_in: uint256, min_out: uint256,
                  receiver: address) -> bool:
    reserve0: uint256 = staticcall Pair(pair).reserve0()
    reserve1: uint256 = staticcall Pair(pair).reserve1()
    if token_in == staticcall Pair(pair).token0():
        amount_out: uint256 = self._amount_out(amount_in, reserve0, reserve1)
        assert amount_out >= min_out, "slippage"
        assert extcall IERC20(token_in).transferFrom(msg.sender, pair, amount_in)
        extcall Pair(pair).swap(0, amount_out, receiver)
    else:
        amount_out: uint256 = self._amount_out(amount_in, reserve1, reserve0)
        assert amount_out >= min_out, "slippage"
        assert extcall IERC20(token_in).transferFrom(msg.sender, pair, amount_in)
        extcall Pair(pair).swap(amount_out, 0, receiver)
    return True
