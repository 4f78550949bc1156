"""The Recorder: append-only, cheap to write from the hot path, safe to read from any thread.

Invariants:
- The *hot* buffers (``steps``, ``wakes``, ``dues``) are flat int buffers (the C speedups'
  ``IntLog``, else lists) appended only by the thread running the instrumented loop, one record
  per ``extend`` of a tuple (a single C call, so a reader never sees half a record). Every
  ``COMPACT_AT`` ints they are moved into ``array('q')`` columns under ``lock``; readers copy
  under the same lock, so they never see a record twice.
- Times in the buffers are raw ``time.monotonic_ns()`` (the clock asyncio's ``loop.time()``
  uses); they become "ns since start" only when a :class:`~loopviz.trace.model.Trace` is built.
- Rare records (tasks, jobs, blocks, diagnostics, samples, callbacks) are appended under
  ``lock`` from whichever thread sees them.
"""

from __future__ import annotations

import datetime
import itertools
import sys
import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loopviz._native import speedups
from loopviz.trace.records import Block, Diagnostic, Outcome, ThreadRole
from loopviz.trace.ring import trim as from_ring_trim

_IntLog = speedups.IntLog if speedups is not None else None

STEP_STRIDE = 4  # task, start, end, site (site < 0: the task finished in this step)
WAKE_STRIDE = 2  # task, ready
DUE_STRIDE = 3  # task, suspended_at (= that step's end), due
COMPACT_AT = 1 << 14
SITE_DONE = -1


@dataclass(slots=True)
class TaskEntry:
    """Mutable while the task lives; frozen into a TaskInfo when a Trace is built."""

    name: str
    coro: str
    parent: int | None
    created: int
    file: str
    line: int
    ended: int | None = None
    outcome: Outcome = "pending"
    exception: str | None = None
    task_ref: Any = None  # weakref to the live Task (its name may change); None once it ended

    def current_name(self) -> str:
        task = self.task_ref() if self.task_ref is not None else None
        if task is not None:
            self.name = task.get_name()
        return self.name or "Task"


@dataclass(slots=True)
class JobEntry:
    task: int | None
    function: str
    submitted: int
    thread: int | None = None
    start: int | None = None
    end: int | None = None


