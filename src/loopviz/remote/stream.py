"""What the served program has recorded, turned into wire batches: everything held (for a viewer
that just attached) and what is new since the last batch (for the ones already following).

The Streamer runs on the server's thread, never on the program's: under the recorder's lock it
only copies (raw columns from a cursor, new items of the lists, new and changed tasks and jobs),
and everything else (times made relative, rows built) happens after the lock is released.
Records are read before the tasks and threads they name, so a batch never names a task its
viewer has not been sent (the loop's thread adds a task before it can run a step of it).

A task is sent when it is new and again when it has ended; one still running is not sent
again each tick (a server holds thousands: their rows, made and encoded ten times a second,
cost the program as much as its own work did). Which ones ended is read from the new step
records (a task's last step says so), so a tick costs what is new, not what is running; about
once a second all running ones are looked at (an end without such a step, a rename).

Invariant: a viewer that got a snapshot from :meth:`Streamer.collect` and every delta after it
holds what one that has followed since an earlier snapshot holds.
"""

from __future__ import annotations

import itertools
import time
from array import array
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np

from loopviz.export.wire import Batch, LazyRows
from loopviz.trace import ring
from loopviz.trace.recorder import (
    DUE_STRIDE,
    STEP_STRIDE,
    WAKE_STRIDE,
    JobEntry,
    Recorder,
    TaskEntry,
)
from loopviz.trace.records import ThreadRole

LISTS = ("edges", "callbacks", "blocks", "diagnostics", "loop_lag", "ui_heartbeat")
_STRIDES = {"steps": STEP_STRIDE, "wakes": WAKE_STRIDE, "dues": DUE_STRIDE}
_TIMES = {"steps": (1, 2), "wakes": (1,), "dues": (1, 2)}
Buffer: TypeAlias = "array[int] | memoryview"  # raw ints: a copy, or a view of its tail
_RING_TIME = {"steps": 2, "wakes": 1, "dues": 1}  # the time the ring buffer drops them by
LOOK_EVERY_NS = 1_000_000_000  # all running tasks are looked at this often


@dataclass(slots=True)
class _Read:
    """What one visit under the lock copied (raw times, live entries). ``thread_base``: the
    id of the first thread in ``threads``."""

    raw: dict[str, Buffer]
    lists: dict[str, list[Any]]
    sites: list[tuple[tuple[str, str, int, str], tuple[str, ...]]]
    threads: list[tuple[int, str, ThreadRole]]
    thread_base: int
    tasks: list[tuple[int, TaskEntry]]
    jobs: list[tuple[int, JobEntry]]
    dropped_before: int | None


