"""Account locks: an account may be held by many readers or by one writer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class AccountSet:
    """The accounts a transaction writes and the ones it only reads."""

    writable: frozenset[bytes]
    readonly: frozenset[bytes]

    def conflicts_with(self, other: "AccountSet") -> bool:
        return bool(self.writable & (other.writable | other.readonly) or other.writable & self.readonly)


def account_set(transaction) -> AccountSet:
    """The lock set of a solders transaction from its static keys (invoked programs and reserved
    keys read-only)."""
    from jitvm.svm.processor import MessageView

    return message_account_set(MessageView(transaction.message))


def message_account_set(message, tables: frozenset[bytes] = frozenset()) -> AccountSet:
    """The lock set of a MessageView (a v0 message's looked-up addresses included), with the lookup
    tables it reads."""
    writable = frozenset(key for key, flag in zip(message.keys, message.writable) if flag)
    return AccountSet(writable, (frozenset(message.keys) | tables) - writable)


class AccountLocks:
    def __init__(self):
        self.writers: set[bytes] = set()
        self.readers: Counter[bytes] = Counter()

    def can_lock(self, accounts: AccountSet) -> bool:
        if any(key in self.writers or self.readers[key] for key in accounts.writable):
            return False
        return not any(key in self.writers for key in accounts.readonly)

    def try_lock(self, accounts: AccountSet) -> bool:
        """Take every lock or none."""
        if not self.can_lock(accounts):
            return False
        self.writers.update(accounts.writable)
        self.readers.update(accounts.readonly)
        return True

    def unlock(self, accounts: AccountSet) -> None:
        self.writers.difference_update(accounts.writable)
        self.readers.subtract(accounts.readonly)
        for key in accounts.readonly:
            if self.readers[key] <= 0:
                del self.readers[key]
