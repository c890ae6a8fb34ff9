"""Gas rules shared by several precompiles: a fixed price, or a base plus a price per 32-byte word."""

from collections.abc import Callable

GasRule = Callable[[bytes], int]


def word_count(length: int) -> int:
    """32-byte words needed to hold `length` bytes (the last one partly filled)."""
    return (length + 31) // 32


def fixed_gas(cost: int) -> GasRule:
    def gas(data: bytes) -> int:
        return cost

    return gas


def gas_per_word(base: int, word: int) -> GasRule:
    """`base + word * words(input)`: the hash and copy precompiles."""

    def gas(data: bytes) -> int:
        return base + word * word_count(len(data))

    return gas
