"""A transaction's logs (State.logs). The native engines buffer LOG0-LOG4 in the frame's log buffer
(jitvm.evm.baseline.layout) and hand a whole buffer over at once as a `NativeLogBatch`: a few byte
strings copied out of the buffer, no Python object per log. `Logs` keeps such batches and `Log`
objects in order, and makes the batches' Log objects only when someone reads the logs (a receipt, a
logs hash, `jitvm.EVM.result.logs`): a call that emits thousands of logs nobody reads never pays
for them. A reverted frame's batches are dropped with its journal entries (State.revert).
"""

from __future__ import annotations

from dataclasses import dataclass

Address = bytes  # 20 bytes
_WORD = 32
_TOPIC_ROWS = 4  # the buffer's topic rows per log


@dataclass(slots=True)
class Log:
    address: Address
    topics: tuple[int, ...]
    data: bytes


class NativeLogBatch:
    """Logs as the native log buffer held them: per log, four little-endian topic words in `topics`
    (the first `counts[i]` used), and its data at `starts[i]` in `data`, `sizes[i]` bytes long (the
    int64 arrays as bytes). All of `address`, or with `addresses`, the i-th of `addresses` (a buffer
    that native child frames of other accounts added their logs to)."""

    __slots__ = ("address", "count", "topics", "counts", "starts", "sizes", "data", "addresses")

    def __init__(self, address: Address, count: int, topics: bytes, counts: bytes, starts: bytes, sizes: bytes,
                 data: bytes, addresses: tuple[Address, ...] | None = None):
        self.address, self.count = address, count
        self.topics, self.counts, self.starts, self.sizes, self.data = topics, counts, starts, sizes, data
        self.addresses = addresses

    def build(self) -> list[Log]:
        counts = memoryview(self.counts).cast("q")
        starts = memoryview(self.starts).cast("q")
        sizes = memoryview(self.sizes).cast("q")
        topics, data, address, addresses = self.topics, self.data, self.address, self.addresses
        logs = []
        for index in range(self.count):
            first = index * _TOPIC_ROWS * _WORD
            words = tuple(int.from_bytes(topics[first + _WORD * topic : first + _WORD * (topic + 1)], "little")
                          for topic in range(counts[index]))
            start = starts[index]
            logs.append(Log(address if addresses is None else addresses[index], words,
                            data[start : start + sizes[index]]))
        return logs


class Logs:
    """A transaction's logs in order: a sequence of Log (len, index, iterate, compare with a list),
    built from its native batches on first reading. `append` adds a Log, `append_batch` a batch,
    `pop` removes the last of either (one journal entry each)."""

    __slots__ = ("_records", "_count", "_built")

    def __init__(self):
        self._records: list = []  # Log or NativeLogBatch
        self._count = 0
        self._built: list[Log] | None = []  # the Log objects, None until built again after a batch

    def append(self, log: Log) -> None:
        self._records.append(log)
        self._count += 1
        if self._built is not None:
            self._built.append(log)

    def append_batch(self, batch: NativeLogBatch) -> None:
        self._records.append(batch)
        self._count += batch.count
        self._built = None

    def pop(self) -> None:
        record = self._records.pop()
        removed = record.count if isinstance(record, NativeLogBatch) else 1
        self._count -= removed
        if self._built is not None:
            del self._built[len(self._built) - removed :]

    def _logs(self) -> list[Log]:
        built = self._built
        if built is None:
            built = []
            for record in self._records:
                if isinstance(record, NativeLogBatch):
                    built += record.build()
                else:
                    built.append(record)
            self._built = built
        return built

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count != 0

    def __iter__(self):
        return iter(self._logs())

    def __getitem__(self, index):
        return self._logs()[index]

    def __eq__(self, other) -> bool:
        if isinstance(other, Logs):
            other = other._logs()
        return self._logs() == other

    __hash__ = None

    def __repr__(self) -> str:
        return f"Logs({self._logs()!r})"
