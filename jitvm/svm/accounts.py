"""Accounts: lamports, data, owner, executable flag and rent epoch, keyed by 32-byte address."""

from __future__ import annotations

from dataclasses import dataclass, field

from jitvm.svm.ids import SYSTEM_PROGRAM


@dataclass(slots=True)
class Account:
    lamports: int = 0
    data: bytearray = field(default_factory=bytearray)
    owner: bytes = SYSTEM_PROGRAM
    executable: bool = False
    rent_epoch: int = 0

    def copy(self) -> Account:
        return Account(self.lamports, bytearray(self.data), self.owner, self.executable, self.rent_epoch)

    def to_solders(self):
        from solders.account import Account as SoldersAccount
        from solders.pubkey import Pubkey

        return SoldersAccount(self.lamports, bytes(self.data), Pubkey.from_bytes(self.owner), self.executable,
                              self.rent_epoch)

    @classmethod
    def from_solders(cls, account) -> Account:
        return cls(account.lamports, bytearray(bytes(account.data)), bytes(account.owner), account.executable,
                   account.rent_epoch)
