"""Rent: the rent-exempt minimum and the rent states a transaction may move an account between."""

from __future__ import annotations

import struct
from dataclasses import dataclass

ACCOUNT_STORAGE_OVERHEAD = 128  # bytes every account is charged for besides its data


@dataclass(frozen=True)
class Rent:
    lamports_per_byte: int = 6960  # LiteSVM's (Agave 4) default, with an exemption threshold of 1.0
    exemption_threshold: float = 1.0
    burn_percent: int = 50

    def minimum_balance(self, data_length: int) -> int:
        return int((ACCOUNT_STORAGE_OVERHEAD + data_length) * self.lamports_per_byte * self.exemption_threshold)

    def is_exempt(self, lamports: int, data_length: int) -> bool:
        return lamports >= self.minimum_balance(data_length)

    def to_bytes(self) -> bytes:
        return struct.pack("<QdB", self.lamports_per_byte, self.exemption_threshold, self.burn_percent)


UNINITIALIZED, RENT_EXEMPT = "uninitialized", "rent-exempt"


def rent_state(rent: Rent, lamports: int, data_length: int):
    """Uninitialized (no lamports), rent-exempt, or rent-paying (lamports, data length)."""
    if lamports == 0:
        return UNINITIALIZED
    if rent.is_exempt(lamports, data_length):
        return RENT_EXEMPT
    return (lamports, data_length)


def transition_allowed(pre, post) -> bool:
    """An account may end rent-paying only if it was rent-paying with the same size and no more lamports."""
    if post in (UNINITIALIZED, RENT_EXEMPT):
        return True
    if pre in (UNINITIALIZED, RENT_EXEMPT):
        return False
    return post[1] == pre[1] and post[0] <= pre[0]
