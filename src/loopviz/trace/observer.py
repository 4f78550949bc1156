"""The observer's share: what loopviz itself did on the UI thread it shares with the program.

In the desktop app the visualiser runs on the very thread it watches, and records its own work
there as callbacks labelled ``loopviz: ...`` (a frame's update, a paint pass, a stall the
watchdog caught in loopviz's code). Those stretches are the tool's, not the program's: a loop
lag sample that waited behind a paint pass says nothing about the program. So the program's
lag and heartbeat figures leave loopviz's stretches out, and this module reports them
separately: the share of the thread, the longest single stretch, how much of the raw lag they
caused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Trace = Any  # a loopviz.trace.Trace (not imported: the model imports this module)

OWN_PREFIX = "loopviz"


def _own_spans(callbacks: Sequence[tuple[int, int, int, str]], thread: int,
               start: int, end: int) -> list[tuple[int, int]]:
    """loopviz's own callbacks on ``thread`` inside [start, end], clipped and merged: a
    Recorder's raw ``callbacks`` (appended as each ends, by any thread: read from the newest
    back until one ended a second before ``start``). Safe from another thread while the UI
    thread appends and a ring drops the oldest."""
    spans: list[tuple[int, int]] = []
    i = len(callbacks) - 1
    while i >= 0:
        try:
            th, s, e, label = callbacks[i]
        except IndexError:  # a ring dropped the oldest meanwhile: what was read is the newest
            break
        if e < start - 1_000_000_000:
            break
        if th == thread and label.startswith(OWN_PREFIX) and s < end and e > start:
            spans.append((max(s, start), min(e, end)))
        i -= 1
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def own_ns_between(callbacks: Sequence[tuple[int, int, int, str]], thread: int,
                   start: int, end: int) -> int:
    """How much of [start, end] loopviz's own callbacks on ``thread`` covered, overlaps
    counted once (see :func:`_own_spans`)."""
    return sum(e - s for s, e in _own_spans(callbacks, thread, start, end))


def without_own_edges(callbacks: Sequence[tuple[int, int, int, str]], thread: int,
                      start: int, end: int, gap_ns: int = 2_000_000) -> tuple[int, int]:
    """[start, end] less loopviz's own work at either edge (stretches closer than ``gap_ns``
    chained): a stall that went on in loopviz's paints after the program's call returned is
    the program's only up to there."""
    spans = _own_spans(callbacks, thread, start, end)
    for s, e in reversed(spans):
        if e < end - gap_ns:
            break
        end = min(end, s)
    for s, e in spans:
        if s > start + gap_ns:
            break
        start = max(start, e)
    return start, max(start, end)


@dataclass(frozen=True, slots=True)
class ObserverShare:
    """loopviz's own work on the UI thread during one run (all zero for a headless run)."""

    own_ns: int  # time loopviz's stretches took, overlaps counted once
    share: float  # own_ns / the run's duration
    longest_ns: int  # the longest single stretch
    stretches: int
    raw_lag_p99_ns: int  # the loop lag p99 with loopviz's stretches left in


class OwnWork:
    """loopviz's stretches on one trace's UI thread, merged, to ask how much of any span they
    covered (``covered``: vectorised, O(log n) per span)."""

    def __init__(self, trace: Trace) -> None:
        ui = trace.ui_thread()
        spans = sorted((c.start_ns, c.end_ns) for c in trace.callbacks
                       if c.label.startswith(OWN_PREFIX) and (ui is None or c.thread == ui)
                       and c.end_ns > c.start_ns)
        self.count = len(spans)
        self.longest = max((e - s for s, e in spans), default=0)
        merged: list[list[int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        a = np.array(merged, np.int64).reshape(-1, 2)
        self.starts, self.ends = a[:, 0], a[:, 1]
        self._before = np.concatenate([[0], np.cumsum(self.ends - self.starts)])
        self.total = int(self._before[-1])

    def _upto(self, x: np.ndarray) -> np.ndarray:
        """Own time in (-inf, x] for each x."""
        k = np.searchsorted(self.starts, x, side="right") - 1
        inside = np.clip(x - self.starts[np.maximum(k, 0)], 0,
                         (self.ends - self.starts)[np.maximum(k, 0)]) if len(self.starts) \
            else np.zeros(len(x), np.int64)
        out: np.ndarray = np.where(k >= 0, self._before[np.maximum(k, 0)] + inside, 0)
        return out

    def covered(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Own time inside each span [lo, hi]."""
        if not self.total:
            return np.zeros(len(lo), np.int64)
        out: np.ndarray = self._upto(hi) - self._upto(lo)
        return out


def _samples(samples: tuple[tuple[int, int], ...]) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(samples, dtype=np.int64).reshape(-1, 2)
    return a[:, 0], a[:, 1]


def program_values(trace: Trace, which: str) -> np.ndarray:
    """The ``loop_lag`` or ``ui_heartbeat`` values with loopviz's own stretches inside each
    sample's span ([t - value, t]: the wait it measured) taken out."""
    t, value = _samples(getattr(trace, which))
    own = own_work(trace)
    out: np.ndarray = np.maximum(value - own.covered(t - value, t), 0)
    return out


def own_work(trace: Trace) -> OwnWork:
    """The trace's :class:`OwnWork`, built once per trace."""
    own: OwnWork | None = trace.derived.get("own_work")
    if own is None:
        own = trace.derived["own_work"] = OwnWork(trace)
    return own


def own_stretches(trace: Trace, min_ns: int) -> list[tuple[int, int]]:
    """loopviz's merged stretches on the UI thread at least ``min_ns`` long (ns since the
    trace's start): what the responsiveness chart shades as the tool's, not the program's."""
    own = own_work(trace)
    keep = (own.ends - own.starts) >= min_ns
    return list(zip(own.starts[keep].tolist(), own.ends[keep].tolist(), strict=True))


def observer_share(trace: Trace) -> ObserverShare:
    own = own_work(trace)
    _, lag = _samples(trace.loop_lag)
    raw = np.sort(lag)
    p99 = int(raw[min(len(raw) - 1, int(0.99 * len(raw)))]) if len(raw) else 0
    duration = max(trace.duration_ns, 1)
    return ObserverShare(own.total, own.total / duration, own.longest, own.count, p99)
