"""Byte scans over a whole log in bounded blocks.

``np.flatnonzero(arr == c)`` over a 100 MB log builds a 100 MB mask first. Temporaries that
large come from fresh pages on every call (the allocator maps them anew and hands them back),
and faulting fresh pages in was most of the JSON-lines readers' time on the 2-core benchmark
machine: a vectorized check that takes 10 ms of CPU took 100-400 ms of wall clock. Scanning in
4 MiB blocks keeps every temporary small enough to be reused; the results are the same arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

BLOCK = 1 << 22


def positions(arr: Any, byte: int, stop: int | None = None) -> Any:
    """``np.flatnonzero(arr[:stop] == byte)``, block by block."""
    n = len(arr) if stop is None else min(stop, len(arr))
    parts = [np.flatnonzero(arr[a : min(a + BLOCK, n)] == byte) + a for a in range(0, n, BLOCK)]
    if not parts:
        return np.empty(0, dtype=np.intp)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def count_outside_ascii_text(arr: Any) -> int:
    """How many bytes are control characters (< 0x20) or not ASCII (>= 0x80)."""
    total = 0
    tmp = np.empty(min(BLOCK, len(arr)), dtype=np.uint8)
    for a in range(0, len(arr), BLOCK):
        block = arr[a : a + BLOCK]
        shifted = np.subtract(block, 0x20, out=tmp[: len(block)], dtype=np.uint8)  # wraps
        total += int(np.count_nonzero(shifted >= 0x60))
    return total


def count_below(arr: Any, limit: int) -> int:
    """How many bytes are below ``limit``."""
    return sum(int(np.count_nonzero(arr[a : a + BLOCK] < limit)) for a in range(0, len(arr), BLOCK))
