"""Growable numpy columns: append in amortised O(1) per row, read views of what is there.

A view (``view()``) is a slice of the current buffers. Rows already appended are never moved
within a buffer, and growing allocates new buffers, so a view stays valid and unchanged by
later appends (a builder that writes into existing rows must hand out copies of those
columns instead).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class Columns:
    """Equal-length columns with a capacity that doubles."""

    __slots__ = ("_bufs", "_dtypes", "_n")

    def __init__(self, dtypes: Mapping[str, type]) -> None:
        self._dtypes = dict(dtypes)
        self._bufs: dict[str, np.ndarray] = {name: np.empty(0, dt)
                                             for name, dt in self._dtypes.items()}
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def reserve(self, extra: int) -> None:
        """Room for ``extra`` more rows without growing again: a first build that knows its
        size grows once, to that size, instead of doubling past it (later ones double)."""
        need = self._n + extra
        for name, dt in self._dtypes.items():
            buf = self._bufs[name]
            if need > len(buf):
                grown: np.ndarray = np.empty(max(need, 2 * len(buf)), dt)
                grown[:self._n] = buf[:self._n]
                self._bufs[name] = grown

    def append(self, cols: Mapping[str, np.ndarray]) -> None:
        k = len(next(iter(cols.values())))
        if not k:
            return
        need = self._n + k
        for name, dt in self._dtypes.items():
            buf = self._bufs[name]
            if need > len(buf):
                grown: np.ndarray = np.empty(max(need, 2 * len(buf), 1024), dt)
                grown[:self._n] = buf[:self._n]
                self._bufs[name] = buf = grown
            buf[self._n:need] = cols[name]
        self._n = need

    def view(self) -> dict[str, np.ndarray]:
        return {name: buf[:self._n] for name, buf in self._bufs.items()}