class Streamer:
    def __init__(self, recorder: Recorder) -> None:
        self.rec = recorder
        self._cursor = (0, 0, 0)
        self._last: dict[str, Any] = dict.fromkeys(LISTS)  # the last item sent, by identity
        self._n_sites = self._n_threads = 0
        # What followers were sent (the batch builder of one call updates them):
        self.max_task = self.max_job = 0  # the highest task and job ids sent
        self.live: dict[int, tuple[TaskEntry, str]] = {}  # sent while running: entry, name
        self.ending: set[int] = set()  # ran their last step: to be sent once their end is
        self._looked_at = 0  # when all running tasks were last looked at (``now_ns``)
        self.open_jobs: dict[int, list[Any]] = {}  # jobs sent while running: their last row
        self._lack = (0, 0, 0)  # ints at the end of each raw column that followers lack

    def collect(self, *, delta: bool, snapshot: bool,
                now_ns: int) -> tuple[Batch | None, Batch | None]:
        """(what is new since the last call, everything held), each only when asked for,
        both as of one moment; moves the cursors to that moment."""
        rec = self.rec
        with rec.lock:
            if snapshot:
                whole = self._read_whole()
                new = self._lacking(whole) if delta else None
            else:
                whole, new = None, self._read_new()
            if whole is not None:
                self._advance(whole, whole=True)
            elif new is not None:
                self._advance(new, whole=False)
        if new is not None and now_ns - self._looked_at >= LOOK_EVERY_NS:
            self._looked_at = now_ns
            held = self.rec.tasks
            for tid in [t for t in self.live if t not in held]:  # the ring dropped them
                del self.live[tid]
            sending = {t for t, _ in new.tasks}
            new.tasks += [(t, e) for t, (e, name) in list(self.live.items()) if t not in sending
                          and (e.ended is not None or e.current_name() != name)]
        rows = _Rows(self)
        return (None if new is None else self._batch(new, rows, now_ns, past=False),
                None if whole is None else self._batch(whole, rows, now_ns, past=True))

    def trim(self, every_s: float) -> None:
        """The ring buffer, applied from the streaming thread: the loop's thread trims only as
        it compacts, which an idle program may never do, and its samples would pile up. Skips
        when the loop's thread trimmed in the last ``every_s``; never before the window fills."""
        rec = self.rec
        keep = rec.keep_last_ns
        if keep is None:
            return
        cutoff = time.monotonic_ns() - keep
        if cutoff <= rec.t0:
            return
        if rec.dropped_before is not None and rec.dropped_before > cutoff - every_s * 1e9:
            return
        with rec.lock:
            ring.trim(rec, cutoff, 1)

    # ---- under the lock -------------------------------------------------------------------
    def _read_new(self) -> _Read:
        rec = self.rec
        raws, self._cursor = rec.raw_from(*self._cursor)
        lists = {name: _after(getattr(rec, name), self._last[name]) for name in LISTS}
        jobs = [(j, rec.jobs[j]) for j in _newer(rec.jobs, self.max_job)]
        jobs += [(j, e) for j in self.open_jobs if (e := rec.jobs.get(j)) is not None]
        sites = list(zip(rec.sites[self._n_sites:], rec.site_stacks[self._n_sites:],
                         strict=True))
        threads = rec.threads[self._n_threads:]
        tasks = [(t, rec.tasks[t]) for t in _newer(rec.tasks, self.max_task)]
        tasks += self._ended_live(raws[0])
        return _Read(dict(zip(_STRIDES, raws, strict=True)), lists, sites, threads,
                     self._n_threads, tasks, jobs, rec.dropped_before)

    def _read_whole(self) -> _Read:
        rec = self.rec
        before = self._cursor
        raws, self._cursor = rec.raw_from(0, 0, 0)
        self._lack = (max(0, self._cursor[0] - before[0]), max(0, self._cursor[1] - before[1]),
                      max(0, self._cursor[2] - before[2]))
        return _Read(dict(zip(_STRIDES, raws, strict=True)),
                     {name: list(getattr(rec, name)) for name in LISTS},
                     list(zip(rec.sites, rec.site_stacks, strict=True)), list(rec.threads), 0,
                     list(rec.tasks.copy().items()), list(rec.jobs.copy().items()),
                     rec.dropped_before)  # copy(): see ring.trim

    def _lacking(self, whole: _Read) -> _Read:
        """The part of a whole read that followers lack (the cursors are still the old ones,
        but the raw cursor, which :meth:`_read_whole` moved: ``_lack`` kept the difference)."""
        raw: dict[str, Buffer] = {name: memoryview(a)[len(a) - min(lack, len(a)):]
               for (name, a), lack in zip(whole.raw.items(), self._lack, strict=True)}
        return _Read(raw, {n: _after(items, self._last[n]) for n, items in whole.lists.items()},
                     whole.sites[self._n_sites:], whole.threads[self._n_threads:],
                     self._n_threads,
                     [(t, e) for t, e in whole.tasks if t > self.max_task] +
                     self._ended_live(raw["steps"]),
                     [(j, e) for j, e in whole.jobs if j > self.max_job or j in self.open_jobs],
                     whole.dropped_before)

    def _ended_live(self, steps: Buffer) -> list[tuple[int, TaskEntry]]:
        """Tasks sent while running whose last step is among ``steps`` (new raw step records)
        or was before, and whose end is recorded: to be sent again. (The step and the end are
        written one after the other, outside the lock: either may be seen first.) Tasks the
        ring buffer dropped are forgotten once a second, with the look at all running ones."""
        if len(steps):
            a = np.frombuffer(steps, dtype=np.int64).reshape(-1, STEP_STRIDE)
            self.ending.update(a[a[:, 3] < 0, 0].tolist())
        tasks, live, out = self.rec.tasks, self.live, []
        for tid in list(self.ending):
            e = tasks.get(tid)
            if e is None:
                self.ending.discard(tid)  # the ring dropped it
            elif tid in live and e.ended is not None:
                out.append((tid, e))
        return out  # (a row sent ended takes its task out of ``_ending``)

    def _advance(self, read: _Read, *, whole: bool) -> None:
        for name, items in read.lists.items():
            if items:
                self._last[name] = items[-1]
            elif whole:
                self._last[name] = None  # nothing held: whatever comes next is new
        self._n_sites = (0 if whole else self._n_sites) + len(read.sites)
        self._n_threads = read.thread_base + len(read.threads)

    # ---- after the lock -----------------------------------------------------------------
    def _batch(self, read: _Read, rows: _Rows, now_ns: int, *, past: bool) -> Batch:
        """A delta's rows are made now (few; a snapshot made next reuses its task rows); a
        snapshot's as they are encoded (:class:`LazyRows`)."""
        t0 = self.rec.t0
        lists = read.lists
        out: dict[str, list[Any] | LazyRows] = {
            "threads": [[read.thread_base + i, name, role]
                        for i, (_, name, role) in enumerate(read.threads)],
            "sites": [[kind, file, line, label, list(stack)]
                      for (kind, file, line, label), stack in read.sites],
            "tasks": LazyRows(read.tasks, lambda te: rows.task(te[0], te[1], keep=not past)),
            "jobs": LazyRows(read.jobs, lambda je: rows.job(je[0], je[1], past)),
            "edges": LazyRows(lists["edges"], lambda e: [e[0], e[1] - t0, list(e[2])]),
            "callbacks": LazyRows(lists["callbacks"],
                                  lambda c: [c[0], c[1] - t0, c[2] - t0, c[3]]),
            "blocks": LazyRows(lists["blocks"], lambda b: [
                b.thread, b.start_ns, b.end_ns, b.file, b.line, b.function, list(b.stack),
                b.task, b.culprit]),
            "diagnostics": LazyRows(lists["diagnostics"], lambda d: [
                d.t_ns, d.kind, d.message, d.task, d.file, d.line]),
            "loop_lag": LazyRows(lists["loop_lag"], lambda sample: [sample[0] - t0, sample[1]]),
            "ui_heartbeat": LazyRows(lists["ui_heartbeat"],
                                     lambda sample: [sample[0] - t0, sample[1]]),
        }
        if not past:
            out = {name: r.all() if isinstance(r, LazyRows) else r for name, r in out.items()}
        raw = {name: _relative(a, _STRIDES[name], _TIMES[name], t0)
               for name, a in read.raw.items()}
        dropped = None if read.dropped_before is None else max(0, read.dropped_before - t0)
        if past and dropped is not None:
            # The ring drops records as they are compacted; the newest ones (up to a
            # compaction's worth) wait uncompacted: a newcomer's past starts at the window.
            raw = {name: a[a[:, _RING_TIME[name]] >= dropped] for name, a in raw.items()}
        return Batch(now_ns, out, raw, dropped, past)


