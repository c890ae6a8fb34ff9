"""The memory a BPF program sees: a few regions, each at its own 4 GiB-aligned virtual address.

Both families use Solana's map, so engines handle one layout:

    0x0_0000_0000  read-only data (sBPF v3: .rodata at vaddr 0)
    0x1_0000_0000  program: bytecode (and, in sBPF v0-v2, .rodata next to it)
    0x2_0000_0000  stack: fixed frames; sBPF v0 leaves an unmapped gap after each frame
    0x3_0000_0000  heap (sBPF)
    0x4_0000_0000  input buffer (eBPF: r1 points here, r2 is its length)

An access must start inside a mapped region and end inside it; a write must hit a writable region.
Region data are numpy arrays so a compiled engine can share them with the reference.

A slot may hold several regions (input regions of a conformance run, each with its own address and
writability): an access belongs to the first of the slot's regions, in mapping order, that holds
its first byte, or else to the last one, and is then checked against that region alone, so an
access never spans two regions (Solana's unaligned memory mapping).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jitvm.bpf.errors import ErrorCode, VmError

REGION_SHIFT = 32
MM_RODATA_START = 0x0_0000_0000
MM_PROGRAM_START = 0x1_0000_0000
MM_STACK_START = 0x2_0000_0000
MM_HEAP_START = 0x3_0000_0000
MM_INPUT_START = 0x4_0000_0000
REGION_COUNT = 5
DEFAULT_HEAP_SIZE = 32 * 1024  # Solana's default heap


@dataclass
class Region:
    start: int
    data: np.ndarray  # uint8
    writable: bool
    gap_size: int = 0  # sBPF v0 stack: frames of gap_size bytes, each followed by gap_size unmapped

    def holds(self, address: int) -> bool:
        """Whether `address` is one of the region's bytes (of its backing memory, for a gapped one)."""
        return self.start <= address < self.start + len(self.data)

    def host_offset(self, address: int, size: int) -> int | None:
        """Offset into `data` of an access, or None if it is not mapped (Solana's gapped rule: the
        first byte must not be in a gap, and the bytes must fit the backing memory)."""
        offset = address - self.start
        if offset < 0:
            return None
        if self.gap_size:
            if (offset // self.gap_size) & 1:
                return None
            offset = (offset // (2 * self.gap_size)) * self.gap_size + offset % self.gap_size
        if offset + size > len(self.data):
            return None
        return offset


class Memory:
    """Regions by index (address >> 32); checked loads, stores and byte-range copies."""

    def __init__(self):
        self.regions: list[Region | None] = [None] * REGION_COUNT  # the first region of each slot
        self.more: dict[int, list[Region]] = {}  # slot -> its other regions, in mapping order

    def map(self, region: Region) -> Region:
        """Map `region` as its slot's only region (replacing what the slot held)."""
        index = self._slot(region)
        self.regions[index] = region
        self.more.pop(index, None)
        return region

    def add(self, region: Region) -> Region:
        """Map `region` in its slot after the regions already there (the first one if none)."""
        index = self._slot(region)
        if self.regions[index] is None:
            self.regions[index] = region
        else:
            self.more.setdefault(index, []).append(region)
        return region

    @staticmethod
    def _slot(region: Region) -> int:
        index = region.start >> REGION_SHIFT
        if not 0 <= index < REGION_COUNT:
            raise ValueError(f"region at {region.start:#x} is outside the memory map")
        return index

    def region(self, start: int) -> Region | None:
        return self.regions[start >> REGION_SHIFT]

    def all_regions(self) -> list[Region]:
        """Every mapped region, by address."""
        found = [region for region in self.regions if region is not None]
        found += [region for regions in self.more.values() for region in regions]
        return sorted(found, key=lambda region: region.start)

    def region_at(self, address: int) -> Region | None:
        """The region an access starting at `address` is checked against (see the module doc)."""
        index = address >> REGION_SHIFT
        region = self.regions[index] if index < REGION_COUNT else None
        for candidate in self.more.get(index, ()):
            if region.holds(address):
                break
            region = candidate
        return region

    def translate(self, address: int, size: int, write: bool, pc: int) -> tuple[np.ndarray, int]:
        region = self.region_at(address)
        offset = None
        if region is not None and (region.writable or not write):
            offset = region.host_offset(address, size)
        if offset is None:
            raise VmError(ErrorCode.ACCESS_VIOLATION, pc, address=address, size=size, write=write)
        return region.data, offset

    def chunks(self, address: int, size: int, write: bool, pc: int, reverse: bool = False):
        """The bytes [address, address + size) region by region, from the start (or from the end):
        (data, offset, length) pieces, as Solana's memory syscalls walk them under direct mapping.
        A piece that is not mapped (or not writable, for a write) fails with an access violation
        naming the whole span, when the walk reaches it."""
        low, high = address, address + size
        while low < high:
            at = high - 1 if reverse else low
            region = self.region_at(at)
            if region is None or not region.holds(at) or (write and not region.writable):
                raise VmError(ErrorCode.ACCESS_VIOLATION, pc, address=address, size=size, write=write)
            region_end = region.start + len(region.data)
            first, last = (max(low, region.start), high) if reverse else (low, min(high, region_end))
            offset = region.host_offset(first, last - first)
            if offset is None:  # the gapped stack: the piece crosses a gap
                raise VmError(ErrorCode.ACCESS_VIOLATION, pc, address=address, size=size, write=write)
            yield region.data, offset, last - first
            if reverse:
                high = first
            else:
                low = last

    def load(self, address: int, size: int, pc: int) -> int:
        data, offset = self.translate(address, size, False, pc)
        return int.from_bytes(data[offset:offset + size].tobytes(), "little")

    def store(self, address: int, size: int, value: int, pc: int) -> None:
        data, offset = self.translate(address, size, True, pc)
        data[offset:offset + size] = np.frombuffer((value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"),
                                                   dtype=np.uint8)

    def read(self, address: int, size: int, pc: int) -> bytes:
        """Bytes for a helper or syscall (size 0 reads nothing and always succeeds)."""
        if size == 0:
            return b""
        data, offset = self.translate(address, size, False, pc)
        return data[offset:offset + size].tobytes()

    def write(self, address: int, payload: bytes, pc: int) -> None:
        if not payload:
            return
        data, offset = self.translate(address, len(payload), True, pc)
        data[offset:offset + len(payload)] = np.frombuffer(payload, dtype=np.uint8)


def zeroed(size: int) -> np.ndarray:
    return np.zeros(size, dtype=np.uint8)


def from_bytes(payload: bytes) -> np.ndarray:
    return np.frombuffer(bytearray(payload), dtype=np.uint8)