class _Column:
    """A flat int buffer plus its compacted ``array('q')`` past. The buffer is the C speedups'
    ``IntLog`` (int64 words already) when built, else a list of ints."""

    __slots__ = ("buf", "dropped", "past", "stride")

    def __init__(self, stride: int) -> None:
        self.buf: Any = _IntLog() if _IntLog is not None else []
        self.past = array("q")
        self.stride = stride
        self.dropped = 0  # ints dropped from the front of ``past`` (the ring buffer)

    def drop_before(self, time_field: int, cutoff: int, at_least: int) -> int:
        """Drop the compacted records whose ``time_field`` is before ``cutoff`` (records are
        in time order), when at least ``at_least`` ints would go; returns the ints dropped."""
        past = self.past
        if len(past) < at_least:
            return 0
        times = memoryview(past)[time_field::self.stride]
        lo, hi = 0, len(times)
        while lo < hi:  # the first record at or after the cutoff
            mid = (lo + hi) // 2
            if times[mid] < cutoff:
                lo = mid + 1
            else:
                hi = mid
        del times
        n = lo * self.stride
        if n < at_least:
            return 0
        del past[:n]
        self.dropped += n
        return n

    def compact(self) -> None:
        buf = self.buf
        n = len(buf) - len(buf) % self.stride  # whole records only
        if type(buf) is not list:
            self.past.frombytes(buf.take(n))
        elif n == len(buf):  # the usual case: no slice copy
            # fromlist, not extend: it converts a list in one C loop, twice as fast.
            self.past.fromlist(buf)
            buf.clear()
        else:
            self.past.fromlist(buf[:n])
            del buf[:n]

    def since_to(self, start: int) -> tuple[array[int], int]:
        """:meth:`since` and the count just after what it returned (the caller holds the
        recorder's lock, so nothing is dropped meanwhile; appends may go on)."""
        out = self.since(start)
        return out, max(start, self.dropped) + len(out)

    def total(self) -> int:
        """Ints ever appended (whole records), dropped ones included."""
        return self.dropped + len(self.past) + len(self.buf) - len(self.buf) % self.stride

    def since(self, start: int) -> array[int]:
        """The whole records from int ``start`` on, counting dropped ones (the caller holds the
        recorder's lock); records dropped meanwhile are skipped."""
        start = max(0, start - self.dropped)
        past = self.past
        out = past[start:] if start < len(past) else array("q")
        buf = self.buf
        whole = len(buf) - len(buf) % self.stride
        skip = max(0, start - len(past))
        if skip >= whole:
            return out
        if type(buf) is not list:
            out.frombytes(buf.peek(whole)[skip * 8:])
        else:
            out.extend(buf[skip:whole])
        return out

    def between(self, start: int, stop: int) -> array[int]:
        """The ints [start, stop) (whole records) of what :meth:`since` would return, without
        copying the rest; ints dropped meanwhile are skipped. The caller holds the lock."""
        lo, hi = max(0, start - self.dropped), max(0, stop - self.dropped)
        past = self.past
        out = past[lo:min(hi, len(past))]
        if hi > len(past):
            buf = self.buf
            skip = max(0, lo - len(past))
            want = min(hi - len(past), len(buf) - len(buf) % self.stride)
            if want > skip:
                if type(buf) is not list:
                    out.frombytes(buf.peek(want)[skip * 8:])
                else:
                    out.extend(buf[skip:want])
        return out

    def copy(self) -> array[int]:
        out = array("q", self.past)
        buf = self.buf
        if type(buf) is not list:
            out.frombytes(buf.peek(len(buf) - len(buf) % self.stride))
        else:
            buf = buf[:]
            out.extend(buf[: len(buf) - len(buf) % self.stride])
        return out

    def nbytes(self) -> int:
        past = self.past.buffer_info()[1] * self.past.itemsize
        if type(self.buf) is not list:
            return past + sys.getsizeof(self.buf)
        return past + sys.getsizeof(self.buf) + sum(
            sys.getsizeof(v) for v in self.buf if not -5 <= v <= 256
        )


