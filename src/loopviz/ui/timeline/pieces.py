"""How one record becomes pieces of lanes, for what the trace records but a lane must show.

Pure (no Qt), used by :class:`~loopviz.ui.timeline.layout.TimelineModel`:

- :func:`wait_pieces`: a wait is *waiting* until the thing it waits on is done, *ready* from
  then until the task runs again. A timer has a due time too: from ``due_ns`` until its
  callback ran (``ready_ns``) the task was **late**: it should have been running and the loop
  was busy (a block's victims show it across the whole block).
- :class:`QueueSlots`: executor jobs that waited for a free worker get a piece on a "waiting
  for a worker" lane from submission to start; jobs queued at the same time take separate
  rows (first free row), so each queued job shows on its own.
- :func:`alert_lane`: which lane a diagnostic's mark goes on: its task's, else the thread it
  names (``from thread 'worker_0'``), else the UI thread's.
"""

from __future__ import annotations

import math
import re

from loopviz.trace import Diagnostic, Trace, Wait

LATE_MIN_NS = 1_000_000  # a timer that fired less late than this is on time (loop jitter)
# A job that started sooner than this after submission gets no queue piece: a pool's first
# jobs wait a few ms for their worker thread to start, which is not the executor's queue at
# work (the job's tooltip still says how long it queued).
QUEUED_MIN_NS = 20_000_000
MAX_QUEUE_ROWS = 6  # more jobs queued at once share the last row
NOW = math.nan  # an open piece's end: "now", filled in when painted
_THREAD_NAMED = re.compile(r"thread '([^']+)'")


def wait_pieces(w: Wait) -> list[tuple[float, float, str]]:
    """(start s, end s, state) of one wait; an open wait's last piece ends at ``NOW``.
    States: ``waiting`` (the caller maps it to ``wait:<kind>``), ``late``, ``ready``."""
    start = w.start_ns
    end = w.end_ns
    wake = w.ready_ns if w.ready_ns is not None else end
    due = w.due_ns
    out: list[tuple[float, float, str]] = []
    if due is not None and due >= start and (wake is None or wake - due > LATE_MIN_NS):
        if due > start:
            out.append((start / 1e9, due / 1e9, "waiting"))
        out.append((due / 1e9, NOW if wake is None else wake / 1e9, "late"))
    elif wake is None:
        return [(start / 1e9, NOW, "waiting")]
    elif wake > start:
        out.append((start / 1e9, wake / 1e9, "waiting"))
    if wake is not None and (end is None or end > wake):
        out.append((wake / 1e9, NOW if end is None else end / 1e9, "ready"))
    return out


class QueueSlots:
    """Rows of the "waiting for a worker" lanes. Invariant: a job keeps the row it was given;
    a row is free again once its job started."""

    def __init__(self) -> None:
        self.free_at: list[float] = []  # per row: when its current job left the queue (ns)
        self.row_of: dict[int, int] = {}  # job index -> row

    @property
    def rows(self) -> int:
        return len(self.free_at)

    def place(self, job: int, submitted_ns: int, started_ns: int | None) -> int:
        """The row of job ``job`` (queued from ``submitted_ns`` to ``started_ns``, None: still
        queued)."""
        row = self.row_of.get(job)
        if row is None:
            row = next((r for r, free in enumerate(self.free_at) if free <= submitted_ns), -1)
            if row < 0:
                if len(self.free_at) < MAX_QUEUE_ROWS:
                    self.free_at.append(math.inf)
                row = len(self.free_at) - 1
            self.row_of[job] = row
        self.free_at[row] = math.inf if started_ns is None else float(started_ns)
        return row


def queued_piece(submitted_ns: int, started_ns: int | None,
                 now_ns: int) -> tuple[float, float] | None:
    """[submitted, started) in seconds if the job waited for a worker longer than
    ``QUEUED_MIN_NS`` (still queued at ``now_ns``: ends ``NOW``; too young to tell: None)."""
    if (started_ns if started_ns is not None else now_ns) - submitted_ns <= QUEUED_MIN_NS:
        return None
    return submitted_ns / 1e9, NOW if started_ns is None else started_ns / 1e9


def alert_lane(trace: Trace, d: Diagnostic) -> tuple[str, int] | None:
    """(lane kind, ident) for a diagnostic's mark; None when the trace has no lane for it."""
    if d.task is not None:
        return "task", d.task
    named = _THREAD_NAMED.search(d.message)
    if named is not None:
        for th in trace.threads:
            if th.name == named.group(1):
                return "thread", th.id
    ui = trace.ui_thread()
    return ("thread", ui) if ui is not None else None
