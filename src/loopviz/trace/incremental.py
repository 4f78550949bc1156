"""Build Traces of a growing recording repeatedly, paying only for what is new.

The recorder's flat int records stay columns: each :meth:`IncrementalBuilder.build` takes the
raw step/wake/due records appended since the last build and derives, in numpy, the steps and
waits they make (a wait starts where a step that suspended ends and ends where the task's next
step starts; its ready time is the task's first wake-up inside it; a sleep's due time is joined
by (task, suspension time)). Work per build is linear in the new records plus the tasks still
alive; nothing is re-filtered per step. A final trace (``build_trace``) is the first build of a
fresh builder: one derivation serves both the final trace and the live views.

Contract: for a finished recorder, ``IncrementalBuilder(rec).build()`` after any number of
earlier builds equals the build of a fresh builder, except that a task's name and the labels
naming awaited tasks are read when the builder first sees them (and again when the task ends),
not at every build: a task renamed while it runs shows its new name once it ends.
"""

from __future__ import annotations

import gc
import itertools
import time
from typing import Any

import numpy as np

from loopviz.trace.backlog import Backlog
from loopviz.trace.columns import KIND_CODE, NA, StepTable, WaitTable
from loopviz.trace.derive import (
    BATCH,
    batches,
    distinct_pairs,
    first_at_or_after,
    known_tasks,
    records,
    relative,
    sleep_label,
    task_label,
)
from loopviz.trace.growable import Columns
from loopviz.trace.model import Growth, Trace
from loopviz.trace.recorder import DUE_STRIDE, STEP_STRIDE, WAKE_STRIDE, Recorder
from loopviz.trace.records import Callback, Job, ThreadInfo
from loopviz.trace.task_builder import TaskColumns

_LINEAGES = itertools.count(1)

_WAIT_COLS = {"task": np.int64, "start_ns": np.int64, "ready_ns": np.int64,
              "due_ns": np.int64, "end_ns": np.int64, "kind": np.uint8, "site": np.int32,
              "label": np.int32}
GC_PAUSE_AT = 50_000
_STEP_COLS = {"task": np.int64, "start_ns": np.int64, "end_ns": np.int64}


