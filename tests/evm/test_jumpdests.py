"""The JUMPDEST analysis (jitvm.evm.jumpdests) against a byte-by-byte walk of the code."""

import random

import pytest

from jitvm.evm.jumpdests import (
    instruction_starts,
    jump_destinations,
    jumpdest_positions,
)

JUMPDEST, PUSH1, PUSH32 = 0x5B, 0x60, 0x7F


def walked_destinations(code: bytes) -> list[int]:
    """The definition, one instruction at a time."""
    return [pc for pc, op, _ in instruction_starts(code) if op == JUMPDEST]


def _random_code(rng: random.Random, size: int) -> bytes:
    # Dense in PUSHes and JUMPDESTs, so that immediates hide JUMPDESTs and other PUSHes often.
    alphabet = [JUMPDEST] * 4 + list(range(PUSH1, PUSH32 + 1)) + [0x00, 0x01, 0x56, 0x57]
    return bytes(rng.choice(alphabet) if rng.random() < 0.7 else rng.randrange(256) for _ in range(size))


@pytest.mark.parametrize("code", [
    b"", b"\x5b", b"\x60\x5b", b"\x60\x5b\x5b", b"\x7f" + b"\x5b" * 32 + b"\x5b", b"\x7f" + b"\x5b" * 10,
    b"\x61\x60\x5b\x5b", b"\x60\x60\x60\x5b\x5b", bytes([PUSH1]) * 9 + b"\x5b", b"\x5b\x00" * 5 + b"\x62",
    b"\x00" * 100, bytes([PUSH1, 0x00]) * 50 + b"\x5b",
])
def test_edge_cases_match_the_walk(code):
    assert list(jumpdest_positions(code)) == walked_destinations(code)
    assert jump_destinations(code) == frozenset(walked_destinations(code))


def test_random_codes_match_the_walk():
    rng = random.Random(14)
    for _ in range(300):
        code = _random_code(rng, rng.randrange(1, 600))
        assert list(jumpdest_positions(code)) == walked_destinations(code), code.hex()


def test_positions_are_read_only_and_shared():
    code = bytes([PUSH1, JUMPDEST, JUMPDEST])
    positions = jumpdest_positions(code)
    assert not positions.flags.writeable
    assert jumpdest_positions(bytes(code)) is positions  # found by the code's bytes, not analysed again
