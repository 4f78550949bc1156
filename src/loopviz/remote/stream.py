"""What a served program sends its viewers: each tick, what its Recorder learned since the last
(:meth:`Streamer.collect`, one batch encoded once for every viewer); to a newcomer, first all
it holds (:meth:`Streamer.past`, read lazily, a chunk at a time: see :mod:`.past`).

Only copying happens under the recorder's lock (raw columns from a cursor, new items of the
lists, new tasks and jobs); everything else (times made relative, columns and rows built)
happens after it is released. Records are read before the tasks and threads they name, so a
batch never names a task its viewer has not been sent (the loop's thread adds a task before it
can run a step of it).

Tasks travel as columns (wire version 2): a task's fields once, when it is new, and its end
once, as it ends (which the tick reads from its new step records: a task's last step says
so), so a tick costs what is new, not what is running; about once a second all running ones
are looked at (an end without such a step, a rename). No per-task method call or row is
made: a server's thousands of tasks a second cost the program next to nothing to stream.

Invariant: a viewer that got :meth:`Streamer.past` and every batch after it holds what one
that has followed since an earlier past holds.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from operator import attrgetter
from typing import Any

import numpy as np

from loopviz.export.wire import Batch, Table
from loopviz.remote.past import Past
from loopviz.remote.tables import (
    CODE,
    LIST_ROWS,
    LISTS,
    RAW,
    after,
    done,
    job_row,
    relative,
    task_table,
)
from loopviz.trace import ring
from loopviz.trace.recorder import Recorder, TaskEntry

LOOK_EVERY_NS = 1_000_000_000  # all running tasks are looked at this often
_ENDED, _OUTCOME, _EXCEPTION = attrgetter("ended"), attrgetter("outcome"), attrgetter("exception")


class Streamer:
    def __init__(self, recorder: Recorder) -> None:
        self.rec = recorder
        self.cursor = (0, 0, 0)  # ints of (steps, wakes, dues) read, dropped ones counted
        self.last: dict[str, Any] = dict.fromkeys(LISTS)  # the last item sent, by identity
        self.n_sites = self.n_threads = 0
        # What followers were sent (:class:`Past` updates them too, as it reads):
        self.max_task = self.max_job = 0  # the highest task and job ids sent
        self.live: dict[int, str] = {}  # tasks sent while running: the name sent
        self.ending: set[int] = set()  # ran their last step, their end not yet all written
        self._looked_at = 0  # when all running tasks were last looked at (``now_ns``)
        self.open_jobs: dict[int, list[Any]] = {}  # jobs sent while running: their last row

    def collect(self, now_ns: int) -> Batch:
        """What is new since the last call (or :meth:`skip`); moves the cursors to now."""
        rec = self.rec
        with rec.lock:
            raws, self.cursor = rec.raw_from(*self.cursor)
            lists = {name: after(getattr(rec, name), self.last[name]) for name in LISTS}
            jobs = [(j, rec.jobs[j]) for j in _newer(rec.jobs, self.max_job)]
            jobs += [(j, e) for j in self.open_jobs if (e := rec.jobs.get(j)) is not None]
            sites = list(zip(rec.sites[self.n_sites:], rec.site_stacks[self.n_sites:],
                             strict=True))
            threads = rec.threads[self.n_threads:]
            new_ids = _newer(rec.tasks, self.max_task)
            entries = list(map(rec.tasks.__getitem__, new_ids))
            dropped_before = rec.dropped_before
        for name, items in lists.items():
            if items:
                self.last[name] = items[-1]
        thread_base = self.n_threads
        self.n_sites += len(sites)
        self.n_threads += len(threads)
        t0 = rec.t0
        raw = {name: relative(a, name, t0) for name, a in zip(RAW, raws, strict=True)}
        tables = self._tasks(new_ids, entries, raw["steps"], now_ns)
        rows: dict[str, Any] = {
            "threads": [[thread_base + i, name, role]
                        for i, (_, name, role) in enumerate(threads)],
            "sites": [[kind, file, line, label, list(stack)]
                      for (kind, file, line, label), stack in sites],
            "names": tables.pop("names"),
            "jobs": [row for j, e in jobs if (row := self._job(j, e)) is not None],
            **{name: convert(lists[name], t0) for name, convert in LIST_ROWS.items()},
        }
        return Batch(now_ns, rows, raw,
                     None if dropped_before is None else max(0, dropped_before - t0),
                     False, tables)

    def skip(self) -> None:
        """Nobody follows: move every cursor to now without reading anything (a newcomer's
        :meth:`past` is read from here)."""
        rec = self.rec
        with rec.lock:
            self.cursor = rec.raw_totals()
            self.last = {name: items[-1] if (items := getattr(rec, name)) else None
                         for name in LISTS}
            self.n_sites, self.n_threads = len(rec.sites), len(rec.threads)
            self.max_task = next(reversed(rec.tasks), 0)
            self.max_job = next(reversed(rec.jobs), 0)
        self.live.clear()
        self.ending.clear()
        self.open_jobs.clear()

    def past(self, now_ns: int) -> Past:
        """Everything held up to the cursors (call right after :meth:`collect` or
        :meth:`skip`), to be read a chunk at a time as a newcomer takes it."""
        return Past(self, now_ns)

    def trim(self, every_s: float) -> None:
        """The ring buffer, applied from the streaming thread: the loop's thread trims only as
        it compacts, which an idle program may never do, and its samples would pile up. Skips
        when the loop's thread trimmed in the last ``every_s``; never before the window fills,
        nor once the recording finished (its ring was applied then, and its final build may be
        borrowing its columns: see :meth:`Recorder.raw_all`)."""
        rec = self.rec
        keep = rec.keep_last_ns
        if keep is None or rec.finished_ns is not None:
            return
        cutoff = time.monotonic_ns() - keep
        if cutoff <= rec.t0:
            return
        if rec.dropped_before is not None and rec.dropped_before > cutoff - every_s * 1e9:
            return
        with rec.lock:
            ring.trim(rec, cutoff, 1)

    # ---- after the lock -------------------------------------------------------------------
    def _tasks(self, new_ids: list[int], entries: list[TaskEntry], steps: np.ndarray,
               now_ns: int) -> dict[str, Any]:
        """The new tasks; the ends of the tasks whose last step is among ``steps`` (or was,
        their end not yet all written then); once a second, the running ones' renames and
        ends without a last step. Per task, C-level passes and attribute reads only."""
        live, get = self.live, self.rec.tasks.get
        new = task_table(new_ids, entries, self.rec.t0)
        if new_ids:
            self.max_task = new_ids[-1]
        live.update(zip(new_ids, new["name"], strict=True))
        ending = steps[steps[:, 3] < 0, 0].tolist()
        if self.ending:
            ending = list(dict.fromkeys([*self.ending, *ending]))
            self.ending.clear()
        deque(map(live.pop, ending, itertools.repeat(None)), maxlen=0)
        names = []
        if now_ns - self._looked_at >= LOOK_EVERY_NS:
            self._looked_at = now_ns
            gone = []
            for tid, sent in live.items():
                held = get(tid)
                if held is None:
                    gone.append(tid)
                elif held.ended is not None:  # an end without a last step
                    ending.append(tid)
                else:
                    ref = held.task_ref
                    task = ref() if ref is not None else None
                    if task is not None and (name := task.get_name()) != sent:
                        names.append([tid, name])
            for tid in gone + ending:
                live.pop(tid, None)
            live.update((tid, name) for tid, name in names)
        return {"tasks": new, "ends": self._ends(ending), "names": names}

    def _ends(self, ids: list[int]) -> Table:
        """The ``ends`` of tasks ``ids`` (held ones); those whose end is not all written yet
        (the loop's thread writes it after their last step, outside the lock) wait in
        ``ending`` for the next tick."""
        got = list(map(self.rec.tasks.get, ids))
        entries: list[TaskEntry] = list(filter(None, got))  # (``in`` would call __eq__)
        if len(entries) < len(got):  # the ring buffer dropped some
            ids = [t for t, e in zip(ids, got, strict=True) if e is not None]
        ended = list(map(_ENDED, entries))
        outcome = list(map(_OUTCOME, entries))
        exception = list(map(_EXCEPTION, entries))
        if None in ended or "pending" in outcome or "exception" in outcome:
            ok = list(map(done, entries))
            if not all(ok):
                self.ending.update(t for t, k in zip(ids, ok, strict=True) if not k)
                ids, ended, outcome, exception = ([v for v, k in zip(col, ok, strict=True) if k]
                                                  for col in (ids, ended, outcome, exception))
        return {"task": np.array(ids, np.int64),
                "ended_ns": np.array(ended, np.int64) - self.rec.t0,
                "outcome": np.array(list(map(CODE.__getitem__, outcome)), np.uint8),
                "exception": exception}

    def _job(self, jid: int, e: Any) -> list[Any] | None:
        """The job's row; None when a running job sent before has not changed."""
        row = job_row(jid, e, self.rec.t0)
        self.max_job = max(self.max_job, jid)
        sent = self.open_jobs.get(jid)
        if e.end is None:
            self.open_jobs[jid] = row
        else:
            self.open_jobs.pop(jid, None)
        return None if sent == row else row


def _newer(table: dict[int, Any], newest_sent: int) -> list[int]:
    """The ids added after ``newest_sent`` (ids grow in insertion order). One C-level pass,
    so the loop's thread cannot add a task in the middle of it."""
    return list(itertools.takewhile(newest_sent.__lt__, reversed(table)))[::-1]
