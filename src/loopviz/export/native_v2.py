"""Version 2 of the native trace file: the trace's columns in frames (:mod:`.framing`).

Frames, in this order (docs/DESIGN.md "Native trace file, version 2"):

- ``meta`` (first, once): format, version, the run's meta and duration;
- ``rows`` (any number): row-wise tables appended in order, each row a list of the record's
  fields: threads, blocks, jobs, callbacks, diagnostics, loop_lag, ui_heartbeat, and the
  waits' shared ``wait_sites`` ([file, line, stack]) and ``wait_labels`` (strings); files
  written before tasks had their own frames have a ``tasks`` table here too (still read);
- ``tasks`` (any number, each a chunk of rows): the task columns (id, parent, created_ns,
  ended_ns, line; coro, file, outcome, exception as indices into the frame's ``strings``,
  -1 for no exception) and the tasks' ``names`` in the header;
- ``steps`` / ``waits`` (any number, each a chunk of rows): columns; times are delta-coded
  (``start_ns``: the first absolute, then differences; ``end_ns``/``ready_ns``/``due_ns``
  relative to the record's start, NA kept) so that they compress well;
- ``end`` (last, once): the record counts, so that a cut-off file is told from a whole one.

Saving and loading are single passes over the records; loading validates every field's type
(msgspec), every reference (task ids exist, no id twice, site and label indices in range) and
every interval (end >= start, ready inside its wait) before a Trace is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import msgspec
import numpy as np
import zstandard

from loopviz.export.errors import TraceFileError
from loopviz.export.framing import (
    DEFAULT_LIMITS,
    LEVEL,
    MAGIC,
    FrameError,
    Limits,
    delta_decode,
    delta_encode,
    encode_frame,
    read_frames,
)
from loopviz.trace import Block, Callback, Diagnostic, Job, ThreadInfo, Trace
from loopviz.trace.columns import NA, StepTable, WaitTable
from loopviz.trace.records import WAIT_KINDS
from loopviz.trace.task_table import INT_COLUMNS, STRING_COLUMNS, TaskTable, object_array

FORMAT, VERSION = "loopviz-trace", 2
CHUNK = 1 << 16  # rows per column frame: bounds what saving and loading hold at once
ROW_CHUNK = 1 << 16  # records per rows frame
Opt = int | None
ROW_TYPES: dict[str, Any] = {
    "threads": list[tuple[int, str, str]],
    "tasks": list[tuple[int, str, str, Opt, int, Opt, str, str | None, str, int]],
    "blocks": list[tuple[int, int, int, str, int, str, list[str], Opt, str]],
    "jobs": list[tuple[Opt, Opt, str, int, Opt, Opt]],
    "callbacks": list[tuple[int, int, int, str]],
    "diagnostics": list[tuple[int, str, str, Opt, str, int]],
    "loop_lag": list[tuple[int, int]],
    "ui_heartbeat": list[tuple[int, int]],
    "wait_sites": list[tuple[str, int, list[str]]],
    "wait_labels": list[str],
}
TASK_COLUMNS = (*INT_COLUMNS, *STRING_COLUMNS)
STEP_COLUMNS = ("task", "start_ns", "end_ns", "thread")
WAIT_COLUMNS = ("task", "start_ns", "ready_ns", "due_ns", "end_ns", "kind", "site", "label",
                "target_count", "targets")


# ---- writing ------------------------------------------------------------------------------------
def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _relative(a: np.ndarray, start: np.ndarray) -> np.ndarray:
    return np.where(a == NA, NA, a - start)


def _rows(trace: Trace) -> dict[str, list[Any]]:
    return {
        "threads": [[t.id, t.name, t.role] for t in trace.threads],
        "blocks": [[b.thread, b.start_ns, b.end_ns, b.file, b.line, b.function, list(b.stack),
                    b.task, b.culprit] for b in trace.blocks],
        "jobs": [[j.thread, j.task, j.function, j.submitted_ns, j.start_ns, j.end_ns]
                 for j in trace.jobs],
        "callbacks": [[c.thread, c.start_ns, c.end_ns, c.label] for c in trace.callbacks],
        "diagnostics": [[d.t_ns, d.kind, d.message, d.task, d.file, d.line]
                        for d in trace.diagnostics],
        "loop_lag": [list(s) for s in trace.loop_lag],
        "ui_heartbeat": [list(s) for s in trace.ui_heartbeat],
        "wait_sites": [[f, line, list(stack)] for f, line, stack in trace.wait_table.sites],
        "wait_labels": list(trace.wait_table.labels),
    }


def frames(trace: Trace) -> Iterator[bytes]:
    """The frames of ``trace``, encoded, in file order (a writer joins them after MAGIC)."""
    cctx = zstandard.ZstdCompressor(level=LEVEL)
    yield encode_frame({"frame": "meta", "format": FORMAT, "version": VERSION,
                        "meta": trace.meta, "duration_ns": trace.duration_ns}, None, cctx)
    for name, rows in _rows(trace).items():
        for part in _chunks(len(rows), ROW_CHUNK):
            yield encode_frame({"frame": "rows", name: rows[part]}, None, cctx)
    yield from _task_frames(trace.task_table, cctx)
    st = trace.step_table
    for part in _chunks(len(st), CHUNK):
        start = st.start_ns[part]
        yield encode_frame({"frame": "steps"}, {
            "task": st.task[part], "start_ns": delta_encode(start),
            "end_ns": st.end_ns[part] - start,
            "thread": st.thread[part].astype(np.int32)}, cctx)
    wt = trace.wait_table
    counts = np.diff(wt.target_offsets).astype(np.int32)
    for part in _chunks(len(wt), CHUNK):
        start = wt.start_ns[part]
        yield encode_frame({"frame": "waits"}, {
            "task": wt.task[part], "start_ns": delta_encode(start),
            "ready_ns": _relative(wt.ready_ns[part], start),
            "due_ns": _relative(wt.due_ns[part], start),
            "end_ns": _relative(wt.end_ns[part], start), "kind": wt.kind[part],
            "site": wt.site[part], "label": wt.label[part], "target_count": counts[part],
            "targets": wt.targets[wt.target_offsets[part.start]:wt.target_offsets[part.stop]]},
            cctx)
    yield encode_frame({"frame": "end", "steps": len(st), "waits": len(wt),
                        "tasks": len(trace.tasks)}, None, cctx)


def _task_frames(tt: TaskTable, cctx: zstandard.ZstdCompressor) -> Iterator[bytes]:
    """Each frame names the strings its rows use (so it reads on its own)."""
    for part in _chunks(len(tt), CHUNK):
        codes = {c: getattr(tt, c)[part] for c in STRING_COLUMNS}
        used = np.unique(np.concatenate(list(codes.values())))
        used = used[used >= 0]
        local = np.full(len(tt.strings) + 1, -1, np.int32)  # the last slot maps -1 to -1
        local[used] = np.arange(len(used), dtype=np.int32)
        cols = {c: getattr(tt, c)[part] for c in INT_COLUMNS}
        cols.update({c: local[codes[c]] for c in STRING_COLUMNS})
        yield encode_frame({"frame": "tasks", "strings": [tt.strings[i] for i in used.tolist()],
                            "names": tt.name[part].tolist()}, cols, cctx)


def write(trace: Trace, stream: BinaryIO) -> None:
    stream.write(MAGIC)
    for frame in frames(trace):
        stream.write(frame)


# ---- reading ------------------------------------------------------------------------------------
class _Reader:
    """Collects frames; :meth:`trace` checks and assembles them."""

    def __init__(self) -> None:
        self.head: dict[str, Any] | None = None
        self.rows: dict[str, list[Any]] = {name: [] for name in ROW_TYPES}
        self.tasks: list[dict[str, np.ndarray]] = []
        self.task_names: list[str] = []
        self.strings: dict[str, int] = {}
        self.steps: list[dict[str, np.ndarray]] = []
        self.waits: list[dict[str, np.ndarray]] = []
        self.end: dict[str, Any] | None = None

    def take(self, header: dict[str, Any], columns: dict[str, np.ndarray]) -> None:
        kind = header.get("frame")
        if self.head is None and kind != "meta":
            raise TraceFileError("not a loopviz trace (its first frame is not 'meta')")
        if self.end is not None:
            raise TraceFileError("corrupt trace: frames after the 'end' frame")
        if kind == "meta":
            self._meta(header)
        elif kind == "rows":
            for name, rows in header.items():
                if name == "frame":
                    continue
                if name not in ROW_TYPES:
                    raise TraceFileError(f"corrupt trace: unknown table {name[:40]!r}")
                try:
                    self.rows[name] += msgspec.convert(rows, ROW_TYPES[name], strict=True)
                except msgspec.ValidationError as exc:
                    raise TraceFileError(f"corrupt trace: {name}: {exc}") from None
        elif kind in ("steps", "waits"):
            self._columns(kind, columns)
        elif kind == "tasks":
            self._tasks(header, columns)
        elif kind == "end":
            self.end = header
        else:
            raise TraceFileError(f"corrupt trace: unknown frame {str(kind)[:40]!r}")

    def _meta(self, header: dict[str, Any]) -> None:
        if self.head is not None:
            raise TraceFileError("corrupt trace: two 'meta' frames")
        if header.get("format") != FORMAT:
            raise TraceFileError("not a loopviz trace (no 'format: loopviz-trace')")
        if header.get("version") != VERSION:
            raise TraceFileError(f"unsupported trace version {header.get('version')!r} "
                                 f"(this loopviz reads versions 1 and 2)")
        if not isinstance(header.get("meta"), dict) or \
                type(header.get("duration_ns")) is not int:
            raise TraceFileError("corrupt trace: 'meta' must be a map with an integer "
                                 "duration_ns")
        self.head = header

    def _columns(self, kind: str, columns: dict[str, np.ndarray]) -> None:
        names = STEP_COLUMNS if kind == "steps" else WAIT_COLUMNS
        if set(columns) != set(names):
            raise TraceFileError(f"corrupt trace: a '{kind}' frame must have the columns "
                                 f"{', '.join(names)}")
        rows = {len(a) for n, a in columns.items() if n != "targets"}
        if len(rows) != 1:
            raise TraceFileError(f"corrupt trace: a '{kind}' frame's columns differ in length")
        (self.steps if kind == "steps" else self.waits).append(columns)

    def _tasks(self, header: dict[str, Any], columns: dict[str, np.ndarray]) -> None:
        if set(columns) != set(TASK_COLUMNS):
            raise TraceFileError(f"corrupt trace: a 'tasks' frame must have the columns "
                                 f"{', '.join(TASK_COLUMNS)}")
        try:
            strings = msgspec.convert(header.get("strings"), list[str], strict=True)
            names = msgspec.convert(header.get("names"), list[str], strict=True)
        except msgspec.ValidationError as exc:
            raise TraceFileError(f"corrupt trace: tasks: {exc}") from None
        if {len(a) for a in columns.values()} != {len(names)}:
            raise TraceFileError("corrupt trace: a 'tasks' frame's columns differ in length")
        for c in STRING_COLUMNS:
            codes = columns[c]
            low = -1 if c == "exception" else 0
            if len(codes) and (int(codes.min()) < low or int(codes.max()) >= len(strings)):
                raise TraceFileError(f"corrupt trace: a task's {c} is out of range")
        to_global = np.array([self.strings.setdefault(v, len(self.strings)) for v in strings]
                             + [-1], np.int32)  # the last slot maps -1 to -1
        part = {c: columns[c].astype(np.int64) for c in INT_COLUMNS}
        part.update({c: to_global[columns[c]] for c in STRING_COLUMNS})
        self.tasks.append(part)
        self.task_names += names

    def _task_table(self) -> TaskTable:
        rows = self.rows["tasks"]  # a file written before tasks had their own frames
        if rows:
            old = TaskTable.from_rows([(r[0], r[3], r[4], r[5], r[9], r[2], r[8], r[6], r[7],
                                        r[1]) for r in rows])
            self._tasks({"strings": list(old.strings), "names": old.name.tolist()},
                        {c: getattr(old, c) for c in TASK_COLUMNS})
        cols = {c: _cat(self.tasks, c, np.int64 if c in INT_COLUMNS else np.int32)
                for c in TASK_COLUMNS}
        cols["name"] = object_array(self.task_names)
        return TaskTable(cols, tuple(self.strings))

    def trace(self) -> Trace:
        if self.head is None:
            raise TraceFileError("not a loopviz trace (empty)")
        if self.end is None:
            raise TraceFileError("truncated trace: the file ends before its 'end' frame")
        rows = self.rows
        tasks = self._task_table()
        steps = _steps(self.steps)
        waits = _waits(self.waits, rows["wait_sites"], rows["wait_labels"])
        counts = (self.end.get("steps"), self.end.get("waits"), self.end.get("tasks"))
        if counts != (len(steps), len(waits), len(tasks)):
            raise TraceFileError("corrupt trace: record counts differ from the 'end' frame")
        _check(tasks, steps, waits, rows)
        meta = self.head["meta"]
        return Trace(
            meta=meta,
            threads=tuple(ThreadInfo(*r) for r in rows["threads"]),
            tasks=tasks, steps=steps, waits=waits,
            blocks=tuple(Block(*r[:6], tuple(r[6]), *r[7:]) for r in rows["blocks"]),
            jobs=tuple(Job(*r) for r in rows["jobs"]),
            callbacks=tuple(Callback(*r) for r in rows["callbacks"]),
            loop_lag=tuple(rows["loop_lag"]), ui_heartbeat=tuple(rows["ui_heartbeat"]),
            diagnostics=tuple(Diagnostic(*r) for r in rows["diagnostics"]),
            duration_ns=self.head["duration_ns"],
        )


def _undelta(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([delta_decode(p) for p in parts]) if parts else \
        np.empty(0, np.int64)


def _absolute(rel: np.ndarray, start: np.ndarray) -> np.ndarray:
    return np.where(rel == NA, NA, rel + start)


def _cat(parts: list[dict[str, np.ndarray]], name: str, dtype: Any) -> np.ndarray:
    return np.concatenate([p[name] for p in parts], dtype=dtype) if parts else \
        np.empty(0, dtype)


def _steps(parts: list[dict[str, np.ndarray]]) -> StepTable:
    start = _undelta([p["start_ns"] for p in parts])
    return StepTable(_cat(parts, "task", np.int64), start,
                     _cat(parts, "end_ns", np.int64) + start, _cat(parts, "thread", np.int64))


def _waits(parts: list[dict[str, np.ndarray]], sites: list, labels: list[str]) -> WaitTable:
    start = _undelta([p["start_ns"] for p in parts])
    counts = _cat(parts, "target_count", np.int64)
    if np.any(counts < 0):
        raise TraceFileError("corrupt trace: a wait has a negative number of targets")
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    targets = _cat(parts, "targets", np.int64)
    if offsets[-1] != len(targets):
        raise TraceFileError("corrupt trace: wait targets do not add up")
    cols = {
        "task": _cat(parts, "task", np.int64), "start_ns": start,
        "ready_ns": _absolute(_cat(parts, "ready_ns", np.int64), start),
        "due_ns": _absolute(_cat(parts, "due_ns", np.int64), start),
        "end_ns": _absolute(_cat(parts, "end_ns", np.int64), start),
        "kind": _cat(parts, "kind", np.uint8), "site": _cat(parts, "site", np.int32),
        "label": _cat(parts, "label", np.int32), "target_offsets": offsets, "targets": targets,
    }
    return WaitTable(cols, tuple((f, line, tuple(stack)) for f, line, stack in sites),
                     tuple(labels))


def _check(tasks: TaskTable, steps: StepTable, waits: WaitTable,
           rows: dict[str, list[Any]]) -> None:
    """Every reference and interval, vectorised; the first problem as one line."""
    ids = tasks.id
    known = np.sort(ids)
    if len(known) > 1 and bool(np.any(known[1:] == known[:-1])):
        raise TraceFileError("corrupt trace: a task id appears twice")
    unknown = _unknown_finder(known)

    for what, values in (("a step names", steps.task), ("a wait names", waits.task),
                         ("a wait awaits", waits.targets)):
        task = unknown(values)
        if task is not None:
            raise TraceFileError(f"corrupt trace: {what} unknown task {task}")
    for name, rows_, col in (("jobs", rows["jobs"], 1), ("blocks", rows["blocks"], 7),
                             ("diagnostics", rows["diagnostics"], 3)):
        named = np.array([r[col] for r in rows_ if r[col] is not None], np.int64)
        task = unknown(named)
        if task is not None:
            raise TraceFileError(f"corrupt trace: {name} name unknown task {task}")
    threads = np.unique(np.array([r[0] for r in rows["threads"]], np.int64))
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
    ended = tasks.ended_ns != NA
    early = np.flatnonzero(ended & (tasks.ended_ns < tasks.created_ns))
    if len(early):
        raise TraceFileError(f"corrupt trace: task {int(ids[early[0]])} ends before it is "
                             f"created")
    if np.any(tasks.created_ns == NA):
        raise TraceFileError("corrupt trace: a task has no creation time")


def _unknown_finder(known: np.ndarray) -> Any:
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


def read(stream: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> Trace:
    """A version 2 trace from ``stream`` (positioned after MAGIC)."""
    reader = _Reader()
    try:
        for frame in read_frames(stream, limits):
            reader.take(frame.header, frame.columns)
    except FrameError as exc:
        raise TraceFileError(f"corrupt trace: {exc}") from None
    return reader.trace()
