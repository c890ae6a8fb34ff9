"""ManagedMap handles: byte-string maps kept in the host. Putting, getting and removing a value
also pay DataCopyPerByte for the value's bytes, as in MultiversX."""

from jitvm.wasm.hooks import hook
from jitvm.wasm.outcome import execution_failed


def _map(frame, handle: int) -> dict:
    maps = frame.maps
    if handle not in maps:
        raise execution_failed("no managed map under the given handle")
    return maps[handle]


@hook("managedMapNew", "ManagedMapNew")
def managed_map_new(frame):
    handle = len(frame.maps)
    while handle in frame.maps:
        handle += 1
    frame.maps[handle] = {}
    return handle


def _copy_cost(frame, value: bytes) -> None:
    frame.use_gas(len(value) * frame.vm.schedule.per_byte("DataCopyPerByte"))


@hook("managedMapPut", "ManagedMapPut")
def managed_map_put(frame, map_handle, key_handle, value_handle):
    entries = _map(frame, map_handle)
    key, value = frame.buffer(key_handle), frame.buffer(value_handle)
    _copy_cost(frame, value)
    entries[key] = value
    return 0


@hook("managedMapGet", "ManagedMapGet")
def managed_map_get(frame, map_handle, key_handle, destination):
    value = _map(frame, map_handle).get(frame.buffer(key_handle), b"")
    frame.buffers[destination] = value
    _copy_cost(frame, value)
    return 0


@hook("managedMapRemove", "ManagedMapRemove")
def managed_map_remove(frame, map_handle, key_handle, destination):
    value = _map(frame, map_handle).pop(frame.buffer(key_handle), b"")
    frame.buffers[destination] = value
    _copy_cost(frame, value)
    return 0


@hook("managedMapContains", "ManagedMapContains")
def managed_map_contains(frame, map_handle, key_handle):
    # A key mapped to an empty value counts as absent (MultiversX's semantics).
    return int(bool(_map(frame, map_handle).get(frame.buffer(key_handle))))
