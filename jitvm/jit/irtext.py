"""Writing an LLVM function as text: fresh value and label names, and two streams of lines.

Code generators (the EVM and BPF JITs) subclass `IrText`. Cold paths (errors, fallbacks) go to their
own stream, placed after the hot body, so the hot code stays contiguous.
"""

from __future__ import annotations


class IrText:
    def __init__(self) -> None:
        self.body: list[str] = []
        self.cold: list[str] = []
        self.counter = 0

    def tmp(self) -> str:
        """A fresh SSA value name."""
        self.counter += 1
        return f"%t{self.counter}"

    def label(self, stem: str) -> str:
        """A fresh basic-block label."""
        self.counter += 1
        return f"{stem}.{self.counter}"

    def emit(self, text: str, cold: bool = False) -> None:
        (self.cold if cold else self.body).append("  " + text)

    def start(self, label: str, cold: bool = False) -> None:
        (self.cold if cold else self.body).append(f"{label}:")

    def op(self, text: str, cold: bool = False) -> str:
        """Emit `%tN = text` and return `%tN`."""
        name = self.tmp()
        self.emit(f"{name} = {text}", cold)
        return name