class IncrementalBuilder:
    """Invariants: the step and wait columns hold a record for every raw step consumed so far
    (waits in start order: a wait starts at a step's end, and steps are recorded at their end);
    ``_open_of[task]`` is the index of the task's wait that has no next step yet (-1: none);
    ``_dues`` holds due records whose step has not been consumed yet (at most the newest).
    Raw records are consumed as a prefix of each buffer, cut at one instant (as ``batches``
    cuts them): a wake-up is read only once the step that opened its wait has been."""

    def __init__(self, recorder: Recorder) -> None:
        self.rec = recorder
        self.lineage = next(_LINEAGES)
        self.serial = 0
        self.caught_up = True  # the last build consumed everything recorded
        self._n_steps = self._n_wakes = self._n_dues = 0  # raw ints read from the recorder
        self._held = (Backlog(STEP_STRIDE), Backlog(WAKE_STRIDE), Backlog(DUE_STRIDE))
        self._seen = {name: 0 for name in recorder.list_dropped}  # items read, dropped counted
        self._steps = Columns(_STEP_COLS)
        self._waits = Columns(_WAIT_COLS)
        self._target_offsets = Columns({"o": np.int64})
        self._target_offsets.append({"o": np.zeros(1, np.int64)})
        self._targets = Columns({"t": np.int64})
        self._open_of = np.full(64, -1, np.int64)
        self._dues = np.empty((0, DUE_STRIDE), np.int64)
        self._edges: dict[tuple[int, int], tuple[int, ...]] = {}
        self._labels: list[str] = []
        self._label_ids: dict[str, int] = {}
        self._sites: list[tuple[str, int, tuple[str, ...]]] = []
        self._site_kind = np.empty(0, np.uint8)
        self._site_label = np.empty(0, np.int32)
        self._site_base: list[str] = []
        self._last_start = NA
        self._newest_end = NA
        self._sorted = True
        self._tasks = TaskColumns()
        self._reordered = False  # the step table was re-sorted: earlier rows moved
        self._now = 0
        self._jobs: dict[int, Job] = {}
        self._job_pos: dict[int, int] = {}
        self._lag: list[tuple[int, int]] = []
        self._heartbeat: list[tuple[int, int]] = []
        self._callbacks: list[Callback] = []
        self._changed: list[np.ndarray] = []  # earlier waits whose ready or end was set now
        self._base_waits = 0  # waits there were before this build
        self._trimmed_before = NA  # the ring buffer's cut this builder last applied

    batch = BATCH  # steps derived at a time: bounds a big build's temporaries

    def build(self, max_steps: int | None = None, *, last: bool = False) -> Trace:
        """A Trace of everything consumed so far. ``max_steps`` bounds the raw steps read now
        (a live frame's budget): the rest is read by the next builds (``caught_up`` says
        whether anything was left), and the trace then ends at the instant of the cut.
        ``last``: no build follows (the builder is dropped), so the trace may keep the
        builder's own columns instead of copies.

        A big build (:data:`GC_PAUSE_AT` new steps and tasks or more) has the garbage
        collector wait meanwhile: it makes short-lived tuples by the hundred thousand and no
        cycles, and each collection they set off would walk the program's whole heap (half
        of a 200,000-task build's time). Small builds (the live views') leave it alone."""
        steps_total = self.rec.raw_totals()[0]  # a size estimate: read without the lock
        new = (steps_total - self._n_steps) // STEP_STRIDE + self._held[0].rows + \
            len(self.rec.tasks) - len(self._tasks.pos)
        enabled = gc.isenabled()
        if enabled and new >= GC_PAUSE_AT:
            gc.disable()
        try:
            return self._build(max_steps, last)
        finally:
            if enabled:
                gc.enable()

    def _build(self, max_steps: int | None, last: bool) -> Trace:
        rec, t0 = self.rec, self.rec.t0
        seen = self._seen
        with rec.lock:
            steps_raw, wakes_raw, dues_raw = rec.raw_since(self._n_steps, self._n_wakes,
                                                           self._n_dues, lend=last)
            dropped = rec.raw_dropped()
            new_tasks = self._tasks.fresh(rec.tasks)
            edges, seen["edges"] = rec.list_since("edges", seen["edges"])
            callbacks, seen["callbacks"] = rec.list_since("callbacks", seen["callbacks"])
            lag, seen["loop_lag"] = rec.list_since("loop_lag", seen["loop_lag"])
            heartbeat, seen["ui_heartbeat"] = rec.list_since("ui_heartbeat",
                                                             seen["ui_heartbeat"])
            sites = rec.sites[len(self._sites):]
            site_stacks = rec.site_stacks[len(self._sites):]
            threads = list(rec.threads)
            jobs = dict(rec.jobs)
            blocks = list(rec.blocks)
            diagnostics = list(rec.diagnostics)
            meta = {**rec.meta, "started_at": rec.started_at}
            cut = None if rec.dropped_before is None else rec.dropped_before - t0
            if rec.keep_last_ns is not None:
                meta["ring_buffer"] = {"keep_last_s": rec.keep_last_ns / 1e9,
                                       "dropped_before_ns": None if cut is None else max(0, cut)}
        now = (rec.finished_ns if rec.finished_ns is not None else time.monotonic_ns()) - t0

        self._consume_sites(sites, site_stacks)
        for task, at, targets in edges:
            self._edges[(task, at - t0)] = targets
        # read once: what this build leaves stays in the backlogs for the next ones
        self._n_steps = max(self._n_steps, dropped[0]) + len(steps_raw)
        self._n_wakes = max(self._n_wakes, dropped[1]) + len(wakes_raw)
        self._n_dues = max(self._n_dues, dropped[2]) + len(dues_raw)
        held_steps, held_wakes, held_dues = self._held
        held_steps.push(records(steps_raw, STEP_STRIDE))
        held_wakes.push(records(wakes_raw, WAKE_STRIDE))
        held_dues.push(records(dues_raw, DUE_STRIDE))
        self.caught_up = max_steps is None or held_steps.rows <= max_steps
        if self.caught_up or max_steps is None:
            steps_all, wakes_all, dues_all = (held.take() for held in self._held)
        else:  # as a batch is cut: wakes before the next step's end
            nxt = int(held_steps.row(max_steps)[2])
            steps_all = held_steps.take(max_steps)
            wakes_all = held_wakes.take_before(1, nxt, strict=True)
            dues_all = held_dues.take_before(1, int(steps_all[-1, 2]), strict=False)
            now = max(self._now, nxt - 1 - t0)  # the instant the cut is taken at
        self._now = now
        done = steps_all[steps_all[:, 3] < 0, 0].tolist()  # tasks that ended in these steps
        tasks_changed = self._tasks.consume(new_tasks, t0, None if max_steps is None else done)
        self._base_waits = len(self._waits)
        self._steps.reserve(len(steps_all))
        suspends = int(np.count_nonzero(steps_all[:, 3] >= 0))
        self._waits.reserve(suspends)
        self._target_offsets.reserve(suspends)
        self._changed = []
        for steps, wakes, dues in batches(steps_all, wakes_all, dues_all, self.batch):
            self._consume_steps(relative(steps, t0, (1, 2)), relative(wakes, t0, (1,)),
                                relative(dues, t0, (1, 2)), now)
        del steps_all, wakes_all, dues_all, steps_raw, wakes_raw, dues_raw, steps, wakes, dues
        self._lag += [(t - t0, v) for t, v in lag]
        self._heartbeat += [(t - t0, v) for t, v in heartbeat]
        self._consume_callbacks(callbacks, t0)
        jobs_changed = self._consume_jobs(jobs, t0)
        trimmed = cut is not None and rec.keep_last_ns is not None and \
            self._trim(cut, rec.keep_last_ns, rec.loop_thread)
        waits = self._wait_table(copy=not last)
        jobs_out = tuple(self._jobs.values())
        if rec.keep_last_ns is not None:  # the ring buffer dropped tasks records may name
            waits, jobs_out, blocks, diagnostics = known_tasks(
                self._tasks.known(), waits, jobs_out, blocks, diagnostics)
        tasks_out = self._tasks.table(copy=not last)
        steps_out = self._step_table(rec.loop_thread)
        self.serial += 1
        growth = None
        if not trimmed and not self._reordered and not self._tasks.reordered:
            changed = np.unique(np.concatenate([np.empty(0, np.int64), *self._changed]),
                                return_index=True)[0]  # (plain np.unique imports numpy.ma)
            growth = Growth(self.lineage, self.serial, self.serial - 1, tuple(tasks_changed),
                            changed, tuple(jobs_changed))
        self._reordered = self._tasks.reordered = False
        return Trace(
            meta=meta,
            threads=tuple(ThreadInfo(i, name, role) for i, (_, name, role) in enumerate(threads)),
            tasks=tasks_out,
            steps=steps_out,
            waits=waits,
            blocks=tuple(sorted(blocks, key=lambda b: b.start_ns)),
            jobs=jobs_out,
            callbacks=tuple(self._callbacks),
            loop_lag=tuple(self._lag),
            ui_heartbeat=tuple(self._heartbeat),
            diagnostics=tuple(sorted(diagnostics, key=lambda d: d.t_ns)),
            duration_ns=now,
            growth=growth,
        )

    def _consume_jobs(self, jobs: dict[int, Any], t0: int) -> list[int]:
        """Jobs keep their places (by submission) so a view can follow them; returns the
        positions of earlier jobs that started or finished since the last build."""
        changed = []
        for jid, j in sorted(jobs.items()):
            job = Job(j.thread, j.task, j.function, j.submitted - t0,
                      None if j.start is None else j.start - t0,
                      None if j.end is None else j.end - t0)
            old = self._jobs.get(jid)
            if old is None:
                self._job_pos[jid] = len(self._jobs)
            elif old != job:
                changed.append(self._job_pos[jid])
            self._jobs[jid] = job
        return changed

    def _trim(self, cut: int, keep_ns: int, thread: int) -> bool:
        """Drop what the ring buffer dropped (records before ``cut``, ns since the start), once
        the window has moved on by its own length since the last trim (so the cost, linear in
        what is kept, is paid once per window). The result matches a fresh build: steps that
        ended before the cut, waits that began before it, tasks the recorder forgot."""
        if self._trimmed_before != NA and cut - self._trimmed_before < keep_ns:
            return False
        self._trimmed_before = cut
        steps = self._step_table(thread)
        kept_steps = steps.take(steps.end_ns >= cut)
        self._steps = Columns(_STEP_COLS)
        self._steps.append({c: kept_steps.columns()[c] for c in _STEP_COLS})
        waits = self._wait_table(copy=True)
        keep = np.flatnonzero(waits.start_ns >= cut)
        remap = np.full(len(waits) + 1, -1, np.int64)  # index -1 stays -1
        remap[keep] = np.arange(len(keep))
        self._open_of = remap[self._open_of]
        kept = waits.take(keep)
        self._waits = Columns(_WAIT_COLS)
        self._waits.append({c: kept.columns()[c] for c in _WAIT_COLS})
        self._target_offsets = Columns({"o": np.int64})
        self._target_offsets.append({"o": kept.target_offsets})
        self._targets = Columns({"t": np.int64})
        self._targets.append({"t": kept.targets})
        with self.rec.lock:
            known, jobs = set(self.rec.tasks), set(self.rec.jobs)
        self._tasks.keep_only(known)
        self._jobs = {jid: job for jid, job in self._jobs.items() if jid in jobs}
        self._job_pos = {jid: i for i, jid in enumerate(self._jobs)}
        self._callbacks = [c for c in self._callbacks if c.end_ns >= cut]
        self._lag = [s for s in self._lag if s[0] >= cut]
        self._heartbeat = [s for s in self._heartbeat if s[0] >= cut]
        return True

    # ---- tables --------------------------------------------------------------------------
    def _step_table(self, thread: int) -> StepTable:
        """Every step runs on the loop's thread: its column is one value, broadcast."""
        if not self._sorted:  # an eager task's first step came in nested in its parent's
            cols = self._steps.view()
            order = np.lexsort((cols["end_ns"], cols["start_ns"]))
            self._steps = Columns(_STEP_COLS)
            self._steps.append({name: col[order] for name, col in cols.items()})
            self._last_start = int(cols["start_ns"][order[-1]]) if len(order) else NA
            self._sorted = True
            self._reordered = True
        cols = self._steps.view()
        threads = np.broadcast_to(np.int64(thread), (len(self._steps),))
        return StepTable(cols["task"], cols["start_ns"], cols["end_ns"], threads)

    def _wait_table(self, *, copy: bool) -> WaitTable:
        """The waits so far. Later builds write ready and end times of open waits in place:
        unless ``copy`` is off (no build follows), the table gets copies of those two."""
        cols = self._waits.view()
        if copy:
            cols["ready_ns"], cols["end_ns"] = cols["ready_ns"].copy(), cols["end_ns"].copy()
        cols["target_offsets"] = self._target_offsets.view()["o"]
        cols["targets"] = self._targets.view()["t"]
        return WaitTable(cols, tuple(self._sites), tuple(self._labels))

    def _label_id(self, text: str) -> int:
        lid = self._label_ids.get(text)
        if lid is None:
            lid = self._label_ids[text] = len(self._labels)
            self._labels.append(text)
        return lid

    # ---- pieces ------------------------------------------------------------------------------
    def _consume_sites(self, sites: list[tuple[str, str, int, str]],
                       stacks: list[tuple[str, ...]]) -> None:
        if not sites:
            return
        kinds, labels = [], []
        for (kind, file, line, base), stack in zip(sites, stacks, strict=True):
            self._sites.append((file, line, tuple(stack)))
            self._site_base.append(base)
            kinds.append(KIND_CODE.get(kind, KIND_CODE["other"]))
            labels.append(self._label_id(base))
        self._site_kind = np.concatenate([self._site_kind, np.array(kinds, np.uint8)])
        self._site_label = np.concatenate([self._site_label, np.array(labels, np.int32)])

    def _grow_open(self, max_task: int) -> None:
        if max_task >= len(self._open_of):
            grown = np.full(max(max_task + 1, 2 * len(self._open_of)), -1, np.int64)
            grown[:len(self._open_of)] = self._open_of
            self._open_of = grown

    def _consume_steps(self, steps: np.ndarray, wakes: np.ndarray, dues: np.ndarray,
                       now: int) -> None:
        """Append the new steps and the waits they open, close the waits they end, and give
        ready times to waits closed now or still open (in place)."""
        task, start, end, site = (steps[:, k] for k in range(4))
        k = len(task)
        if k:
            if (self._last_start != NA and start[0] < self._last_start) or \
                    bool(np.any(np.diff(start) < 0)):
                self._sorted = False  # an eager task's first step nested in its parent's
            self._last_start = max(self._last_start, int(start.max()))
            self._steps.append({"task": task, "start_ns": start, "end_ns": end})
        base = len(self._waits)
        suspends = site >= 0
        widx = np.full(k, -1, np.int64)
        widx[suspends] = base + np.arange(int(suspends.sum()))
        n_new = int(suspends.sum())
        self._grow_open(int(task.max()) if k else 0)
        if len(wakes):
            self._grow_open(int(wakes[:, 0].max()))

        # New waits (in raw order = start order), their due times, labels and targets.
        w_task, w_start, w_site = task[suspends], end[suspends], site[suspends]
        w_kind = self._site_kind[w_site] if n_new else np.empty(0, np.uint8)
        due = np.full(n_new, NA, np.int64)
        pending = np.concatenate([self._dues, dues]) if len(dues) else self._dues
        if n_new and len(pending):
            hit = first_at_or_after(w_task, w_start, pending[:, 0], pending[:, 1])
            exact = hit >= 0
            exact[exact] = pending[hit[exact], 1] == w_start[exact]
            due[exact] = pending[hit[exact], 2]
            used = np.zeros(len(pending), bool)
            used[hit[exact]] = True
            pending = pending[~used]
        if k:
            self._newest_end = max(self._newest_end, int(end.max()))
        newest = self._newest_end
        self._dues = pending[pending[:, 1] >= newest] if len(pending) else pending
        label = self._site_label[w_site] if n_new else np.empty(0, np.int32)
        sleeps = np.flatnonzero((w_kind == KIND_CODE["sleep"]) & (due != NA))
        if len(sleeps):
            ms = np.rint((due[sleeps] - w_start[sleeps]) / 1e6).astype(np.int64)
            pairs, inverse = distinct_pairs(w_site[sleeps], ms)
            ids = np.array([self._label_id(sleep_label(self._site_base[sid], delay))
                            for sid, delay in pairs], np.int32)
            label[sleeps] = ids[inverse]
        lens = np.zeros(n_new, np.int64)
        flat: list[int] = []
        if self._edges:
            for i in np.flatnonzero(w_kind == KIND_CODE["task"]).tolist():
                targets = self._edges.pop((int(w_task[i]), int(w_start[i])), ())
                if targets:
                    lens[i] = len(targets)
                    flat += targets
                    base_label = self._site_base[int(w_site[i])]
                    label[i] = self._label_id(task_label(base_label, targets,
                                                                     self._tasks.name_of))
        if n_new:
            ready0 = np.where((w_kind == KIND_CODE["sleep"]) & (due == NA), w_start, NA)
            self._waits.append({"task": w_task, "start_ns": w_start, "ready_ns": ready0,
                                "due_ns": due, "end_ns": np.full(n_new, NA, np.int64),
                                "kind": w_kind, "site": w_site, "label": label})
            last = self._target_offsets.view()["o"][-1]
            self._target_offsets.append({"o": last + np.cumsum(lens)})
            if flat:
                self._targets.append({"t": np.array(flat, np.int64)})

        cols = self._waits.view()
        ready_col, end_col = cols["ready_ns"], cols["end_ns"]  # written in place
        closed = self._close_waits(task, start, site, widx, end_col)
        # Ready times: the first wake-up of the task inside each wait closed now or still open.
        candidates = closed
        if len(wakes):  # open waits of tasks woken now (never among the ones just closed)
            mark = np.zeros(len(self._open_of), bool)
            mark[wakes[:, 0]] = True
            open_woken = self._open_of[mark]
            candidates = np.concatenate([closed, open_woken[open_woken >= 0]])
        candidates = candidates[ready_col[candidates] == NA] if len(candidates) else candidates
        old = self._base_waits  # a growth names waits of earlier builds only: none, at first
        self._changed += [closed[closed < old], candidates[candidates < old]]
        if len(candidates):
            c_end = end_col[candidates]
            hi = np.where(c_end == NA, now, c_end)
            hit = (first_at_or_after(cols["task"][candidates], cols["start_ns"][candidates],
                                      wakes[:, 0], wakes[:, 1])
                   if len(wakes) else np.full(len(candidates), -1, np.int64))
            when = np.where(hit >= 0, wakes[hit, 1] if len(wakes) else NA, NA)
            inside = (hit >= 0) & (when <= hi)
            ready = np.where(inside, when, np.where(c_end == NA, NA, c_end))
            ready_col[candidates] = ready

    def _close_waits(self, task: np.ndarray, start: np.ndarray, site: np.ndarray,
                     widx: np.ndarray, end_col: np.ndarray) -> np.ndarray:
        """End each task's previous wait at its next step's start; returns the closed waits'
        indices. Steps of one task are recorded in time order, so a stable sort by task keeps
        each task's steps in order."""
        k = len(task)
        if not k:
            return np.empty(0, np.int64)
        order = np.argsort(task, kind="stable")
        t_sorted = task[order]
        first = np.ones(k, bool)
        first[1:] = t_sorted[1:] != t_sorted[:-1]
        last = np.ones(k, bool)
        last[:-1] = first[1:]
        # within the batch: a step's wait ends where the task's next step starts
        prev, nxt = order[:-1][~first[1:]], order[1:][~first[1:]]
        inner = widx[prev]
        ok = inner >= 0
        end_col[inner[ok]] = start[nxt[ok]]
        # the first step of a task in this batch ends its wait left open by the last build
        firsts = order[first]
        carried = self._open_of[task[firsts]]
        has = carried >= 0
        end_col[carried[has]] = start[firsts[has]]
        lasts = order[last]
        self._open_of[task[lasts]] = widx[lasts]
        return np.concatenate([inner[ok], carried[has]])

    def _consume_callbacks(self, callbacks: list[tuple[int, int, int, str]], t0: int) -> None:
        out = self._callbacks
        fresh = sorted((Callback(th, s - t0, e - t0, label) for th, s, e, label in callbacks),
                       key=lambda c: c.start_ns)
        if fresh and out and fresh[0].start_ns < out[-1].start_ns:
            out += fresh
            out.sort(key=lambda c: c.start_ns)
        else:
            out += fresh

