"""Calls from one contract to another (synchronous execution on the destination's context)."""
