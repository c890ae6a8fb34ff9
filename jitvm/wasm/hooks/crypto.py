"""Hash functions over contract memory or managed buffers."""

import hashlib

from jitvm.hashing import keccak256 as _keccak256
from jitvm.wasm.hooks import hook


def _hash_cost(frame, length: int) -> None:
    frame.use_gas(length * frame.vm.schedule.per_byte("DataCopyPerByte"))


@hook("keccak256", "Keccak256")
def keccak256(frame, offset, length, result_offset):
    _hash_cost(frame, length)
    frame.write(result_offset, _keccak256(frame.read(offset, length)))
    return 0


@hook("sha256", "SHA256")
def sha256(frame, offset, length, result_offset):
    _hash_cost(frame, length)
    frame.write(result_offset, hashlib.sha256(frame.read(offset, length)).digest())
    return 0


@hook("managedKeccak256", "Keccak256")
def managed_keccak256(frame, source, destination):
    data = frame.buffer(source)
    _hash_cost(frame, len(data))
    frame.buffers[destination] = _keccak256(data)
    return 0


@hook("managedSha256", "SHA256")
def managed_sha256(frame, source, destination):
    data = frame.buffer(source)
    _hash_cost(frame, len(data))
    frame.buffers[destination] = hashlib.sha256(data).digest()
    return 0
