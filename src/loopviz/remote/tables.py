"""How a served Recorder's entries become the wire's tables (docs/DESIGN.md "The wire"): the
``tasks`` and ``ends`` columns, job and list rows, raw records made relative. Shared by the
ticks (:mod:`.stream`) and a newcomer's past (:mod:`.past`), so both send the same thing.

Per task only attribute reads happen here (no method call, no row object): a busy server
makes tens of thousands of tasks a second, and the serving thread holds the GIL while it
reads them.
"""

from __future__ import annotations

from array import array
from typing import Any, TypeAlias

import numpy as np

from loopviz.export.wire import OUTCOMES, Table
from loopviz.trace.recorder import DUE_STRIDE, STEP_STRIDE, WAKE_STRIDE, JobEntry, TaskEntry

LISTS = ("edges", "callbacks", "blocks", "diagnostics", "loop_lag", "ui_heartbeat")
RAW = ("steps", "wakes", "dues")
STRIDES = {"steps": STEP_STRIDE, "wakes": WAKE_STRIDE, "dues": DUE_STRIDE}
TIMES = {"steps": (1, 2), "wakes": (1,), "dues": (1, 2)}
RING_TIME = {"steps": 2, "wakes": 1, "dues": 1}  # the time the ring buffer drops them by
Buffer: TypeAlias = "array[int] | memoryview"
CODE = {outcome: i for i, outcome in enumerate(OUTCOMES)}


def done(e: TaskEntry) -> bool:
    """Its end is all written (the loop's thread writes ended, outcome, exception in turn)."""
    outcome = e.outcome
    return e.ended is not None and outcome != "pending" and \
        (outcome != "exception" or e.exception is not None)


def task_table(ids: list[int], entries: list[TaskEntry], t0: int) -> Table:
    """The wire's ``tasks`` columns: the tasks' fields as made (a name once it has run)."""
    return {"id": np.array(ids, np.int64),
            "parent": np.array([e.parent or 0 for e in entries], np.int64),
            "created_ns": np.array([e.created for e in entries], np.int64) - t0,
            "line": np.array([e.line for e in entries], np.int32),
            "name": [e.name or e.current_name() for e in entries],
            "coro": [e.coro for e in entries], "file": [e.file for e in entries]}


class Ends:
    """The wire's ``ends`` columns, gathered a task at a time."""

    def __init__(self, t0: int) -> None:
        self.t0 = t0
        self.task: list[int] = []
        self.ended: list[int] = []
        self.outcome: list[int] = []
        self.exception: list[str | None] = []

    def add(self, tid: int, e: TaskEntry) -> None:
        """``e`` is :func:`done`."""
        self.task.append(tid)
        self.ended.append(e.ended - self.t0)  # type: ignore[operator]
        self.outcome.append(CODE[e.outcome])
        self.exception.append(e.exception)

    def table(self) -> Table:
        return {"task": np.array(self.task, np.int64),
                "ended_ns": np.array(self.ended, np.int64),
                "outcome": np.array(self.outcome, np.uint8), "exception": self.exception}


def job_row(jid: int, e: JobEntry, t0: int) -> list[Any]:
    return [jid, e.thread, e.task, e.function, e.submitted - t0,
            None if e.start is None else e.start - t0, None if e.end is None else e.end - t0]


def _rows(convert: Any) -> Any:
    return lambda items, t0: [convert(item, t0) for item in items]


LIST_ROWS: dict[str, Any] = {  # list name -> (its items, t0) -> the wire's rows
    "edges": _rows(lambda e, t0: [e[0], e[1] - t0, list(e[2])]),
    "callbacks": _rows(lambda c, t0: [c[0], c[1] - t0, c[2] - t0, c[3]]),
    "blocks": _rows(lambda b, t0: [b.thread, b.start_ns, b.end_ns, b.file, b.line, b.function,
                                   list(b.stack), b.task, b.culprit]),
    "diagnostics": _rows(lambda d, t0: [d.t_ns, d.kind, d.message, d.task, d.file, d.line]),
    "loop_lag": _rows(lambda s, t0: [s[0] - t0, s[1]]),
    "ui_heartbeat": _rows(lambda s, t0: [s[0] - t0, s[1]]),
}


def relative(a: Buffer, name: str, t0: int) -> np.ndarray:
    """Raw records (a copy this side owns) as an (n, stride) int64 array, times made relative
    to ``t0`` in place."""
    out = np.frombuffer(a, dtype=np.int64).reshape(-1, STRIDES[name]) if len(a) else \
        np.empty((0, STRIDES[name]), np.int64)
    if not out.flags.writeable:
        out = out.copy()
    for col in TIMES[name]:
        out[:, col] -= t0
    return out


def after(items: list[Any], last: Any) -> list[Any]:
    """The items appended after ``last`` (found by identity from the end): all of them when
    it is None or gone (the ring buffer dropped it, so everything left came after it)."""
    n = len(items)
    i = n - 1
    if last is None:
        i = -1
    while i >= 0 and items[i] is not last:
        i -= 1
    return items[i + 1:n]


def upto(items: list[Any], last: Any) -> list[Any]:
    """The items up to ``last`` included (by identity, from the end): none when it is None or
    gone."""
    i = len(items) - 1
    while i >= 0 and last is not None and items[i] is not last:
        i -= 1
    return items[:i + 1] if last is not None else []
