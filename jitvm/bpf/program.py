"""A loaded BPF program: its bytecode, its ISA profile and where its pieces live in memory."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from jitvm.bpf.memory import MM_PROGRAM_START


@dataclass(frozen=True)
class Program:
    """Bytecode plus what a loader learned about it.

    `readonly` lists the read-only regions to map as (virtual address, bytes); when empty, the
    bytecode itself is mapped at `text_address`. `functions` maps sBPF v0-v2 call keys (hashes
    registered by the ELF loader) to instruction indices.
    """

    code: bytes
    profile: str = "ebpf-v4"
    entry: int = 0
    text_address: int = MM_PROGRAM_START
    readonly: tuple[tuple[int, bytes], ...] = ()
    functions: tuple[tuple[int, int], ...] = ()
    source: str = "<program>"
    symbols: dict = field(default_factory=dict, compare=False, hash=False)  # call key -> name, for listings

    @classmethod
    def from_assembly(cls, text: str, profile: str = "ebpf-v4", source: str = "<assembly>") -> Program:
        from jitvm.bpf.assembler import assemble

        return cls(assemble(text, profile, source), profile=profile, source=source)

    @property
    def instruction_count(self) -> int:
        return len(self.code) // 8

    @functools.cached_property
    def function_map(self) -> dict[int, int]:
        """Call key -> instruction index (built once: engines look calls up here on every call)."""
        return dict(self.functions)

    @functools.cached_property
    def decoded(self):
        """Verified, decoded instructions (see `jitvm.bpf.verifier.verify`)."""
        from jitvm.bpf.verifier import verify

        return verify(self)

    def readonly_regions(self) -> tuple[tuple[int, bytes], ...]:
        return self.readonly or ((self.text_address, self.code),)
