"""A viewer's copy of a served program's Recorder, fed batch by batch from the wire.

The mirror *is* a :class:`~loopviz.trace.recorder.Recorder`, holding the program's records in
this process's clock (``t0`` is set so that ``now()`` here is the program's ``now()``), so the
ordinary IncrementalBuilder, the GUI's bridge and the views read it as they read a local run,
and a trace built from it saves as a normal file.

What a hostile or broken server sends cannot crash the viewer: rows were type-checked by
:func:`~loopviz.export.wire.decode_batch`; here every reference is checked (a record naming a
task this viewer never received, which the program's ring buffer dropped, is left out or its
reference cleared; a thread or site out of order, a step ending before it starts, a task id
out of range is a :class:`~loopviz.export.wire.WireError`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from loopviz.export.wire import OUTCOMES, Batch, Table, Welcome, WireError
from loopviz.trace.recorder import JobEntry, Recorder, TaskEntry
from loopviz.trace.records import Block, Diagnostic

MAX_TASK_ID = 1 << 31  # ids index arrays here and in the builder: bound what we accept
TIME_LIMIT = 1 << 62  # |times| in ns since the start: shifted into this clock, they fit int64


class Mirror:
    def __init__(self, welcome: Welcome, address: str) -> None:
        if not 0 <= welcome.now_ns < TIME_LIMIT:
            raise WireError("malformed welcome: its clock is out of range")
        rec = self.recorder = Recorder()
        rec.t0 = time.monotonic_ns() - welcome.now_ns
        rec.started_at = welcome.started_at
        rec.loop_thread = welcome.loop_thread
        rec.meta.update(welcome.meta)
        rec.sites.clear()  # the program sends all of its own, its default site 0 first
        rec.site_stacks.clear()
        self.served: dict[str, Any] = {
            "address": address, "pid": welcome.pid, "loopviz": welcome.loopviz,
            "keep_last_s": welcome.keep_last_s, "attached_ns": welcome.now_ns,
            "past_from_ns": None, "until_ns": welcome.now_ns, "ending": None}
        rec.meta["served"] = self.served
        self._known = np.zeros(1024, bool)  # task ids received
        self.now_ns = welcome.now_ns
        self.batches = 0
        self.past_received = False  # the whole buffered past is here (a live batch came)

    # ---- applying -----------------------------------------------------------------------
    def apply(self, batch: Batch) -> None:
        """Add one batch (rows first, then the raw records that may name them)."""
        rec, t0 = self.recorder, self.recorder.t0
        rows = {name: r if isinstance(r, list) else r.all() for name, r in batch.rows.items()}
        with rec.lock:
            self._threads(rows.get("threads", ()))
            for kind, file, line, label, stack in rows.get("sites", ()):
                rec.sites.append((kind, file, line, label))
                rec.site_stacks.append(tuple(stack))
            self._tasks(rows.get("tasks", ()), t0)  # version 1's rows (an old spool)
            if "tasks" in batch.tables:
                self._new_tasks(batch.tables["tasks"], t0)
            if "ends" in batch.tables:
                self._ends(batch.tables["ends"], t0)
            for tid, name in rows.get("names", ()):
                if (entry := rec.tasks.get(tid)) is not None:
                    entry.name = name
            for jid, thread, task, function, submitted, start, end in rows.get("jobs", ()):
                rec.jobs[jid] = JobEntry(self._task_or_none(task), function, submitted + t0,
                                         thread, _shift(start, t0), _shift(end, t0))
            for task, at, targets in rows.get("edges", ()):
                if self._has(task):
                    rec.edges.append((task, at + t0, tuple(t for t in targets if self._has(t))))
            rec.callbacks += [(th, s + t0, e + t0, label)
                              for th, s, e, label in rows.get("callbacks", ())]
            rec.blocks += [Block(thread, start, end, file, line, function, tuple(stack),
                                 self._task_or_none(task), culprit)
                           for thread, start, end, file, line, function, stack, task, culprit
                           in rows.get("blocks", ())]
            rec.diagnostics += [Diagnostic(t, kind, text, self._task_or_none(task), file, line)
                                for t, kind, text, task, file, line
                                in rows.get("diagnostics", ())]
            rec.loop_lag += [(t + t0, v) for t, v in rows.get("loop_lag", ())]
            rec.ui_heartbeat += [(t + t0, v) for t, v in rows.get("ui_heartbeat", ())]
            n_sites = len(rec.sites)
        raw = {name: self._checked(name, a, n_sites, t0) for name, a in batch.raw.items()}
        empty = b""
        rec.append_raw(*(raw[n].tobytes() if n in raw else empty
                         for n in ("steps", "wakes", "dues")))
        self._advance(batch)

    def _advance(self, batch: Batch) -> None:
        self.now_ns = max(self.now_ns, batch.now_ns)
        self.batches += 1
        self.past_received = self.past_received or not batch.past
        served = self.served
        served["until_ns"] = self.now_ns
        if batch.past and batch.raw.get("steps") is not None and len(batch.raw["steps"]):
            first = int(batch.raw["steps"][:, 1].min())
            old = served["past_from_ns"]
            served["past_from_ns"] = first if old is None else min(old, first)
        if batch.dropped_before_ns is not None and served["keep_last_s"] is not None:
            # what the program had already dropped: the trace says where it begins
            ring = self.recorder.meta.setdefault("ring_buffer", {
                "keep_last_s": served["keep_last_s"], "dropped_before_ns": None})
            if ring["dropped_before_ns"] is None:
                ring["dropped_before_ns"] = batch.dropped_before_ns

    def finish(self, ending: str) -> None:
        """The stream is over (``ending``: why, one line): the trace ends at the last moment
        the program reported."""
        rec = self.recorder
        self.served["ending"] = ending
        rec.finished_ns = rec.t0 + self.now_ns

    # ---- checks ------------------------------------------------------------------------
    def _threads(self, rows: Any) -> None:
        threads = self.recorder.threads
        for tid, name, role in rows:
            if tid != len(threads):
                raise WireError(f"malformed batch: thread {tid} out of order")
            threads.append((tid, name, role))

    def _tasks(self, rows: Any, t0: int) -> None:
        tasks = self.recorder.tasks
        for tid, name, coro, parent, created, ended, outcome, exception, file, line in rows:
            if not 0 < tid < MAX_TASK_ID:
                raise WireError(f"malformed batch: task id {tid} out of range")
            entry = tasks.get(tid)
            if entry is None:
                if tid >= len(self._known):
                    grown = np.zeros(max(tid + 1, 2 * len(self._known)), bool)
                    grown[:len(self._known)] = self._known
                    self._known = grown
                self._known[tid] = True
                tasks[tid] = TaskEntry(name, coro, self._task_or_none(parent), created + t0,
                                       file, line, _shift(ended, t0), outcome, exception)
            else:
                entry.name = name
                entry.ended, entry.outcome, entry.exception = _shift(ended, t0), outcome, \
                    exception

    def _know(self, ids: np.ndarray) -> None:
        if len(ids) and not (int(ids.min()) > 0 and int(ids.max()) < MAX_TASK_ID):
            raise WireError("malformed batch: a task id out of range")
        top = int(ids.max()) if len(ids) else 0
        if top >= len(self._known):
            grown = np.zeros(max(top + 1, 2 * len(self._known)), bool)
            grown[:len(self._known)] = self._known
            self._known = grown
        self._known[ids] = True

    def _new_tasks(self, t: Table, t0: int) -> None:
        """New tasks (columns): running until their end comes (in ``ends``)."""
        created = t["created_ns"]
        if len(created) and not -TIME_LIMIT < int(created.min()) <= int(created.max()) \
                < TIME_LIMIT:
            raise WireError("malformed batch: a task's creation time out of range")
        ids = t["id"]
        self._know(ids)  # first: a parent in the same table is known
        tasks, known = self.recorder.tasks, self._known
        parents = t["parent"]
        ok = (parents > 0) & (parents < len(known))
        ok[ok] = known[parents[ok]]
        for tid, name, coro, parent, at, file, line in zip(
                ids.tolist(), t["name"], t["coro"], np.where(ok, parents, 0).tolist(),
                (created + t0).tolist(), t["file"], t["line"].tolist(), strict=True):
            tasks[tid] = TaskEntry(name, coro, parent or None, at, file, line)

    def _ends(self, t: Table, t0: int) -> None:
        ended, outcome = t["ended_ns"], t["outcome"]
        if len(ended) and not (-TIME_LIMIT < int(ended.min()) <= int(ended.max()) < TIME_LIMIT
                               and int(outcome.max()) < len(OUTCOMES)):
            raise WireError("malformed batch: a task's end out of range")
        tasks = self.recorder.tasks
        for tid, at, code, exception in zip(t["task"].tolist(), (ended + t0).tolist(),
                                            outcome.tolist(), t["exception"], strict=True):
            entry = tasks.get(tid)
            if entry is not None:
                entry.ended, entry.outcome, entry.exception = at, OUTCOMES[code], exception

    def _has(self, task: int) -> bool:
        return 0 < task < len(self._known) and bool(self._known[task])

    def _task_or_none(self, task: int | None) -> int | None:
        return task if task is not None and self._has(task) else None

    def _checked(self, name: str, a: np.ndarray, n_sites: int, t0: int) -> np.ndarray:
        """Raw records naming known tasks only, sites in range, times in this clock."""
        times = a[:, 1:]
        if times.size and not -TIME_LIMIT < int(times.min()) <= int(times.max()) < TIME_LIMIT:
            raise WireError(f"malformed batch: a {name} time out of range")
        task = a[:, 0]
        ok = (task > 0) & (task < len(self._known))
        ok[ok] = self._known[task[ok]]
        a = a[ok].copy()
        if name == "steps":
            if np.any(a[:, 2] < a[:, 1]):
                raise WireError("malformed batch: a step ends before it starts")
            if len(a) and (int(a[:, 3].min()) < -1 or int(a[:, 3].max()) >= n_sites):
                raise WireError("malformed batch: a step names an unknown wait site")
            a[:, 1:3] += t0
        else:
            a[:, 1:] += t0
        return a


def _shift(t: int | None, t0: int) -> int | None:
    return None if t is None else t + t0
