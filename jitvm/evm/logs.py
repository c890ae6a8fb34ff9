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
    """Logs as the native log buffer held them, copied out in a few byte strings: per log, its
    topics' little-endian words in `topics` (log i's at 4 * 32 * i, the first counts[i] used; a
    batch of one log holds only those), its topic count in `counts` and its data size in `sizes`
    (int64s; `sizes` None for one log, whose size is len(data)), and the data of all of them one
    after another in `data`. All of `address`, or with `addresses`, the i-th of `addresses` (a
    buffer that native child frames of other accounts added their logs to)."""

    __slots__ = ("address", "count", "topics", "counts", "sizes", "data", "addresses")

    def __init__(self, address: Address, count: int, topics: bytes, counts: bytes, sizes: bytes | None,
                 data: bytes, addresses: tuple[Address, ...] | None = None):
        self.address, self.count, self.topics, self.counts = address, count, topics, counts
        self.sizes, self.data, self.addresses = sizes, data, addresses

    def build(self) -> list[Log]:
        counts = memoryview(self.counts).cast("q")
        sizes = memoryview(self.sizes).cast("q") if self.sizes is not None else (len(self.data),)
        topics, data, address, addresses = self.topics, self.data, self.address, self.addresses
        logs, start = [], 0
        for index in range(self.count):
            first = index * _TOPIC_ROWS * _WORD
            words = tuple(int.from_bytes(topics[first + _WORD * topic : first + _WORD * (topic + 1)], "little")
                          for topic in range(counts[index]))
            end = start + sizes[index]  # the buffer holds the logs' data one after another
            logs.append(Log(address if addresses is None else addresses[index], words, data[start:end]))
            start = end
        return logs


class Logs:
    """A transaction's logs in order: a sequence of Log (len, index, iterate, compare with a list),
    built from its native batches on first reading. `append` adds a Log, `append_batch` a batch,
    `pop` removes the last of either (one journal entry each). `count` is how many logs there are, a
    plain attribute (the same as len()) because the transaction path reads it once per transaction;
    only these methods change it."""

    __slots__ = ("_records", "count", "_built")

    def __init__(self):
        self._records: list = []  # Log or NativeLogBatch
        self.count = 0
        self._built: list[Log] | None = []  # the Log objects, None until built again after a batch

    def append(self, log: Log) -> None:
        self._records.append(log)
        self.count += 1
        if self._built is not None:
            self._built.append(log)

    def append_batch(self, batch: NativeLogBatch) -> None:
        self._records.append(batch)
        self.count += batch.count
        self._built = None

    def pop(self) -> None:
        record = self._records.pop()
        removed = record.count if isinstance(record, NativeLogBatch) else 1
        self.count -= removed
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
        return self.count

    def __bool__(self) -> bool:
        return self.count != 0

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
