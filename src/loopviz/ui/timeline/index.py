"""SegmentIndex: every closed segment of a timeline, found by time window in O(log n + visible).

Pure numpy, no Qt. A segment is (x0, x1) in seconds, a lane *key* (stable for the life of the
model; rows are mapped later, so collapsing or inserting lanes never touches these arrays), a
state code (an index into ``loopviz.ui.palette.STATE_KEYS``) and ``ref`` (the index of the record
it came from, so hover can describe it).

Why buckets by duration: ``searchsorted`` on x0 finds segments that *start* before the window's
end; the ones that start before the window but reach into it need a look-back of the longest
duration. One long wait (``main`` waiting on a gather for the whole run) would make that
look-back the whole trace. So segments live in runs by duration level (x16 per level), each
sorted by x0 with its own longest duration: the look-back of a level only reaches segments of
that scale, and a query costs a few ``searchsorted`` per level plus the visible ones.

Invariants: within a run, ``x0[:n]`` is sorted ascending and ``maxdur >= x1 - x0`` for every
entry; ``count`` is the total over all runs. Appends are amortised O(chunk) when the chunk starts
at or after the run's last x0 (live traces), and O(n log n) (a stable re-sort) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVEL_LOG2 = 4  # a duration level spans a factor of 16
MIN_DURATION = 1e-9


@dataclass(frozen=True, slots=True)
class Segments:
    """A batch of segments as parallel arrays (all the same length)."""

    x0: np.ndarray  # float64 seconds
    x1: np.ndarray  # float64 seconds
    key: np.ndarray  # int32 lane key
    state: np.ndarray  # int16 state code
    ref: np.ndarray  # int64 record index

    def __len__(self) -> int:
        return len(self.x0)

    @classmethod
    def empty(cls) -> Segments:
        return cls(np.empty(0), np.empty(0), np.empty(0, np.int32), np.empty(0, np.int16),
                   np.empty(0, np.int64))

    @classmethod
    def of(cls, x0: object, x1: object, key: object, state: object, ref: object) -> Segments:
        return cls(np.asarray(x0, np.float64), np.asarray(x1, np.float64),
                   np.asarray(key, np.int32), np.asarray(state, np.int16),
                   np.asarray(ref, np.int64))

    def take(self, sel: np.ndarray | slice) -> Segments:
        return Segments(self.x0[sel], self.x1[sel], self.key[sel], self.state[sel], self.ref[sel])

    @staticmethod
    def concat(parts: list[Segments]) -> Segments:
        parts = [p for p in parts if len(p)]
        if not parts:
            return Segments.empty()
        if len(parts) == 1:
            return parts[0]
        return Segments(*(np.concatenate([getattr(p, f) for p in parts])
                          for f in ("x0", "x1", "key", "state", "ref")))


class _Run:
    """Growable x0-sorted columns of one duration level (capacity doubles on demand)."""

    __slots__ = ("cols", "maxdur", "n")

    def __init__(self) -> None:
        self.cols = Segments.empty()
        self.n = 0
        self.maxdur = 0.0

    def view(self) -> Segments:
        return self.cols.take(slice(0, self.n))

    def append(self, seg: Segments) -> None:
        m = len(seg)
        order = np.argsort(seg.x0, kind="stable")
        seg = seg.take(order)
        self.maxdur = max(self.maxdur, float(np.max(seg.x1 - seg.x0)))
        in_order = self.n == 0 or seg.x0[0] >= self.cols.x0[self.n - 1]
        if self.n + m > len(self.cols):
            cap = max(1024, 2 * (self.n + m))
            old = self.view()
            self.cols = Segments(np.empty(cap), np.empty(cap), np.empty(cap, np.int32),
                                 np.empty(cap, np.int16), np.empty(cap, np.int64))
            self._write(0, old)
        if in_order:
            self._write(self.n, seg)
            self.n += m
            return
        merged = Segments.concat([self.view(), seg])
        self._write(0, merged.take(np.argsort(merged.x0, kind="stable")))
        self.n += m

    def _write(self, at: int, seg: Segments) -> None:
        end = at + len(seg)
        for f in ("x0", "x1", "key", "state", "ref"):
            getattr(self.cols, f)[at:end] = getattr(seg, f)

    def query(self, xmin: float, xmax: float, wanted: np.ndarray | None = None) -> Segments:
        """The run's segments overlapping [xmin, xmax]; with ``wanted`` (a mask over lane
        keys), only those of the lanes it marks."""
        x0 = self.cols.x0[: self.n]
        lo = int(np.searchsorted(x0, xmin - self.maxdur, "left"))
        hi = int(np.searchsorted(x0, xmax, "right"))
        if hi <= lo:
            return Segments.empty()
        if wanted is None:
            part = self.cols.take(slice(lo, hi))
        else:
            keys = self.cols.key[lo:hi]
            inside = keys < len(wanted)
            mine = np.zeros(hi - lo, bool)
            mine[inside] = wanted[keys[inside]]
            part = self.cols.take(lo + np.flatnonzero(mine))
        keep = part.x1 >= xmin
        return part if keep.all() else part.take(keep)


def duration_level(x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """The bucket of each segment: floor(log2(duration) / LEVEL_LOG2)."""
    dur = np.maximum(x1 - x0, MIN_DURATION)
    return (np.floor(np.log2(dur)) // LEVEL_LOG2).astype(np.int16)


class SegmentIndex:
    """Closed segments, queryable by time window (see the module docstring), or by lane
    (:meth:`query_keys`)."""

    def __init__(self) -> None:
        self._runs: dict[int, _Run] = {}
        self.count = 0

    def append(self, seg: Segments) -> None:
        if not len(seg):
            return
        levels = duration_level(seg.x0, seg.x1)
        for level in np.unique(levels):
            self._runs.setdefault(int(level), _Run()).append(seg.take(levels == level))
        self.count += len(seg)

    def query_keys(self, keys: np.ndarray, xmin: float, xmax: float) -> Segments:
        """The segments of lanes ``keys`` overlapping [xmin, xmax]: a paint of 40 lanes out
        of 10,000 picks those lanes' segments out of the window by one lookup per segment
        (a key mask), copying only theirs, instead of copying the window's every segment."""
        if not len(keys):
            return Segments.empty()
        wanted = np.zeros(int(keys.max()) + 1, bool)
        wanted[keys] = True
        return Segments.concat([run.query(xmin, xmax, wanted) for run in self._runs.values()])

    def query(self, xmin: float, xmax: float) -> Segments:
        """Every segment with ``x0 <= xmax`` and ``x1 >= xmin`` (in no particular order)."""
        return Segments.concat([run.query(xmin, xmax) for run in self._runs.values()])

    def all(self) -> Segments:
        """Every segment, sorted by x0 (tests and exports; not for the paint path)."""
        seg = Segments.concat([run.view() for run in self._runs.values()])
        return seg.take(np.argsort(seg.x0, kind="stable"))


