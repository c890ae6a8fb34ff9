"""ManagedMap handles: byte-string maps kept in the host."""

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


@hook("managedMapPut", "ManagedMapPut")
def managed_map_put(frame, map_handle, key_handle, value_handle):
    _map(frame, map_handle)[frame.buffer(key_handle)] = frame.buffer(value_handle)
    return 0


@hook("managedMapGet", "ManagedMapGet")
def managed_map_get(frame, map_handle, key_handle, destination):
    frame.buffers[destination] = _map(frame, map_handle).get(frame.buffer(key_handle), b"")
    return 0


@hook("managedMapRemove", "ManagedMapRemove")
def managed_map_remove(frame, map_handle, key_handle, destination):
    frame.buffers[destination] = _map(frame, map_handle).pop(frame.buffer(key_handle), b"")
    return 0


@hook("managedMapContains", "ManagedMapContains")
def managed_map_contains(frame, map_handle, key_handle):
    return int(frame.buffer(key_handle) in _map(frame, map_handle))
