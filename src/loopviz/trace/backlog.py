"""Raw records read from the recorder but not consumed yet: a live build that reads a frame's
budget at a time keeps the rest here, so each raw record is copied out of the recorder once.

Before, a build that was behind re-read the whole backlog every frame and cut it to its budget:
while a 10,000-task run recorded faster than the views could follow, each frame copied
megabytes to use a few kilobytes of them (an O(backlog) cost per frame, growing as the views
fell behind). Here the cost of a frame is what it reads new plus what it takes.

Invariants: rows are kept in the order read; ``take`` and ``take_before`` hand out a prefix and
keep the rest; chunks are numpy arrays of one stride, never written.
"""

from __future__ import annotations

import numpy as np


class Backlog:
    """Rows (``(n, stride)`` int64 arrays) read and not yet consumed, as a list of chunks."""

    __slots__ = ("_chunks", "_stride", "rows")

    def __init__(self, stride: int) -> None:
        self._stride = stride
        self._chunks: list[np.ndarray] = []
        self.rows = 0

    def push(self, rows: np.ndarray) -> None:
        if len(rows):
            self._chunks.append(rows)
            self.rows += len(rows)

    def row(self, i: int) -> np.ndarray:
        """Row ``i`` (0 <= i < rows), without taking it."""
        for chunk in self._chunks:
            if i < len(chunk):
                out: np.ndarray = chunk[i]
                return out
            i -= len(chunk)
        raise IndexError(i)

    def take(self, n: int | None = None) -> np.ndarray:
        """The first ``n`` rows (all with None), removed from the backlog."""
        n = self.rows if n is None else min(n, self.rows)
        got, have = [], 0
        while have < n:
            chunk = self._chunks.pop(0)
            if have + len(chunk) > n:
                cut = n - have
                got.append(chunk[:cut])
                self._chunks.insert(0, chunk[cut:])
                have = n
            else:
                got.append(chunk)
                have += len(chunk)
        self.rows -= n
        return self._join(got)

    def take_before(self, field: int, limit: int, *, strict: bool) -> np.ndarray:
        """The leading rows whose ``field`` is before ``limit`` (``strict``) or at most
        ``limit``: a prefix, so what is left is read next time."""
        n = 0
        for chunk in self._chunks:
            col = chunk[:, field]
            late = col >= limit if strict else col > limit
            if late.any():
                n += int(np.argmax(late))
                break
            n += len(chunk)
        return self.take(n)

    def _join(self, parts: list[np.ndarray]) -> np.ndarray:
        if not parts:
            return np.empty((0, self._stride), np.int64)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