MERGE_GAP_S = 20e-6  # a gap this short between two steps on a thread never shows when zoomed out


def merge_gaps(seg: Segments, gap_s: float) -> Segments:
    """``seg`` with each key's same-state segments that follow one another within ``gap_s``
    joined into one (its ``ref``: the first's). Segments of one key and state must not
    overlap (a thread runs one step at a time)."""
    if len(seg) < 2:
        return seg
    seg = seg.take(np.lexsort((seg.x0, seg.state, seg.key)))
    starts = np.flatnonzero(np.concatenate([[True], (seg.key[1:] != seg.key[:-1]) |
                                            (seg.state[1:] != seg.state[:-1]) |
                                            (seg.x0[1:] - seg.x1[:-1] > gap_s)]))
    return Segments(seg.x0[starts], np.maximum.reduceat(seg.x1, starts), seg.key[starts],
                    seg.state[starts], seg.ref[starts])


class DenseLanes:
    """The segments of a few dense lanes (a thread's steps: 60,000 a second on the loop's
    lane) kept twice: as they are, and with the gaps under :data:`MERGE_GAP_S` closed up
    within each appended batch. A paint at a scale where a pixel spans at least twice that
    gap reads the merged ones: a fraction of the segments (a zoomed-out paint of a
    10,000-task run's loop lane read 200,000), drawn where their steps ran to within a pixel
    at each end of a busy stretch (such a gap is under half a pixel)."""

    def __init__(self) -> None:
        self.fine = SegmentIndex()
        self.coarse = SegmentIndex()

    def append(self, seg: Segments) -> None:
        self.fine.append(seg)
        self.coarse.append(merge_gaps(seg, MERGE_GAP_S))

    def query(self, xmin: float, xmax: float, px_s: float = 0.0) -> Segments:
        """Segments overlapping [xmin, xmax], merged when a pixel spans ``px_s`` >= twice
        the gap (0: as they are, for hover and exports)."""
        return (self.coarse if px_s >= 2 * MERGE_GAP_S else self.fine).query(xmin, xmax)
