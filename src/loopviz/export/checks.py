"""What every trace file reader checks once a file is decoded, whatever its version: numbers
in range, nesting bounded, every id a record names known, no id twice, no interval backwards.
A file failing one is a :class:`TraceFileError` naming the first problem in one line, so what
the app draws and exports never meets a value it cannot hold (a line number past a C int, a
time past int64, a task that is not there).

The bounds are the file format's (docs/DESIGN.md "Native trace file"): times and counts fit
in ``±2**62`` (so any difference of two fits in int64), line numbers in ``0..2**31-1``, the
free-form ``meta`` map nests at most :data:`MAX_DEPTH` deep and holds finite numbers only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from loopviz.export.errors import TraceFileError
from loopviz.trace import Trace
from loopviz.trace.columns import NA, StepTable, WaitTable
from loopviz.trace.records import OUTCOMES, WAIT_KINDS

LIMIT = 1 << 62  # |every time, id and count| < LIMIT
MAX_LINE = (1 << 31) - 1
MAX_DEPTH = 32
MAX_META_ITEMS = 100_000  # a run's meta: a few dozen values and its program's source
Unknown = Callable[[np.ndarray], "int | None"]


def in_range(v: object) -> bool:
    """An integer (not a bool) a trace can hold."""
    return isinstance(v, int) and not isinstance(v, bool) and -LIMIT < v < LIMIT


def check_meta(meta: Any, where: str = "meta") -> None:
    """``meta`` (free-form, shown and exported as is): maps, lists, strings, finite numbers
    and null only, at most :data:`MAX_DEPTH` deep (walked without recursion)."""
    todo: list[tuple[Any, int]] = [(meta, 0)]
    seen = 0
    while todo:
        value, depth = todo.pop()
        seen += 1
        if seen > MAX_META_ITEMS:
            raise TraceFileError(f"corrupt trace: {where} holds more than {MAX_META_ITEMS} "
                                 f"values")
        if depth > MAX_DEPTH:
            raise TraceFileError(f"corrupt trace: {where} nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            todo += [(k, depth + 1) for k in value] + [(v, depth + 1) for v in value.values()]
        elif isinstance(value, list | tuple):
            todo += [(v, depth + 1) for v in value]
        elif _out_of_range(value):
            raise TraceFileError(f"corrupt trace: {where} holds a number out of range")
        elif not (value is None or isinstance(value, str | int | float)):
            raise TraceFileError(f"corrupt trace: {where} holds a {type(value).__name__}")


def _out_of_range(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool) and not in_range(value)


def check_records(trace: Trace) -> Unknown:
    """Everything but the steps and waits (:func:`check_bulk` does those, all at once or a
    frame at a time); returns the finder of unknown task ids that it needs."""
    check_meta(trace.meta)
    if not 0 <= trace.duration_ns < LIMIT:
        raise TraceFileError("corrupt trace: its duration is negative or out of range")
    _rows(trace)
    tasks = trace.task_table
    ids = tasks.id
    _numbers("tasks", [ids, tasks.created_ns, tasks.ended_ns, tasks.parent], nullable=True)
    _lines("tasks", tasks.line.tolist())
    known = np.sort(ids)
    if len(known) > 1 and bool(np.any(known[1:] == known[:-1])):
        dup = int(known[1:][known[1:] == known[:-1]][0])
        raise TraceFileError(f"corrupt trace: a task id appears twice ({dup})")
    unknown = _unknown_finder(known)
    parents = tasks.parent[tasks.parent != NA]
    for what, named in (("a task's parent is", parents),
                        ("jobs name", [j.task for j in trace.jobs]),
                        ("blocks name", [b.task for b in trace.blocks]),
                        ("diagnostics name", [d.task for d in trace.diagnostics])):
        task = unknown(np.array([t for t in named if t is not None], np.int64))
        if task is not None:
            raise TraceFileError(f"corrupt trace: {what} unknown task {task}")
    outcomes = {tasks.strings[i] for i in np.unique(tasks.outcome).tolist() if i >= 0}
    if not outcomes <= set(OUTCOMES):
        raise TraceFileError(f"corrupt trace: a task's outcome is not one of {', '.join(OUTCOMES)}")
    if np.any(tasks.created_ns == NA):
        raise TraceFileError("corrupt trace: a task has no creation time")
    early = np.flatnonzero((tasks.ended_ns != NA) & (tasks.ended_ns < tasks.created_ns))
    if len(early):
        raise TraceFileError(f"corrupt trace: task {int(ids[early[0]])} ends before it is "
                             f"created")
    return unknown


def check_bulk(unknown: Unknown, threads: np.ndarray, steps: StepTable,
               waits: WaitTable) -> None:
    """Steps and waits (all, or a frame's): every reference, number and interval, vectorised."""
    _numbers("steps", [steps.task, steps.start_ns, steps.end_ns], nullable=False)
    _numbers("waits", [waits.task, waits.start_ns, waits.targets], nullable=False)
    _numbers("waits", [waits.ready_ns, waits.due_ns, waits.end_ns], nullable=True)
    _lines("waits", [line for _, line, _ in waits.sites])
    for what, values in (("a step names", steps.task), ("a wait names", waits.task),
                         ("a wait awaits", waits.targets)):
        task = unknown(values)
        if task is not None:
            raise TraceFileError(f"corrupt trace: {what} unknown task {task}")
    if len(steps) and not np.isin(steps.thread, threads).all():
        raise TraceFileError("corrupt trace: a step names an unknown thread")
    if np.any(steps.end_ns < steps.start_ns):
        raise TraceFileError("corrupt trace: a step ends before it starts")
    end = waits.end_ns
    closed = end != NA
    if np.any(end[closed] < waits.start_ns[closed]):
        raise TraceFileError("corrupt trace: a wait ends before it starts")
    ready = waits.ready_ns
    has = ready != NA
    if np.any(ready[has] < waits.start_ns[has]) or np.any((ready > end) & has & closed):
        raise TraceFileError("corrupt trace: a wait is ready outside itself")
    if len(waits) and (int(waits.kind.max()) >= len(WAIT_KINDS)
                       or int(waits.site.min()) < 0 or int(waits.site.max()) >= len(waits.sites)
                       or int(waits.label.min()) < 0
                       or int(waits.label.max()) >= len(waits.labels)):
        raise TraceFileError("corrupt trace: a wait's kind, site or label is out of range")


def _rows(trace: Trace) -> None:
    """The row tables' numbers in range and intervals in order (before any becomes int64)."""
    for what, rows in (("jobs", [(j.thread, j.task) for j in trace.jobs]),
                       ("blocks", [(b.thread, b.task) for b in trace.blocks]),
                       ("diagnostics", [(d.t_ns, d.count, d.task) for d in trace.diagnostics]),
                       ("callbacks", [(c.thread,) for c in trace.callbacks]),
                       ("samples", [*trace.loop_lag, *trace.ui_heartbeat]),
                       ("threads", [(t.id,) for t in trace.threads])):
        if not all(v is None or in_range(v) for row in rows for v in row):
            raise TraceFileError(f"corrupt trace: {what} hold a number out of range")
    _intervals("jobs", ((j.submitted_ns, j.start_ns, j.end_ns) for j in trace.jobs))
    _intervals("blocks", ((b.start_ns, b.end_ns) for b in trace.blocks))
    _intervals("callbacks", ((c.start_ns, c.end_ns) for c in trace.callbacks))
    _lines("blocks", [b.line for b in trace.blocks])
    _lines("diagnostics", [d.line for d in trace.diagnostics])
    if any(d.count < 1 for d in trace.diagnostics):
        raise TraceFileError("corrupt trace: a diagnostic is counted fewer than once")


def thread_ids(trace: Trace) -> np.ndarray:
    return np.unique(np.array([t.id for t in trace.threads], np.int64))


def _numbers(what: str, columns: list[np.ndarray], nullable: bool) -> None:
    for a in columns:
        a = np.asarray(a)
        if nullable:
            a = a[a != NA]
        if len(a) and (int(a.min()) <= -LIMIT or int(a.max()) >= LIMIT):
            raise TraceFileError(f"corrupt trace: {what} hold a number out of range")


def _lines(what: str, lines: Iterable[int]) -> None:
    if not all(0 <= line <= MAX_LINE for line in lines):
        raise TraceFileError(f"corrupt trace: {what} name a line number out of range "
                             f"(0..{MAX_LINE})")


def _intervals(what: str, rows: Iterable[tuple[int | None, ...]]) -> None:
    """Each row's times, where given, in range and in order (a job: submitted, start, end)."""
    for row in rows:
        times = [t for t in row if t is not None]
        if not all(in_range(t) for t in times):
            raise TraceFileError(f"corrupt trace: {what} hold a number out of range")
        if times != sorted(times):
            raise TraceFileError(f"corrupt trace: one of its {what} ends before it starts")


def _unknown_finder(known: np.ndarray) -> Unknown:
    """``unknown(values)``: the first of ``values`` not in ``known`` (sorted ids), or None.
    Ids are small and dense (a counter): a table of flags answers in one pass, where they
    are not, a binary search."""
    dense = len(known) and int(known[0]) >= 0 and int(known[-1]) < 16 * len(known) + 4096
    present = np.zeros(int(known[-1]) + 2 if dense else 0, bool)
    if dense:
        present[known] = True

    def unknown(values: np.ndarray) -> int | None:
        if not len(values):
            return None
        if dense:
            bad = np.flatnonzero(~present[np.clip(values, -1, len(present) - 1)])
        elif len(known):
            pos = np.searchsorted(known, values).clip(0, len(known) - 1)
            bad = np.flatnonzero(known[pos] != values)
        else:
            bad = np.arange(len(values))
        return int(values[bad[0]]) if len(bad) else None

    return unknown
