"""Pixel-space helpers for painting many segments (pure numpy, no Qt).

Two ways to turn visible segments into pixels, both in *device* pixels so a segment narrower
than a pixel still shows (as one pixel) and patterns stay aligned to the screen:

- ``merge_subpixel``: for the vector path. Segments narrower than a pixel collapse to one
  rectangle per (row, pixel column), so a dense full view issues at most rows x width rects per
  state, however many segments it holds.
- ``rasterize``: each (row, pixel column) cell takes the state drawn last there
  (``DRAW_ORDER``): O(segments + rows x width), no per-segment Python. The item uses it for the
  one-pixel segments of a dense view (drawn under the wider ones, which keep their hatches), and
  for everything above ``RASTER_THRESHOLD`` visible segments.
"""

from __future__ import annotations

import numpy as np

from loopviz.ui.palette import STATE_KEYS

RASTER_THRESHOLD = 100_000
EXPAND_PX = 4  # up to this width, rasterise by touching each pixel; wider: difference arrays
# Painting order: waits underneath, then ready and running, thread work, blocked on top.
DRAW_ORDER: tuple[int, ...] = tuple(
    STATE_KEYS.index(k) for k in (
        *(k for k in STATE_KEYS if k.startswith("wait:")), "queued", "late", "ready",
        "running", "job", "callback", "loopviz", "blocked",
    )
)


def to_pixels(x0: np.ndarray, x1: np.ndarray, xmin: float, scale: float,
              width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel columns [px0, px1) covered by each segment, clipped to [-1, width + 1] so huge
    zooms cannot overflow. A segment narrower than a pixel takes exactly one column (the one
    holding its middle): "thin" is then ``px1 - px0 == 1``, and a dense view is mostly thin."""
    f0 = (x0 - xmin) * scale
    f1 = (x1 - xmin) * scale
    sub = (f1 - f0) < 1.0
    mid = np.floor((f0 + f1) * 0.5)
    p0 = np.where(sub, mid, np.floor(f0))
    p1 = np.where(sub, mid + 1, np.ceil(f1))
    p0 = np.clip(p0, -1, width + 1).astype(np.int64)
    p1 = np.clip(p1, -1, width + 1).astype(np.int64)
    return p0, np.maximum(p1, p0 + 1)


def merge_subpixel(p0: np.ndarray, p1: np.ndarray, rows: np.ndarray,
                   width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop one-pixel segments that land on a cell another one-pixel segment already covers."""
    thin = (p1 - p0) == 1
    n_thin = int(thin.sum())
    if n_thin < 2:
        return p0, p1, rows
    cell = rows[thin].astype(np.int64) * (width + 3) + (p0[thin] + 1)
    _, first = np.unique(cell, return_index=True)
    if len(first) == n_thin:
        return p0, p1, rows
    wide = ~thin
    idx_thin = np.flatnonzero(thin)[first]
    keep = np.concatenate([np.flatnonzero(wide), idx_thin])
    return p0[keep], p1[keep], rows[keep]


_RANK = np.full(len(STATE_KEYS), -1, np.int16)
_RANK[list(DRAW_ORDER)] = np.arange(len(DRAW_ORDER))
_CODE_OF_RANK = np.array([*DRAW_ORDER, -1], np.int16)  # rank -1 (nothing) maps to -1


def rasterize(p0: np.ndarray, p1: np.ndarray, rows: np.ndarray, states: np.ndarray,
              row0: int, n_rows: int, width: int) -> np.ndarray:
    """(n_rows, width) int16 grid of the state code painted last in each cell (-1: nothing).
    ``rows`` are absolute; row ``row0`` is the grid's first line.

    Segments up to ``EXPAND_PX`` wide (the bulk of a dense view) go through ``maximum.at`` on
    their draw rank, once per pixel of width; wider ones through a difference array per state
    present."""
    ranks = np.full(n_rows * width, -1, np.int16)
    r = rows.astype(np.int64) - row0
    ok = (r >= 0) & (r < n_rows) & (p1 > 0) & (p0 < width)
    r, a, b, rank = r[ok], np.clip(p0[ok], 0, width), np.clip(p1[ok], 0, width), _RANK[states[ok]]
    cell = r * width + a
    span = b - a
    for k in range(EXPAND_PX):  # narrow segments: one maximum.at per pixel of their width
        sel = span > k
        if k and not sel.any():
            break
        np.maximum.at(ranks, cell[sel] + k, rank[sel])
    wide = span > EXPAND_PX
    if wide.any():
        r, a, b, rank = r[wide], a[wide], b[wide], rank[wide]
        stride = width + 1
        size = n_rows * stride
        grid = ranks.reshape(n_rows, width)
        for level in np.unique(rank):
            sel = rank == level
            base = r[sel] * stride
            diff = np.bincount(base + a[sel], minlength=size) - \
                np.bincount(base + b[sel], minlength=size)
            cover = np.cumsum(diff.reshape(n_rows, stride), axis=1)[:, :width] > 0
            np.maximum(grid, np.where(cover, level, -1).astype(np.int16), out=grid)
    return _CODE_OF_RANK[ranks].reshape(n_rows, width)
