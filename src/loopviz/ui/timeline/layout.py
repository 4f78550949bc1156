"""What the timeline draws, as numpy: lanes, segments by state, outcome markers, await arrows.

Pure (no Qt): built from a :class:`~loopviz.trace.Trace`, unit-tested without a window; the
GraphicsObject in ``item.py`` only paints what this hands it.

Lanes (``lanes.order_lanes``): one per thread that did anything, then one per task in tree
order. A lane's *key* never changes while the model lives; collapsing a parent or a new task
only changes ``row_of_key`` (key -> row, -1 when hidden), never the segment arrays.

Segments follow ``Trace.segments`` semantics on task lanes (running steps; a wait split into
*waiting* [start, ready) and *ready* [ready, end); an open wait runs to "now"), plus *late*
[due, ready) for a timer that fired late (``pieces.wait_pieces``) and a *blocked* segment where
a block names its task. Thread lanes carry the steps that ran on them (running), plain
callbacks (``callback``; labels starting "loopviz" are the visualiser's own: ``loopviz``),
blocks (``blocked``) and executor jobs (``job``); jobs that waited for a free worker have a
``queued`` piece on a "waiting for a worker" lane. ``alerts`` mark each diagnostic's instant
on its lane (``pieces.alert_lane``). Tasks of library code (``library``) are grouped after the
user's own, each group collapsed when it first appears.

Live runs: the bridge hands a new Trace up to ~30 times a second. ``update`` appends what is new
when the trace extends the last (its ``growth`` names it, or every kind's earlier records are
unchanged) and rebuilds otherwise. New step and wait rows become segments
in numpy batches (``ingest``); closed records go into the :class:`SegmentIndex` once; records
still open (waits not yet resumed, jobs not yet finished) are kept in a small side table whose
open ends are "now", and only those the growth names are re-read. ``dirty`` says which span of
time the update changed, so the item repaints only that.
"""

from __future__ import annotations

import time

import numpy as np

from loopviz.trace import Trace
from loopviz.trace.columns import NA
from loopviz.trace.model import Growth
from loopviz.trace.task_table import TaskTable
from loopviz.ui.palette import STATE_KEYS
from loopviz.ui.timeline.index import DenseLanes, SegmentIndex, Segments
from loopviz.ui.timeline.ingest import (
    Cursor,
    KeyMap,
    OpenWaits,
    arrows_of,
    closed_wait_segments,
    identity,
    outcome_markers,
    step_segments,
    thread_records,
)
from loopviz.ui.timeline.lanes import Hit, Lane, ancestors, order_lanes, visible_lanes
from loopviz.ui.timeline.library import Judging
from loopviz.ui.timeline.pieces import QueueSlots, alert_lane, queued_piece

STATE_CODE: dict[str, int] = {k: i for i, k in enumerate(STATE_KEYS)}
OUTCOME_CODES: tuple[str, ...] = ("result", "exception", "cancelled")
# Which record list a segment's ``ref`` points into, by state.
RECORD_KIND: dict[str, str] = {
    "running": "steps", "ready": "waits", "late": "waits", "blocked": "blocks", "job": "jobs",
    "queued": "jobs", "callback": "callbacks", "loopviz": "callbacks", "alert": "diagnostics",
    **{k: "waits" for k in STATE_KEYS if k.startswith("wait:")},
}
LANE_BUDGET = 40  # see TimelineModel.defer_lanes
_RUN, _BLOCKED = STATE_CODE["running"], STATE_CODE["blocked"]
_JOB, _QUEUED = STATE_CODE["job"], STATE_CODE["queued"]