class _Rows:
    """Task and job rows, made once per collect for a delta (a task read twice could be seen
    running, then ended: followers and newcomers must both get what the live sets remember);
    a snapshot's are not kept (there may be very many)."""

    def __init__(self, streamer: Streamer) -> None:
        self.s = streamer
        self.t0 = streamer.rec.t0
        self._tasks: dict[int, list[Any]] = {}
        self._jobs: dict[int, list[Any]] = {}
        self._sent_jobs = dict(streamer.open_jobs)

    def task(self, tid: int, e: TaskEntry, *, keep: bool) -> list[Any]:
        """A task still running (or whose end the loop's thread is writing right now) stays
        in the live set, to be sent again when it has ended."""
        row = self._tasks.get(tid)
        if row is not None:
            return row
        ended, outcome, exception = e.ended, e.outcome, e.exception
        done = ended is not None and outcome != "pending" and \
            (outcome != "exception" or exception is not None)
        s = self.s
        s.max_task = max(s.max_task, tid)
        name = e.current_name()
        if done:
            s.live.pop(tid, None)
            s.ending.discard(tid)
        else:
            s.live[tid] = (e, name)
            ended, outcome, exception = None, "pending", None
        row = [tid, name, e.coro, e.parent, e.created - self.t0,
               None if ended is None else ended - self.t0, outcome, exception, e.file, e.line]
        if keep:
            self._tasks[tid] = row
        return row

    def job(self, jid: int, e: JobEntry, past: bool) -> list[Any] | None:
        """The job's row; None for followers when a running job has not changed since sent."""
        row = self._jobs.get(jid)
        if row is None:
            t0 = self.t0
            row = [jid, e.thread, e.task, e.function, e.submitted - t0,
                   None if e.start is None else e.start - t0,
                   None if e.end is None else e.end - t0]
            if not past:
                self._jobs[jid] = row
            s = self.s
            s.max_job = max(s.max_job, jid)
            if e.end is None:
                s.open_jobs[jid] = row
            else:
                s.open_jobs.pop(jid, None)
        return row if past or self._sent_jobs.get(jid) != row else None


def _newer(table: dict[int, Any], newest_sent: int) -> list[int]:
    """The ids added after ``newest_sent`` (ids grow in insertion order). One C-level pass,
    so the loop's thread cannot add a task in the middle of it."""
    return list(itertools.takewhile(newest_sent.__lt__, reversed(table)))[::-1]


def _after(items: list[Any], last: Any) -> list[Any]:
    """The items appended after ``last`` (found by identity from the end): all of them when
    it is None or gone (the ring buffer dropped it, so everything left came after it)."""
    n = len(items)
    i = n - 1
    if last is None:
        i = -1
    while i >= 0 and items[i] is not last:
        i -= 1
    return items[i + 1:n]


def _relative(a: Buffer, stride: int, times: tuple[int, ...],
              t0: int) -> np.ndarray:
    """Raw records as an (n, stride) int64 array, times made relative to ``t0``."""
    out = np.frombuffer(a, dtype=np.int64).reshape(-1, stride).copy() if len(a) else \
        np.empty((0, stride), np.int64)
    for col in times:
        out[:, col] -= t0
    return out
