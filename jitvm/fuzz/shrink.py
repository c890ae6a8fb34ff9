"""Delta debugging (Zeller and Hildebrandt's ddmin): the smallest list of pieces that still fails.

`still_fails(pieces)` rebuilds a case from a sub-list and says whether the mismatch is still there.
The result is 1-minimal: removing any single piece makes the failure go away (within `max_checks`).
"""

from __future__ import annotations

from typing import Callable, Sequence


def ddmin(pieces: Sequence, still_fails: Callable[[list], bool], max_checks: int = 2000) -> list:
    current = list(pieces)
    checks = 0
    granularity = 2
    while len(current) >= 2 and checks < max_checks:
        chunk = max(1, len(current) // granularity)
        subsets = [current[start:start + chunk] for start in range(0, len(current), chunk)]
        reduced = False
        for index, subset in enumerate(subsets):  # a subset alone, then its complement
            complement = [piece for other, part in enumerate(subsets) if other != index for piece in part]
            for candidate in ((subset, complement) if granularity > 2 else (complement,)):
                if checks >= max_checks:
                    break
                checks += 1
                if candidate and still_fails(candidate):
                    current = candidate
                    granularity = max(granularity - 1, 2) if candidate is complement else 2
                    reduced = True
                    break
            if reduced:
                break
        if not reduced:
            if chunk == 1:
                break
            granularity = min(len(current), granularity * 2)
    return current