class TimelineModel:
    """Lanes and segments of one trace; ``update`` with each newer trace of the same run.

    Invariants: ``index`` holds exactly the segments of every closed record consumed so far;
    ``_open_segs`` holds those of records still open, with NaN as "now"; ``row_of_key[lane.key]`` is
    the lane's row in ``rows`` or -1 when it is collapsed away.
    """

    def __init__(self) -> None:
        self.rows_version = 0  # bumped whenever ``rows`` changes (caches key on it)
        # Live runs with thousands of tasks: re-ordering every lane on each new task costs
        # O(tasks) per tick. With ``defer_lanes`` on (the view sets it while live), ordering
        # waits until LANE_BUDGET times its last cost has passed: <= 1/LANE_BUDGET of the thread.
        self.defer_lanes = False
        self._reset(None)
        self.collapsed: set[int] = set()

    # ---- building --------------------------------------------------------------------------
    def _reset(self, trace: Trace | None) -> None:
        self.trace: Trace | None = trace
        self.index = SegmentIndex()
        self.thread_steps = DenseLanes()  # thread lanes' running segments (not in ``index``)
        self.present: set[str] = set()  # state keys that occur (the legend shows those)
        self.now = 0.0
        self.lanes: list[Lane] = []
        self.rows: list[Lane] = []
        self.n_thread_rows = 0
        self.row_of_key = self.key_of_row = np.empty(0, np.int32)
        self._keys: dict[tuple[str, int], int] = {}
        self._lane_cache: dict[int, Lane] = {}
        self.lanes_stale = False
        self._ordered_at = 0.0
        self._order_cost = 0.0
        self._used_threads: set[int] = set()
        self._open_jobs: dict[int, list[tuple[float, float, int, int, int]]] = {}
        self._open_waits = OpenWaits()
        self._open_segs = Segments.empty()
        self._reopened: list[Segments] = []
        self._dirty_from = np.inf
        self._task_keys = KeyMap()
        self._cur = Cursor()
        self._alerts: list[tuple[float, int, int]] = []  # x, key, diagnostic index
        self.markers = np.empty((0, 4))  # x, key, outcome, task
        self.arrows = np.empty((0, 3))  # x, from key, to key
        self.alerts = np.empty((0, 3))
        self.queue = QueueSlots()
        self._judging = Judging()
        self.library = self._judging.library  # tasks whose coroutine is library code
        self._groups_seen: set[int] = set()
        # What the last update changed, in seconds ([from, to]), for a partial repaint;
        # None: anything may have (a new trace, lanes moved).
        self.dirty: tuple[float, float] | None = None

    def key(self, kind: str, ident: int) -> int:
        return self._keys.setdefault((kind, ident), len(self._keys))

    def update(self, trace: Trace | None) -> bool:
        """Take a newer trace. Returns True if it was appended, False if rebuilt. A trace whose
        ``growth`` says it extends the one consumed last costs what changed; any other is
        checked (records consumed so far unchanged) and appended, or rebuilt."""
        if trace is self.trace and trace is not None:
            return True
        growth = trace.growth if trace is not None else None
        chained = growth is not None and self.trace is not None and \
            self._cur.lineage == (growth.lineage, growth.base)
        appended = trace is not None and (chained or self._extends(trace))
        if not appended:
            self._reset(trace)
        before = self.now if appended else None
        self.trace = trace
        if trace is None:
            return False
        self._cur.lineage = None if growth is None else (growth.lineage, growth.serial)
        self.now = trace.duration_ns / 1e9
        rows, markers = self.rows_version, len(self.markers)
        self._dirty_from = np.inf
        self._consume(trace, growth if chained else None)
        if before is None or rows != self.rows_version:
            self.dirty = None
        else:
            if len(self.markers) > markers:
                self._dirty_from = min(self._dirty_from, float(self.markers[markers:, 0].min()))
            self.dirty = (min(before, self._dirty_from), max(self.now, before))
        return appended

    def _extends(self, trace: Trace) -> bool:
        old = self.trace
        if old is None or old.meta.get("started_at") != trace.meta.get("started_at") or \
                old.meta.get("target") != trace.meta.get("target"):
            return False
        for kind, n in self._cur.n.items():
            recs = getattr(trace, kind)
            if len(recs) < n or (n and identity(kind, recs[n - 1]) != self._cur.last[kind]):
                return False
        still = self._open_waits.idx
        waits, old_w = trace.wait_table, old.wait_table
        if len(still) and not (np.array_equal(waits.task[still], old_w.task[still]) and
                               np.array_equal(waits.start_ns[still], old_w.start_ns[still])):
            return False
        jobs, old_j = trace.jobs, old.jobs
        return all(identity("jobs", jobs[i]) == identity("jobs", old_j[i])
                   for i in self._cur.open_jobs)

    def _consume(self, trace: Trace, growth: Growth | None) -> None:
        cur = self._cur
        batches: list[Segments] = []
        out: list[tuple[float, float, int, int, int]] = []
        # before the tasks: one that ended in this update may have waited in it too
        self._judging.suspended(trace.wait_table.task[cur.n.get("waits", 0):])
        lanes_dirty = self._consume_tasks(trace, growth)
        n_threads, n_queue, n_library = len(self._used_threads), self.queue.rows, \
            len(self.library)
        self._consume_steps(trace, batches)
        self._consume_waits(trace, batches, growth)
        self._consume_jobs(trace, out)
        self._consume_diagnostics(trace)
        out += thread_records(trace, cur.n.get("callbacks", 0), cur.n.get("blocks", 0),
                              self._thread_key, lambda task: self.key("task", task))
        for kind in ("steps", "waits", "jobs", "callbacks", "blocks", "tasks", "diagnostics"):
            recs = getattr(trace, kind)
            cur.n[kind] = len(recs)
            if recs:
                cur.last[kind] = identity(kind, recs[-1])
        if out:
            batches.append(Segments.of(*zip(*out, strict=True)))
        seg = Segments.concat(batches)
        if len(seg):  # new records: drawn from where the earliest starts
            self._dirty_from = min(self._dirty_from, float(seg.x0.min()))
        seg = Segments.concat([seg, *self._reopened])  # drawn up to now already
        self._reopened = []
        if len(seg) and int(seg.key.min()) < 0:  # a record naming a task the trace lacks
            seg = seg.take(seg.key >= 0)
        if len(seg):
            self.index.append(seg)
            self.present.update(STATE_KEYS[c] for c in np.unique(seg.state))
        jobs = [row for rows in self._open_jobs.values() for row in rows]
        self._open_segs = Segments.concat([self._open_waits.segments, Segments.of(
            *zip(*jobs, strict=True)) if jobs else Segments.empty()])
        self.present.update(STATE_KEYS[c] for c in np.unique(self._open_segs.state))
        need = lanes_dirty or len(self._used_threads) != n_threads or not self.lanes or \
            self.queue.rows != n_queue or len(self.library) != n_library
        if need and self.defer_lanes and self.lanes and \
                time.perf_counter() - self._ordered_at < LANE_BUDGET * self._order_cost:
            self.lanes_stale = True  # new lanes appear at the next ordering, soon
        elif need or self.lanes_stale:
            self.reorder_lanes()
        if len(self.row_of_key) < len(self._keys):  # keys of lanes not placed yet: hidden
            pad = np.full(len(self._keys) - len(self.row_of_key), -1, np.int32)
            self.row_of_key = np.concatenate([self.row_of_key, pad])
        if len(self._alerts) != len(self.alerts):
            self.alerts = np.array(self._alerts, dtype=np.float64).reshape(-1, 3)

    def reorder_lanes(self) -> None:
        """Lay the lanes out again from the current trace (tree order, threads first)."""
        if self.trace is None:
            return
        t0 = time.perf_counter()
        self.lanes = order_lanes(self.trace, self._used_threads, self.key, self._lane_cache,
                                 queue_rows=self.queue.rows, library=self.library)
        groups = {lane.ident for lane in self.lanes if lane.kind == "group"}
        new_groups = groups - self._groups_seen  # library groups start collapsed
        self._groups_seen |= groups
        self.set_collapsed(self.collapsed | new_groups)
        self._ordered_at = time.perf_counter()
        self._order_cost = self._ordered_at - t0
        self.lanes_stale = False

    def _thread_key(self, thread: int) -> int:
        self._used_threads.add(thread)
        return self.key("thread", thread)

    def _consume_tasks(self, trace: Trace, growth: Growth | None) -> bool:
        """Lane keys for new tasks, outcome markers for ended ones (from the task table's
        columns); True if lanes changed. With ``growth`` only the tasks it names are re-read,
        else every unfinished one."""
        cur, tasks = self._cur, TaskTable.of(trace.tasks)
        n0, n = cur.n.get("tasks", 0), len(tasks)
        dirty = n != n0
        new_ids = tasks.id[n0:]
        self._task_keys.set_many(new_ids, np.array(
            [self.key("task", tid) for tid in new_ids.tolist()], np.int32))
        pending = cur.pending_tasks
        again = list(pending) if growth is None else \
            [i for i in growth.tasks_changed if i in pending]
        rows = np.array([*again, *range(n0, n)], np.int64)
        ended = tasks.ended_ns[rows]
        for i, name, is_open in zip(rows.tolist(), tasks.name[rows].tolist(),
                                    (ended == NA).tolist(), strict=True):
            if pending.get(i, name) != name:
                dirty = True  # renamed while it ran (Task.set_name)
            if is_open:
                pending[i] = name
            else:
                pending.pop(i, None)
        self._judging.ended(trace, tasks.id[rows[ended != NA]])
        self.markers = np.concatenate([self.markers, outcome_markers(
            tasks, rows[ended != NA], self._task_keys, OUTCOME_CODES)])
        return dirty

    def _consume_steps(self, trace: Trace, out: list[Segments]) -> None:
        st = trace.step_table
        a, b = self._cur.n.get("steps", 0), len(st)
        if b <= a:
            return
        threads = st.thread[a:b]
        thread_keys = np.empty(b - a, np.int32)
        for th in np.unique(threads).tolist():
            thread_keys[threads == th] = self._thread_key(th)
        on_tasks, on_threads = step_segments(st, a, b, self._task_keys(st.task[a:b]), thread_keys)
        out.append(on_tasks)
        self.thread_steps.append(on_threads)

    def _consume_waits(self, trace: Trace, out: list[Segments], growth: Growth | None) -> None:
        """Open waits that closed (with ``growth``: only those it names) become closed
        segments; new waits are closed segments or join the open ones; arrows for targets;
        new tasks' first waits with a file say whether they are library code."""
        wt, opened = trace.wait_table, self._open_waits
        changed = False
        if len(opened):
            closed = opened.update(wt, None if growth is None else growth.waits_changed)
            self._dirty_from = min(self._dirty_from, opened.ready_from)
            if len(closed):  # drawn already up to now: only what changed needs repainting
                self._reopened += closed_wait_segments(wt, closed, opened.closed_keys)
            changed = growth is None or bool(len(closed)) or \
                bool(np.isin(growth.waits_changed, opened.idx).any())
        a, b = self._cur.n.get("waits", 0), len(wt)
        if b > a:
            self._judging.waits(trace, a, b)
            keys = self._task_keys(wt.task[a:b])
            idx = np.arange(a, b, dtype=np.int64)
            is_open = wt.end_ns[a:b] == NA
            out += closed_wait_segments(wt, idx[~is_open], keys[~is_open])
            if is_open.any():
                opened.add(wt, idx[is_open], keys[is_open])
                changed = True
            arrows = arrows_of(wt, a, b, keys, self._task_keys)
            if len(arrows):
                self.arrows = np.concatenate([self.arrows, arrows])
        if changed:
            opened.rebuild(wt)

    def _consume_jobs(self, trace: Trace, out: list) -> None:
        cur, jobs = self._cur, trace.jobs
        todo = [i for i, seen in cur.open_jobs.items()
                if (jobs[i].start_ns, jobs[i].end_ns) != seen
                or (seen[0] is None and i not in self.queue.row_of)]  # queued long enough?
        todo += range(cur.n.get("jobs", 0), len(jobs))
        for i in todo:
            j = jobs[i]
            self._open_jobs.pop(i, None)
            cur.open_jobs.pop(i, None)
            segs = []
            queued = queued_piece(j.submitted_ns, j.start_ns, trace.duration_ns)
            if queued is not None:  # it waited for a free worker: a piece on a queue lane
                row = self.queue.place(i, j.submitted_ns, j.start_ns)
                segs.append((*queued, self.key("queue", row), _QUEUED, i))
            if j.start_ns is not None and j.thread is not None:
                end = j.end_ns / 1e9 if j.end_ns is not None else np.nan
                segs.append((j.start_ns / 1e9, end, self._thread_key(j.thread), _JOB, i))
            if j.start_ns is not None and j.end_ns is not None and j.thread is not None:
                out.extend(segs)
                continue
            cur.open_jobs[i] = (j.start_ns, j.end_ns)
            self._open_jobs[i] = segs

    def _consume_diagnostics(self, trace: Trace) -> None:
        """A mark at each diagnostic's instant (blocked-loop has its block's segments)."""
        for i in range(self._cur.n.get("diagnostics", 0), len(trace.diagnostics)):
            d = trace.diagnostics[i]
            lane = alert_lane(trace, d) if d.kind != "blocked-loop" else None
            if lane is not None:
                key = self._thread_key(lane[1]) if lane[0] == "thread" else self.key(*lane)
                self._alerts.append((d.t_ns / 1e9, key, i))

    def load_columns(self, lanes: list[Lane], seg: Segments, now: float) -> None:
        """Append ready-made segments on given lanes, bypassing a Trace. For benchmarks only:
        what the app draws always comes from ``update(trace)``."""
        for lane in lanes:
            self.key(lane.kind, lane.ident)
        self.lanes = lanes
        self.index.append(seg)
        self.present.update(STATE_KEYS[c] for c in np.unique(seg.state))
        self.now = now
        self.set_collapsed(self.collapsed)

    # ---- rows and collapse -----------------------------------------------------------------
    def set_collapsed(self, collapsed: set[int]) -> None:
        """Hide the lanes of the descendants of these task ids."""
        self.collapsed = set(collapsed)
        self.rows = visible_lanes(self.lanes, self.collapsed)
        self.n_thread_rows = sum(1 for lane in self.lanes if lane.kind in ("thread", "queue"))
        self.rows_version += 1
        self.key_of_row = np.array([lane.key for lane in self.rows], np.int32)
        self.row_of_key = np.full(max(len(self._keys), 1), -1, np.int32)
        self.row_of_key[self.key_of_row] = np.arange(len(self.rows), dtype=np.int32)

    def toggle_collapsed(self, task_id: int) -> None:
        self.set_collapsed(self.collapsed ^ {task_id})

    def reveal(self, task_id: int) -> None:
        """Expand whatever hides ``task_id``'s lane: collapsed ancestors and library groups."""
        opened = ancestors(self.lanes, task_id)
        if opened & self.collapsed:
            self.set_collapsed(self.collapsed - opened)

    def key_of(self, kind: str, ident: int) -> int | None:
        """The key of a lane already seen (None: no such lane yet); :meth:`key` makes one."""
        return self._keys.get((kind, ident))

    def row_of(self, kind: str, ident: int) -> int:
        key = self.key_of(kind, ident)
        return -1 if key is None or key >= len(self.row_of_key) else int(self.row_of_key[key])

    # ---- queries (what the item paints) ----------------------------------------------------
    @property
    def segment_count(self) -> int:
        return self.index.count + self.thread_steps.fine.count + len(self._open_segs)

    def open_segments(self) -> Segments:
        seg = self._open_segs
        if not len(seg):
            return seg
        now = max(self.now, 0.0)  # an open record's pieces end at now, none lies beyond it
        live = Segments(seg.x0, np.where(np.isnan(seg.x1), now, np.minimum(seg.x1, now)),
                        seg.key, seg.state, seg.ref)
        return live.take(live.x1 > live.x0)  # a timer not due yet has no late piece

    def visible(self, xmin: float, xmax: float, rmin: float = -np.inf, rmax: float = np.inf,
                px_s: float = 0.0) -> tuple[Segments, np.ndarray]:
        """Segments overlapping [xmin, xmax] on rows in [rmin, rmax] and their rows (only those
        lanes' copied out when few of many; threads' steps merged at ``px_s`` s a pixel)."""
        lo, hi = max(rmin, 0), min(rmax, len(self.rows) - 1)
        seg = self.index.query_keys(self.key_of_row[int(lo):int(hi) + 1], xmin, xmax) \
            if 4 * (hi - lo + 1) < len(self.rows) else self.index.query(xmin, xmax)
        seg = Segments.concat([seg, self.thread_steps.query(xmin, xmax, px_s)])
        live = self.open_segments()
        if len(live):
            seg = Segments.concat([seg, live.take((live.x0 <= xmax) & (live.x1 >= xmin))])
        rows = self.row_of_key[seg.key] if len(seg) else np.empty(0, np.int32)
        keep = (rows >= 0) & (rows >= rmin) & (rows <= rmax)
        if keep.all():
            return seg, rows
        return seg.take(keep), rows[keep]

    def columns(self, state: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x0, x1, row) of one state's visible-lane segments, sorted by x0."""
        seg = Segments.concat([self.index.all(), self.thread_steps.fine.all(),
                               self.open_segments()])
        seg = seg.take(seg.state == STATE_CODE[state])
        rows = self.row_of_key[seg.key] if len(seg) else np.empty(0, np.int32)
        seg, rows = seg.take(rows >= 0), rows[rows >= 0]
        order = np.argsort(seg.x0, kind="stable")
        return seg.x0[order], seg.x1[order], rows[order]

    def hit(self, row: int, x: float, tolerance: float = 0.0) -> Hit | None:
        """The lane at ``row`` and the segment under ``x`` there (within ``tolerance``
        seconds), preferring the state drawn on top: blocked, running, then the rest."""
        if not 0 <= row < len(self.rows):
            return None
        lane = self.rows[row]
        if len(self.alerts):  # a diagnostic's mark sits on top of everything
            a = self.alerts[self.row_of_key[self.alerts[:, 1].astype(np.int64)] == row]
            near = np.abs(a[:, 0] - x) <= 2 * tolerance
            if near.any():
                best = a[near][np.argmin(np.abs(a[near, 0] - x))]
                return Hit(lane, "alert", int(best[2]), float(best[0]), float(best[0]))
        seg, _ = self.visible(x - tolerance, x + tolerance, row, row)
        if not len(seg):
            return Hit(lane)
        inside = (seg.x0 <= x) & (seg.x1 >= x)
        pool = np.flatnonzero(inside) if inside.any() else np.arange(len(seg))
        dist = np.maximum(seg.x0[pool] - x, x - seg.x1[pool]).clip(0)
        rank = np.where(seg.state[pool] == _BLOCKED, 0, np.where(seg.state[pool] == _RUN, 1, 2))
        best = pool[np.lexsort((dist, rank))[0]]
        return Hit(lane, STATE_KEYS[int(seg.state[best])], int(seg.ref[best]),
                   float(seg.x0[best]), float(seg.x1[best]))

    def task_span(self, task_id: int) -> tuple[float, float]:
        """A task's life in seconds (creation to end, or to now while it runs)."""
        assert self.trace is not None
        start, end = self.trace.lifetime(task_id)
        return start / 1e9, end / 1e9
