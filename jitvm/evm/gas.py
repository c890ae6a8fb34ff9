"""Gas: the named constants and helpers for every dynamic cost (Paris and later).

Static gas per opcode is in opcodes/evm.toml. Everything here is charged on top of it, by every
engine, through these names; no engine writes a bare number.
"""

from __future__ import annotations

# Memory (yellow paper C_mem): 3 per word plus a quadratic term.
MEMORY_WORD = 3
MEMORY_QUADRATIC_DIVISOR = 512
# jitvm's cap on one frame's memory. Reaching it costs about 1.4e11 gas, far above any block gas limit;
# a frame that asks for more fails with out-of-gas on every engine, before anything is allocated.
MEMORY_LIMIT = 1 << 28

COPY_WORD = 3  # CALLDATACOPY, CODECOPY, EXTCODECOPY, RETURNDATACOPY, MCOPY, per word copied
KECCAK256_WORD = 6
EXP_BYTE = 50  # per byte of the exponent (EIP-160)
LOG_DATA_BYTE = 8  # LOG base and per-topic costs are static: 375 * (1 + topics)
BLOCKHASH_WINDOW = 256

# EIP-2929 access costs. The table charges the warm cost; a cold access adds the difference.
WARM_ACCESS = 100
COLD_ACCOUNT_ACCESS = 2600
COLD_SLOAD = 2100
COLD_ACCOUNT_SURCHARGE = COLD_ACCOUNT_ACCESS - WARM_ACCESS
COLD_SLOAD_SURCHARGE = COLD_SLOAD - WARM_ACCESS

# SSTORE (EIP-2200 as amended by EIP-2929 and EIP-3529).
SSTORE_SET = 20000
SSTORE_RESET = 5000 - COLD_SLOAD
SSTORE_STIPEND_GUARD = 2300  # SSTORE fails when no more than this much gas is left
SSTORE_CLEAR_REFUND = 4800  # EIP-3529 (London)

# Calls.
CALL_VALUE = 9000
CALL_STIPEND = 2300
NEW_ACCOUNT = 25000
CALL_DEPTH_LIMIT = 1024

# Contract creation.
CREATE = 32000
CODE_DEPOSIT_BYTE = 200
INITCODE_WORD = 2  # EIP-3860
MAX_CODE_SIZE = 0x6000  # EIP-170
MAX_INITCODE_SIZE = 2 * MAX_CODE_SIZE  # EIP-3860


# Transactions.
TX_BASE = 21000
TX_CREATE = 32000
TX_DATA_ZERO = 4
TX_DATA_NONZERO = 16
TX_ACCESS_LIST_ADDRESS = 2400
TX_ACCESS_LIST_STORAGE_KEY = 1900
REFUND_QUOTIENT = 5  # EIP-3529: refund at most a fifth of the gas used
# EIP-7623 (Prague): a transaction pays at least a floor price per calldata token (a zero byte is one
# token, any other byte four).
TOKENS_PER_NONZERO_BYTE = 4
FLOOR_PER_TOKEN = 10
# EIP-7825 (Osaka): no transaction may ask for more gas than this.
MAX_TRANSACTION_GAS = 1 << 24

# EIP-7702 (Prague): each authorization costs as much as creating an account; one whose authority
# already exists gets the difference back as a refund.
PER_EMPTY_ACCOUNT_COST = 25000
PER_AUTH_BASE_COST = 12500

# Blobs (EIP-4844); the target, maximum and fee fraction per fork are jitvm.evm.forks.BLOB_SCHEDULES.
GAS_PER_BLOB = 1 << 17
MIN_BLOB_BASE_FEE = 1
VERSIONED_HASH_VERSION_KZG = 1
BLOB_BASE_COST = 1 << 13  # EIP-7918 (Osaka): a blob's fee is bounded below by this much execution gas


def words(size: int) -> int:
    """Number of 32-byte words needed to hold `size` bytes."""
    return (size + 31) >> 5


def memory_cost(size_in_bytes: int) -> int:
    word_count = words(size_in_bytes)
    return MEMORY_WORD * word_count + word_count * word_count // MEMORY_QUADRATIC_DIVISOR


def memory_expansion_cost(current_size: int, offset: int, size: int) -> tuple[int, int]:
    """(gas, new memory size) to touch [offset, offset + size). Size 0 touches nothing.

    A region past MEMORY_LIMIT is priced beyond any gas (so the caller runs out of gas) without
    computing an astronomically large cost.
    """
    if size == 0:
        return 0, current_size
    end = offset + size
    if end <= current_size:
        return 0, current_size
    if end > MEMORY_LIMIT:
        return 1 << 256, current_size
    new_size = words(end) * 32
    return memory_cost(new_size) - memory_cost(current_size), new_size


def copy_cost(size: int) -> int:
    return COPY_WORD * words(size)


def exp_cost(exponent: int) -> int:
    return EXP_BYTE * ((exponent.bit_length() + 7) >> 3)


def keccak_cost(size: int) -> int:
    return KECCAK256_WORD * words(size)


def initcode_cost(size: int) -> int:
    return INITCODE_WORD * words(size)


def max_call_gas(gas_left: int) -> int:
    """All but one 64th of the gas left (EIP-150)."""
    return gas_left - gas_left // 64


def fake_exponential(factor: int, numerator: int, denominator: int) -> int:
    """Integer approximation of factor * e ** (numerator / denominator) (EIP-4844)."""
    index = 1
    output = 0
    accumulator = factor * denominator
    while accumulator > 0:
        output += accumulator
        accumulator = accumulator * numerator // (denominator * index)
        index += 1
    return output // denominator


def blob_base_fee(excess_blob_gas: int, update_fraction: int) -> int:
    """The price of a unit of blob gas (EIP-4844), with the fork's update fraction (EIP-7691)."""
    return fake_exponential(MIN_BLOB_BASE_FEE, excess_blob_gas, update_fraction)


def calldata_tokens(data: bytes) -> int:
    """EIP-7623's measure of calldata: a zero byte is one token, any other byte four."""
    zero_bytes = data.count(0)
    return zero_bytes + TOKENS_PER_NONZERO_BYTE * (len(data) - zero_bytes)


def calldata_floor(data: bytes) -> int:
    """EIP-7623: the least gas a transaction with this calldata pays (Prague on)."""
    return TX_BASE + FLOOR_PER_TOKEN * calldata_tokens(data)
