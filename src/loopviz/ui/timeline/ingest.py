"""Trace columns to timeline segments, in numpy batches (pure, no Qt): ``pieces``' rules
applied to many records at once.

What the model appends on a live tick is a range of step rows and a range of wait rows (plus
the few waits that closed or became ready): each becomes segments here with no Python work per
record, so a frame costs in proportion to what changed. ``KeyMap`` gives lane keys to task and
thread ids in bulk; ``OpenWaits`` holds the waits still open (their segments end at "now").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loopviz.trace import Trace
from loopviz.trace.columns import NA, StepTable, WaitTable
from loopviz.trace.records import WAIT_KINDS
from loopviz.trace.task_table import TaskTable
from loopviz.ui.palette import STATE_KEYS
from loopviz.ui.timeline.index import Segments
from loopviz.ui.timeline.pieces import LATE_MIN_NS

_RUN, _READY, _LATE = (STATE_KEYS.index(k) for k in ("running", "ready", "late"))
# state code of the waiting part of a wait, by its kind code
WAIT_STATE = np.array([STATE_KEYS.index(f"wait:{k}") if f"wait:{k}" in STATE_KEYS
                       else STATE_KEYS.index("wait:other") for k in WAIT_KINDS], np.int16)


@dataclass
class Cursor:
    """How far each record list has been consumed, to tell an extension from a new trace."""

    n: dict[str, int] = field(default_factory=dict)
    last: dict[str, Any] = field(default_factory=dict)  # identity of the last record consumed
    open_jobs: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)
    pending_tasks: dict[int, str] = field(default_factory=dict)  # index -> name last seen
    lineage: tuple[int, int] | None = None  # (builder, serial) of the trace consumed last


def identity(kind: str, rec: Any) -> Any:
    """What must not change about a record once consumed (open ones do change their ends)."""
    if kind == "waits":
        return (rec.task, rec.start_ns)
    if kind == "jobs":
        return (rec.submitted_ns, rec.function, rec.task)
    if kind == "tasks":
        return rec.id
    return rec


class KeyMap:
    """Task id -> lane key as an array (-1: no lane yet), so a batch of steps finds its lanes
    with one lookup."""

    def __init__(self) -> None:
        self.of = np.full(64, -1, np.int32)

    def set(self, ident: int, key: int) -> None:
        self._room(ident)
        self.of[ident] = key

    def set_many(self, idents: np.ndarray, keys: np.ndarray | int) -> None:
        """:meth:`set` for a batch (a live tick's few thousand tasks: one numpy store)."""
        if len(idents):
            self._room(int(idents.max()))
            self.of[idents] = keys

    def _room(self, ident: int) -> None:
        if ident >= len(self.of):
            grown = np.full(max(ident + 1, 2 * len(self.of)), -1, np.int32)
            grown[:len(self.of)] = self.of
            self.of = grown

    def of_one(self, ident: int) -> int:
        return int(self.of[ident]) if 0 <= ident < len(self.of) else -1

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        out = np.full(len(ids), -1, np.int32)
        ok = (ids >= 0) & (ids < len(self.of))
        out[ok] = self.of[ids[ok]]
        return out


def step_segments(st: StepTable, a: int, b: int, task_keys: np.ndarray,
                  thread_keys: np.ndarray) -> list[Segments]:
    """Rows [a, b) of the steps: each on its task's lane and on its thread's, running."""
    x0, x1 = st.start_ns[a:b] / 1e9, st.end_ns[a:b] / 1e9
    ref = np.arange(a, b, dtype=np.int64)
    run = np.full(b - a, _RUN, np.int16)
    return [Segments(x0, x1, task_keys, run, ref), Segments(x0, x1, thread_keys, run, ref)]


def wait_segments(wt: WaitTable, idx: np.ndarray, keys: np.ndarray,
                  ready: np.ndarray | None = None) -> list[Segments]:
    """Waits ``idx`` as ``pieces.wait_pieces`` cuts them, for many at once: *waiting* (by
    kind) until the awaited thing is done (``ready_ns``, else the end), *late* from a timer's
    due time to then when it fired more than ``LATE_MIN_NS`` late, *ready* from then to the
    end. An open wait's last piece ends in NaN ("now"). ``ready``: the ready times to use
    (default: the table's)."""
    s, e, d = wt.start_ns[idx], wt.end_ns[idx], wt.due_ns[idx]
    r = wt.ready_ns[idx] if ready is None else ready
    wake = np.where(r == NA, e, r)
    has_wake, has_end = wake != NA, e != NA
    late = (d != NA) & (d >= s) & (~has_wake | (wake - d > LATE_MIN_NS))
    state = WAIT_STATE[wt.kind[idx]]
    ns = 1e9
    wake_x = np.where(has_wake, wake / ns, np.nan)
    end_x = np.where(has_end, e / ns, np.nan)
    waiting_end = np.where(late, d / ns, wake_x)
    w = ~late | (d > s)  # a wait due at its very start has no waiting piece
    w &= ~has_wake | late | (wake > s)
    r_sel = has_wake & (~has_end | (e > wake))
    n_late, n_ready = int(late.sum()), int(r_sel.sum())
    return [Segments(s[w] / ns, waiting_end[w], keys[w], state[w], idx[w]),
            Segments(d[late] / ns, wake_x[late], keys[late], np.full(n_late, _LATE, np.int16),
                     idx[late]),
            Segments(wake_x[r_sel], end_x[r_sel], keys[r_sel],
                     np.full(n_ready, _READY, np.int16), idx[r_sel])]


def closed_wait_segments(wt: WaitTable, idx: np.ndarray, keys: np.ndarray) -> list[Segments]:
    """Waits ``idx`` (all closed) as segments (:func:`wait_segments`)."""
    return wait_segments(wt, idx, keys)


class OpenWaits:
    """Waits with no end yet: their indices, keys and the ready times last seen. Their
    segments end in NaN ("now", filled in at query time)."""

    def __init__(self) -> None:
        self.idx = np.empty(0, np.int64)
        self.key = np.empty(0, np.int32)
        self.ready = np.empty(0, np.int64)
        self.segments = Segments.empty()
        self.closed_keys = np.empty(0, np.int32)
        self.ready_from = np.inf  # earliest instant drawn differently after the last update

    def __len__(self) -> int:
        return len(self.idx)

    def add(self, wt: WaitTable, idx: np.ndarray, keys: np.ndarray) -> None:
        self.idx = np.concatenate([self.idx, idx])
        self.key = np.concatenate([self.key, keys])
        self.ready = np.concatenate([self.ready, wt.ready_ns[idx]])

    def update(self, wt: WaitTable, candidates: np.ndarray | None) -> np.ndarray:
        """Re-read the open waits among ``candidates`` (None: all); those now closed leave
        and are returned (with their keys, as ``self.closed_keys``)."""
        pos = np.arange(len(self.idx)) if candidates is None else \
            np.flatnonzero(np.isin(self.idx, candidates))
        self.closed_keys = np.empty(0, np.int32)
        self.ready_from = np.inf
        if not len(pos):
            return np.empty(0, np.int64)
        idx = self.idx[pos]
        end = wt.end_ns[idx]
        ready = wt.ready_ns[idx]
        moved = ready != self.ready[pos]  # became ready: drawn differently from then on
        self.ready_from = float(ready[moved].min()) / 1e9 if moved.any() else np.inf
        self.ready[pos] = ready
        done = end != NA
        if not done.any():
            return np.empty(0, np.int64)
        closed, self.closed_keys = idx[done], self.key[pos[done]]
        keep = np.ones(len(self.idx), bool)
        keep[pos[done]] = False
        self.idx, self.key, self.ready = self.idx[keep], self.key[keep], self.ready[keep]
        self.ready_from = min(self.ready_from, float(np.where(
            wt.ready_ns[closed] == NA, wt.end_ns[closed], wt.ready_ns[closed]).min()) / 1e9)
        return closed

    def rebuild(self, wt: WaitTable) -> Segments:
        """The open waits' segments: waiting from start (to ready, or to now), ready to now."""
        if not len(self.idx):
            self.segments = Segments.empty()
            return self.segments
        self.segments = Segments.concat(wait_segments(wt, self.idx, self.key, self.ready))
        return self.segments


def arrows_of(wt: WaitTable, a: int, b: int, task_keys: np.ndarray,
              key_of: KeyMap) -> np.ndarray:
    """(x, from key, to key) for every awaited task of waits [a, b)."""
    off = wt.target_offsets
    lens = np.diff(off[a:b + 1])
    if not len(lens) or not lens.any():
        return np.empty((0, 3))
    x = np.repeat(wt.start_ns[a:b] / 1e9, lens)
    src = np.repeat(task_keys, lens)
    dst = key_of(wt.targets[off[a]:off[b]])
    ok = (src >= 0) & (dst >= 0)
    return np.stack([x[ok], src[ok].astype(np.float64), dst[ok].astype(np.float64)], axis=1)


def outcome_markers(tasks: TaskTable, rows: np.ndarray, task_keys: KeyMap,
                    outcomes: tuple[str, ...]) -> np.ndarray:
    """Markers (x, lane key, outcome code, task id) for the ended tasks at ``rows`` whose
    outcome is one of ``outcomes`` (its index is the code)."""
    codes = np.array([outcomes.index(s) if s in outcomes else -1 for s in tasks.strings] +
                     [-1], np.int64)  # the last: an outcome of None (-1)
    outcome = codes[tasks.outcome[rows]]
    shown = outcome >= 0
    rows, ids = rows[shown], tasks.id[rows[shown]]
    return np.column_stack([tasks.ended_ns[rows] / 1e9, task_keys(ids), outcome[shown],
                            ids]).astype(np.float64).reshape(-1, 4)


def thread_records(trace: Trace, callbacks_from: int, blocks_from: int,
                   thread_key: Callable[[int], int],
                   task_key: Callable[[int], int]) -> list[tuple[float, float, int, int, int]]:
    """Segments (x0, x1, key, state, ref) of the callbacks and blocks from these indexes:
    on their thread's lane (a callback labelled "loopviz..." is the visualiser's own), a
    block on its task's lane too."""
    out = []
    own, plain, blocked = (STATE_KEYS.index(k) for k in ("loopviz", "callback", "blocked"))
    for i in range(callbacks_from, len(trace.callbacks)):
        c = trace.callbacks[i]
        state = own if c.label.startswith("loopviz") else plain
        out.append((c.start_ns / 1e9, c.end_ns / 1e9, thread_key(c.thread), state, i))
    for i in range(blocks_from, len(trace.blocks)):
        b = trace.blocks[i]
        x0, x1 = b.start_ns / 1e9, b.end_ns / 1e9
        out.append((x0, x1, thread_key(b.thread), blocked, i))
        if b.task is not None:
            out.append((x0, x1, task_key(b.task), blocked, i))
    return out