class Recorder:
    def __init__(self, meta: dict[str, Any] | None = None, *,
                 keep_last_s: float | None = None) -> None:
        """``keep_last_s``: keep only the records of the last so many seconds (a ring buffer:
        older ones are dropped as new ones are compacted, and at :meth:`trim`)."""
        if keep_last_s is not None and not keep_last_s > 0:
            raise ValueError("keep_last_s must be a positive number of seconds")
        self.keep_last_ns = None if keep_last_s is None else int(keep_last_s * 1e9)
        self.dropped_before: int | None = None  # raw monotonic ns: nothing kept before it
        self.t0 = time.monotonic_ns()
        self.started_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        self.lock = threading.Lock()
        self.meta: dict[str, Any] = dict(meta or {})
        self._steps = _Column(STEP_STRIDE)
        self._wakes = _Column(WAKE_STRIDE)
        self._dues = _Column(DUE_STRIDE)
        # Hot-path aliases: the instrumentation binds these lists once and appends to them.
        self.steps = self._steps.buf
        self.wakes = self._wakes.buf
        self.dues = self._dues.buf
        self.edges: list[tuple[int, int, tuple[int, ...]]] = []  # task, suspended_at, targets
        self.sites: list[tuple[str, str, int, str]] = [("other", "", 0, "")]
        self.site_stacks: list[tuple[str, ...]] = [()]  # per site: its async stack, outer first
        self._site_ids: dict[tuple[Any, ...], int] = {(*self.sites[0], ()): 0}
        self.tasks: dict[int, TaskEntry] = {}
        self.threads: list[tuple[int, str, ThreadRole]] = []  # (ident, name, role); by id
        self._thread_ids: dict[int, int] = {}
        self.jobs: dict[int, JobEntry] = {}
        self.callbacks: list[tuple[int, int, int, str]] = []  # thread, start, end, label
        self.blocks: list[Block] = []  # already in ns since start
        self.diagnostics: list[Diagnostic] = []  # already in ns since start
        self.loop_lag: list[tuple[int, int]] = []  # (t, lag) raw monotonic t
        self.ui_heartbeat: list[tuple[int, int]] = []
        # The ring buffer drops the oldest items of these lists: how many each has lost, so a
        # reader that remembers how many it has seen (counting dropped ones) reads only news.
        self.list_dropped: dict[str, int] = {"edges": 0, "callbacks": 0, "loop_lag": 0,
                                             "ui_heartbeat": 0}
        # Who answers "which task is in its step right now?" (set by the instrumentation; the
        # watchdog and diagnostics ask from any thread). Asked, never maintained per step.
        self.running_provider: Callable[[], int | None] | None = None
        # Every step runs on the instrumented loop's thread: its id is stored once, not per step.
        self.loop_thread = 0
        self.task_ids = itertools.count(1)
        self._next_job_id = 1
        self.finished_ns: int | None = None
        # Set by whoever hands the clock out before the recording starts (a server's viewers
        # convert its times with it): then :meth:`start_clock` leaves it alone.
        self.clock_shared = False

    def start_clock(self) -> None:
        """The trace's time 0 is when recording starts, not when this recorder was made: the
        CLI makes it before importing Qt and making the loop (~0.2 s), and a program's run
        must not begin with loopviz's own start-up (a 2 ms program "finished in 0.24 s").
        Only while nothing is recorded and nobody was handed the clock."""
        columns = (self._steps, self._wakes, self._dues)
        if self.clock_shared or self.finished_ns is not None or self.tasks or self.jobs or \
                any(c.total() or c.buf for c in columns) or self.blocks or \
                self.diagnostics or self.edges or self.callbacks or self.loop_lag or \
                self.ui_heartbeat:
            return
        self.t0 = time.monotonic_ns()
        self.started_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")

    @property
    def running_task(self) -> int | None:
        """The id of the task whose step is running now (None between steps)."""
        provider = self.running_provider
        return provider() if provider is not None else None

    # ---- identities -------------------------------------------------------------------
    def new_task_id(self) -> int:
        return next(self.task_ids)  # itertools.count: atomic under the GIL, no lock needed

    def thread_id(self, ident: int | None = None, role: ThreadRole | None = None,
                  name: str | None = None) -> int:
        """Small stable id for a thread (or a worker process: ``name`` given); the first thread
        registered with role ui-loop is 0."""
        ident = threading.get_ident() if ident is None else ident
        tid = self._thread_ids.get(ident)
        if tid is not None:
            return tid
        with self.lock:
            tid = self._thread_ids.get(ident)
            if tid is None:
                if name is None:
                    name = next((t.name for t in threading.enumerate() if t.ident == ident),
                                str(ident))
                if role is None:
                    role = "executor" if "worker" in name or "ThreadPool" in name else "other"
                tid = len(self.threads)
                self.threads.append((ident, name, role))
                self._thread_ids[ident] = tid
        return tid

    def site_id(self, kind: str, file: str, line: int, label: str,
                stack: tuple[str, ...] = ()) -> int:
        key = (kind, file, line, label, stack)
        sid = self._site_ids.get(key)
        if sid is None:
            with self.lock:
                sid = self._site_ids.get(key)
                if sid is None:
                    sid = len(self.sites)
                    self.sites.append((kind, file, line, label))
                    self.site_stacks.append(stack)
                    self._site_ids[key] = sid
        return sid

    # ---- hot path support ---------------------------------------------------------------
    def compact(self) -> None:
        """Move the hot buffers into compact columns (called by the writer thread); with a
        ring buffer (``keep_last_ns``), then drop what is older than the window."""
        with self.lock:
            self._steps.compact()
            self._wakes.compact()
            self._dues.compact()
            if self.keep_last_ns is not None:
                from_ring_trim(self, time.monotonic_ns() - self.keep_last_ns, COMPACT_AT)

    def drop_hot_before(self, cutoff: int, at_least: int) -> bool:
        """Drop the steps that ended before ``cutoff`` once at least ``at_least`` ints would
        go, and the wakes and dues before it (see :mod:`loopviz.trace.ring`); whether steps
        went. With ``at_least`` over 1 nothing else goes unless steps did: the steps are the
        bulk, the rest waits for them. Caller holds the lock."""
        dropped = bool(self._steps.drop_before(2, cutoff, at_least))  # by a step's end
        if dropped or at_least <= 1:
            self._wakes.drop_before(1, cutoff, 1)
            self._dues.drop_before(1, cutoff, 1)
        return dropped

    # ---- rare records ---------------------------------------------------------------------
    def add_task(self, tid: int, entry: TaskEntry) -> None:
        with self.lock:
            self.tasks[tid] = entry

    def end_task(self, tid: int, t: int, outcome: Outcome, exception: str | None) -> None:
        entry = self.tasks.get(tid)
        if entry is not None and entry.ended is None:
            entry.ended, entry.outcome, entry.exception = t, outcome, exception

    def add_edges(self, task: int, suspended_at: int, targets: tuple[int, ...]) -> None:
        self.edges.append((task, suspended_at, targets))

    def new_job(self, task: int | None, function: str) -> int:
        with self.lock:
            jid = self._next_job_id
            self._next_job_id += 1
            self.jobs[jid] = JobEntry(task, function, time.monotonic_ns())
        return jid

    def job_started(self, jid: int) -> None:
        job = self.jobs[jid]
        job.thread = self.thread_id(role="executor")
        job.start = time.monotonic_ns()

    def job_finished(self, jid: int) -> None:
        self.jobs[jid].end = time.monotonic_ns()

    def job_ran_in_process(self, jid: int, pid: int, name: str, start: int, end: int) -> None:
        """A job a worker process ran and timed itself (its monotonic clock is ours): its lane
        is the process's, keyed apart from threads by a negative ident."""
        job = self.jobs[jid]
        job.thread = self.thread_id(-pid, role="executor", name=name)
        job.start, job.end = start, end

    def add_callback(self, thread: int, start: int, end: int, label: str) -> None:
        self.callbacks.append((thread, start, end, label))

    def add_block(self, block: Block) -> None:
        with self.lock:
            self.blocks.append(block)

    def add_diagnostic(self, diagnostic: Diagnostic) -> None:
        with self.lock:
            self.diagnostics.append(diagnostic)

    def ns(self, monotonic_ns: int) -> int:
        """Raw monotonic ns → ns since the trace started."""
        return monotonic_ns - self.t0

    def now(self) -> int:
        return time.monotonic_ns() - self.t0

    # ---- reading ----------------------------------------------------------------------------
    def raw_columns(self) -> tuple[array[int], array[int], array[int]]:
        """Consistent copies of (steps, wakes, dues), raw monotonic times."""
        with self.lock:
            return self._steps.copy(), self._wakes.copy(), self._dues.copy()

    def raw_since(self, steps: int, wakes: int, dues: int, *, lend: bool = False) -> tuple[
            array[int] | memoryview, array[int] | memoryview, array[int] | memoryview]:
        """The (steps, wakes, dues) ints appended after the given counts (counting dropped
        ones), whole records only. The caller holds ``lock`` (so the three are consistent
        with the rest it reads); :meth:`raw_totals` gives the counts to ask from next.
        ``lend``: all of a finished recording is asked for by a build no other follows, so
        :meth:`raw_all` may lend it instead of copying it."""
        if lend and self.finished_ns is not None and not (steps or wakes or dues):
            return self.raw_all()
        return self._steps.since(steps), self._wakes.since(wakes), self._dues.since(dues)

    def raw_all(self) -> tuple[memoryview, memoryview, memoryview]:
        """Every kept (steps, wakes, dues) record of a recording that has finished
        (``finished_ns`` set: nothing appends any more), lent without a copy: a final
        build of a million steps would otherwise hold the raw records twice (~70 MB more).
        The caller holds ``lock``, and drops the views (and its slices of them) before anything
        compacts or trims."""
        if self.finished_ns is None:
            raise RuntimeError("raw_all lends the records of a finished recording only")
        for col in (self._steps, self._wakes, self._dues):
            col.compact()
        return (memoryview(self._steps.past).toreadonly(),
                memoryview(self._wakes.past).toreadonly(),
                memoryview(self._dues.past).toreadonly())

    def raw_from(self, steps: int, wakes: int, dues: int) -> tuple[
            tuple[array[int], array[int], array[int]], tuple[int, int, int]]:
        """:meth:`raw_since`, and the counts to ask from next time. Exact even while the
        loop's thread keeps appending: for readers on another thread (the served trace's
        streamer), where a later :meth:`raw_totals` could count records never returned."""
        (s, s_end), (w, w_end), (d, d_end) = (self._steps.since_to(steps),
                                              self._wakes.since_to(wakes),
                                              self._dues.since_to(dues))
        return (s, w, d), (s_end, w_end, d_end)

    def raw_between(self, which: int, start: int, stop: int) -> array[int]:
        """Ints [start, stop) of (steps, wakes, dues)[``which``] (a newcomer's past, a chunk at
        a time): :meth:`_Column.between`."""
        return (self._steps, self._wakes, self._dues)[which].between(start, stop)

    def append_raw(self, steps: bytes, wakes: bytes, dues: bytes) -> None:
        """Whole raw records made elsewhere (int64 bytes, raw monotonic times): a viewer's
        mirror of a served program, which has no hot path of its own."""
        with self.lock:
            self._steps.past.frombytes(steps)
            self._wakes.past.frombytes(wakes)
            self._dues.past.frombytes(dues)

    def raw_totals(self) -> tuple[int, int, int]:
        return self._steps.total(), self._wakes.total(), self._dues.total()

    def raw_dropped(self) -> tuple[int, int, int]:
        """Ints the ring buffer dropped from the front of (steps, wakes, dues)."""
        return self._steps.dropped, self._wakes.dropped, self._dues.dropped

    def list_since(self, name: str, seen: int) -> tuple[list[Any], int]:
        """The items of list ``name`` (``edges``, ``callbacks``, ``loop_lag``,
        ``ui_heartbeat``) after the first ``seen`` ever appended (dropped ones counted), and
        the count to ask from next. The caller holds ``lock``."""
        items: list[Any] = getattr(self, name)
        dropped = self.list_dropped[name]
        return items[max(0, seen - dropped):], dropped + len(items)

    def trim(self) -> None:
        """Apply the ring buffer now, all of it; not to a finished recording (see raw_all)."""
        if self.keep_last_ns is not None and self.finished_ns is None:
            with self.lock:
                self._steps.compact()
                self._wakes.compact()
                self._dues.compact()
                from_ring_trim(self, time.monotonic_ns() - self.keep_last_ns, 1)

    def memory_bytes(self) -> int:
        """Bytes held by the hot step/wake/due records (for the memory benchmark)."""
        with self.lock:
            return self._steps.nbytes() + self._wakes.nbytes() + self._dues.nbytes()

    def step_count(self) -> int:
        with self.lock:
            return (len(self._steps.past) + len(self._steps.buf)) // STEP_STRIDE
