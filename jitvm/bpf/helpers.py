"""Helpers (eBPF) and syscalls (sBPF): functions outside the program that `call` reaches by a key.

eBPF keys are helper ids; sBPF keys are the murmur3 hash of the syscall's name. A helper is a Python
function `(context, r1, r2, r3, r4, r5) -> r0`; it reaches memory, the compute meter and the log
through the `HelperContext`, so every engine runs the same helper code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import mmh3

from jitvm.bpf.errors import ErrorCode, VmError
from jitvm.bpf.memory import Memory


def syscall_key(name: str | bytes) -> int:
    """sBPF's key for a symbol: murmur3 (32-bit, seed 0) of its name."""
    return mmh3.hash(name.encode() if isinstance(name, str) else name, 0, signed=False)


class HelperExit(Exception):
    """Raised by a helper to end the program at once with r0 = `value` (uBPF's unwind)."""

    def __init__(self, value: int):
        super().__init__(value)
        self.value = value


class SyscallFailure(Exception):
    """Raised by a helper for a failure the program caused (abort, panic, bad argument)."""


class Meter:
    """Compute units: one per instruction plus what syscalls charge. `budget` None: unmetered."""

    def __init__(self, budget: int | None):
        self.budget = budget
        self.used = 0

    def consume(self, units: int, pc: int) -> None:
        self.used += units
        if self.budget is not None and self.used > self.budget:
            self.used = self.budget
            raise VmError(ErrorCode.COMPUTE_BUDGET_EXCEEDED, pc, value=self.budget)

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget - self.used


LOG_MESSAGES_BYTES_LIMIT = 10_000  # Solana's log collector keeps this many bytes of messages
LOG_TRUNCATED = "Log truncated"


class LogCollector(list):
    """Solana's log collector: a message is kept if the bytes (UTF-8) of the kept messages stay
    below the limit with it; the first message that does not fit is replaced by "Log truncated",
    later ones that do not fit are dropped. A list, so results compare and print as lists."""

    def __init__(self, messages=(), bytes_limit: int | None = LOG_MESSAGES_BYTES_LIMIT):
        super().__init__(messages)
        self.bytes_limit = bytes_limit
        self.bytes_written = sum(len(message.encode()) for message in self)
        self.truncated = False

    def log(self, message: str) -> None:
        if self.bytes_limit is None:
            self.append(message)
            return
        written = self.bytes_written + len(message.encode())
        if written >= self.bytes_limit:
            if not self.truncated:
                self.truncated = True
                self.append(LOG_TRUNCATED)
        else:
            self.bytes_written = written
            self.append(message)


@dataclass
class HelperContext:
    memory: Memory
    meter: Meter
    pc: int
    logs: list  # a LogCollector applies Solana's cap; a plain list keeps everything
    direct_mapping: bool = False  # memory syscalls work region by region (Solana's direct mapping)

    def read(self, address: int, size: int) -> bytes:
        return self.memory.read(address, size, self.pc)

    def write(self, address: int, payload: bytes) -> None:
        self.memory.write(address, payload, self.pc)

    def consume(self, units: int) -> None:
        self.meter.consume(units, self.pc)

    def log(self, message: str) -> None:
        if isinstance(self.logs, LogCollector):
            self.logs.log(message)
        else:
            self.logs.append(message)


HelperFunction = Callable[..., int]


@dataclass(frozen=True)
class Helper:
    key: int
    name: str
    function: HelperFunction


class HelperRegistry:
    """Helpers by key. Registries are cheap to copy, so users extend a copy of the defaults."""

    def __init__(self, helpers: tuple[Helper, ...] | list[Helper] = ()):
        self._by_key: dict[int, Helper] = {}
        for helper in helpers:
            self._by_key[helper.key] = helper

    def register(self, key: int, name: str, function: HelperFunction | None = None):
        """Register `function` under `key`; without `function`, returns a decorator."""
        def add(function: HelperFunction) -> HelperFunction:
            self._by_key[key & 0xFFFFFFFF] = Helper(key & 0xFFFFFFFF, name, function)
            return function
        return add(function) if function is not None else add

    def register_syscall(self, name: str, function: HelperFunction | None = None):
        """Register an sBPF syscall under the hash of its name."""
        return self.register(syscall_key(name), name, function)

    def get(self, key: int) -> Helper | None:
        return self._by_key.get(key & 0xFFFFFFFF)

    def names(self) -> dict[int, str]:
        return {key: helper.name for key, helper in self._by_key.items()}

    def copy(self) -> HelperRegistry:
        return HelperRegistry(list(self._by_key.values()))

    def __contains__(self, key: int) -> bool:
        return (key & 0xFFFFFFFF) in self._by_key

    def __len__(self) -> int:
        return len(self._by_key)


# -- eBPF: the helper that bpf_conformance's tests call ---------------------------------------------

UNWIND_HELPER = 5


def unwind(context: HelperContext, r1: int, r2: int, r3: int, r4: int, r5: int) -> int:
    """Helper 5 of the bpf_conformance runners (uBPF's "unwind"): returns its argument, and a zero
    argument ends the program at once with r0 = 0."""
    if r1 == 0:
        raise HelperExit(0)
    return r1


def default_ebpf_helpers() -> HelperRegistry:
    registry = HelperRegistry()
    registry.register(UNWIND_HELPER, "unwind", unwind)
    return registry
