"""A newcomer's past: everything a served program holds (with the default ring buffer, the
last 60 s: ~100,000 tasks and ~300,000 steps for a busy server), sent in chunks as the
newcomer's connection takes them.

Capturing it (under the recorder's lock, right after a tick moved the followers' cursors)
copies no record: it keeps the raw columns' bounds, the held task ids as one int64 array,
and the lists' items (references). Frames are made one at a time as they are sent
(:meth:`Past.frames`): a chunk of task ids read into columns, a chunk of raw records copied
under the lock. So a late viewer never costs the program whole-size copies of its records,
nor a Python object per task, which would leave its heap larger after each newcomer.

What the chunks read is as of when each is made, which the batches after the capture agree
with: a task that ended since is sent ended (and its end may come again: ends are upserts);
one still running joins the followers' live set, its end sent with a later tick's. Records
the ring buffer dropped meanwhile are left out (they were the oldest).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

from loopviz.export.framing import Compressor
from loopviz.export.wire import (
    ROW_CHUNK,
    batch_frame,
    batch_head,
    row_frames,
)
from loopviz.remote.tables import (
    LIST_ROWS,
    LISTS,
    RAW,
    RING_TIME,
    STRIDES,
    Ends,
    done,
    job_row,
    relative,
    task_table,
    upto,
)
from loopviz.trace.recorder import Recorder


class Followed(Protocol):
    """What followers were sent (a :class:`~loopviz.remote.stream.Streamer`): the past is
    read up to it, and adds to it what it sends."""

    rec: Recorder
    cursor: tuple[int, int, int]
    last: dict[str, Any]
    n_sites: int
    n_threads: int
    max_task: int
    max_job: int
    live: dict[int, str]
    open_jobs: dict[int, list[Any]]

RAW_CHUNK = 1 << 16  # raw records a frame (2 MiB of steps, copied under the lock at once)


class Past:
    def __init__(self, streamer: Followed, now_ns: int) -> None:
        rec = streamer.rec
        self.streamer, self.now_ns = streamer, now_ns
        with rec.lock:
            self.raw_from = rec.raw_dropped()
            self.raw_to = streamer.cursor
            ids = np.fromiter(rec.tasks, np.int64)
            self.lists = {name: upto(getattr(rec, name), streamer.last[name])
                          for name in LISTS}
            self.sites = list(zip(rec.sites[:streamer.n_sites],
                                  rec.site_stacks[:streamer.n_sites], strict=True))
            self.threads = rec.threads[:streamer.n_threads]
            jobs = [(j, e) for j, e in rec.jobs.copy().items() if j <= streamer.max_job]
            dropped = rec.dropped_before
        self.ids = ids[ids <= streamer.max_task]
        t0 = rec.t0
        self.dropped_before = None if dropped is None else max(0, dropped - t0)
        self.jobs = [job_row(j, e, t0) for j, e in jobs]
        for (j, e), row in zip(jobs, self.jobs, strict=True):
            if e.end is None:  # followers may have an older row: they get its change
                streamer.open_jobs.setdefault(j, row)

    def frames(self, compressor: Compressor) -> Iterator[bytes]:
        """The past's frames, made as they are taken: threads and sites, tasks, the other
        rows, then the raw records (so no record names a task before it was sent)."""
        head = batch_head(self.now_ns, True, self.dropped_before)
        t0 = self.streamer.rec.t0
        yield from row_frames(head, "threads", [[i, name, role] for i, (_, name, role)
                                                in enumerate(self.threads)], compressor)
        yield from row_frames(head, "sites", [[kind, file, line, label, list(stack)]
                                              for (kind, file, line, label), stack
                                              in self.sites], compressor)
        for at in range(0, len(self.ids), ROW_CHUNK):
            yield batch_frame(head, compressor, tables=self._tasks(at))
        self.ids = self.ids[:0]
        yield from row_frames(head, "jobs", self.jobs, compressor)
        for name, items in self.lists.items():
            convert = LIST_ROWS[name]
            for at in range(0, len(items), ROW_CHUNK):
                yield batch_frame(head, compressor, {name: convert(items[at:at + ROW_CHUNK],
                                                                   t0)})
            self.lists[name] = []
        for k, name in enumerate(RAW):
            stride = STRIDES[name]
            for at in range(self.raw_from[k], self.raw_to[k], RAW_CHUNK * stride):
                a = self._raw(k, name, at, min(self.raw_to[k], at + RAW_CHUNK * stride))
                if len(a):
                    yield batch_frame(head, compressor, raw={name: a})

    def _tasks(self, at: int) -> dict[str, Any]:
        """The tasks and ends columns of a chunk of the held tasks, read now."""
        streamer = self.streamer
        get, t0, live = streamer.rec.tasks.get, streamer.rec.t0, streamer.live
        ids, entries = [], []
        for tid in self.ids[at:at + ROW_CHUNK].tolist():
            e = get(tid)
            if e is not None:  # else the ring buffer dropped it meanwhile
                ids.append(tid)
                entries.append(e)
        tasks = task_table(ids, entries, t0)
        ends = Ends(t0)
        for tid, e, name in zip(ids, entries, tasks["name"], strict=True):
            if done(e):
                ends.add(tid, e)
            else:
                live.setdefault(tid, name)
        return {"tasks": tasks, "ends": ends.table()}

    def _raw(self, k: int, name: str, start: int, stop: int) -> np.ndarray:
        rec = self.streamer.rec
        with rec.lock:
            chunk = rec.raw_between(k, start, stop)
        a = relative(chunk, name, rec.t0)
        if self.dropped_before is not None:
            # The ring drops records as they are compacted; the newest ones (up to a
            # compaction's worth) wait uncompacted: a newcomer's past starts at the window.
            a = a[a[:, RING_TIME[name]] >= self.dropped_before]
        return a


class Shared:
    """Frames made once, as the first of several readers asks for each; a frame goes once
    every reader has taken it (the past of the newcomers of one tick)."""

    def __init__(self, frames: Iterator[bytes], readers: int) -> None:
        self._frames: Iterator[bytes] | None = frames
        self._made: deque[bytes] = deque()
        self._first = 0  # the index of _made[0]
        self._at = dict.fromkeys(range(readers), 0)

    def reader(self, k: int) -> Reader:
        return Reader(self, k)

    def take(self, k: int) -> bytes | None:
        at = self._at[k]
        if at - self._first == len(self._made):
            frame = next(self._frames, None) if self._frames is not None else None
            if frame is None:
                self._frames = None
                return None
            self._made.append(frame)
        frame = self._made[at - self._first]
        self._at[k] = at + 1
        self._let_go()
        return frame

    def leave(self, k: int) -> None:
        self._at.pop(k, None)
        if not self._at:
            self._frames = None  # a generator left unfinished is simply dropped
        self._let_go()

    def _let_go(self) -> None:
        low = min(self._at.values(), default=self._first + len(self._made))
        while self._first < low:
            self._made.popleft()
            self._first += 1


class Reader:
    __slots__ = ("k", "shared")

    def __init__(self, shared: Shared, k: int) -> None:
        self.shared, self.k = shared, k
