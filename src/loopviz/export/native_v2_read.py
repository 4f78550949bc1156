"""Reading version 2 of the native trace file (written by :mod:`.native_v2`, which has the
layout): :func:`read` makes the whole Trace in one pass; :class:`Streamed` reads a file in
passes, holding everything but the steps and waits and giving those a frame at a time, for
consumers (the Chrome export) whose memory must not grow with the trace.

Either way every field's type (msgspec), every reference and every interval is checked, and
anything wrong is a :class:`TraceFileError` with one line; nothing in a file is executed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import msgspec
import numpy as np

from loopviz.export.checks import (
    Unknown,
    check_bulk,
    check_records,
    in_range,
    thread_ids,
)
from loopviz.export.errors import TraceFileError
from loopviz.export.framing import (
    DEFAULT_LIMITS,
    MAGIC,
    FrameError,
    Limits,
    delta_decode,
    read_frames,
)
from loopviz.export.native_v2 import (
    FORMAT,
    ROW_TYPES,
    STEP_COLUMNS,
    TASK_COLUMNS,
    VERSION,
    WAIT_COLUMNS,
)
from loopviz.trace import Block, Callback, Diagnostic, Job, ThreadInfo, Trace
from loopviz.trace.columns import NA, StepTable, WaitTable
from loopviz.trace.task_table import INT_COLUMNS, STRING_COLUMNS, TaskTable, object_array


class _Reader:
    """Collects frames; :meth:`trace` checks and assembles them. Without ``bulk`` the step
    and wait frames are checked for shape and counted, not kept (a :class:`Streamed` pass)."""

    def __init__(self, bulk: bool = True) -> None:
        self.bulk = bulk
        self.counted = {"steps": 0, "waits": 0}
        self.head: dict[str, Any] | None = None
        self.rows: dict[str, list[Any]] = {name: [] for name in ROW_TYPES}
        self.tasks: list[dict[str, np.ndarray]] = []
        self.task_names: list[str] = []
        self.strings: dict[str, int] = {}
        self.steps: list[dict[str, np.ndarray]] = []
        self.waits: list[dict[str, np.ndarray]] = []
        self.end: dict[str, Any] | None = None
        self.unknown: Unknown | None = None

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
        if not self.bulk:
            self.counted[kind] += rows.pop()
            return
        # Made absolute now, in arrays of their own: the frame's bytes go as soon as it is read.
        (self.steps if kind == "steps" else self.waits).append(_decoded(columns))

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
            if not all(v is None or in_range(v) for r in rows for v in (r[0], r[3], r[4], r[5],
                                                                         r[9])):
                raise TraceFileError("corrupt trace: tasks hold a number out of range")
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
        n_steps, n_waits = (len(steps), len(waits)) if self.bulk else \
            (self.counted["steps"], self.counted["waits"])
        counts = (self.end.get("steps"), self.end.get("waits"), self.end.get("tasks"))
        if counts != (n_steps, n_waits, len(tasks)):
            raise TraceFileError("corrupt trace: record counts differ from the 'end' frame")
        meta = self.head["meta"]
        trace = Trace(
            meta=meta,
            threads=tuple(ThreadInfo(*r) for r in rows["threads"]),
            tasks=tasks, steps=steps, waits=waits,
            blocks=tuple(Block(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6]), r[7], r[8])
                         for r in rows["blocks"]),
            jobs=tuple(Job(*r) for r in rows["jobs"]),
            callbacks=tuple(Callback(*r) for r in rows["callbacks"]),
            loop_lag=tuple(rows["loop_lag"]), ui_heartbeat=tuple(rows["ui_heartbeat"]),
            diagnostics=tuple(Diagnostic(*r) for r in rows["diagnostics"]),
            duration_ns=self.head["duration_ns"],
        )
        self.unknown = check_records(trace)
        check_bulk(self.unknown, thread_ids(trace), steps, waits)
        return trace


def _decoded(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A frame's step or wait columns as the table holds them (times absolute, own arrays)."""
    start = delta_decode(columns["start_ns"])
    out = {name: np.array(a) for name, a in columns.items() if name != "start_ns"}  # copies
    out["start_ns"] = start
    if "ready_ns" in out:  # a wait: its times may be null
        for name in ("ready_ns", "due_ns", "end_ns"):
            out[name] = np.where(out[name] == NA, NA, out[name] + start)
    else:  # a step always ends
        out["end_ns"] += start
    return out


def _cat(parts: list[dict[str, np.ndarray]], name: str, dtype: Any) -> np.ndarray:
    """One column of all parts; each part lets go of its piece (memory: the column, once)."""
    if not parts:
        return np.empty(0, dtype)
    return np.concatenate([p.pop(name) for p in parts], dtype=dtype)


def _steps(parts: list[dict[str, np.ndarray]]) -> StepTable:
    threads = [p["thread"] for p in parts if len(p["thread"])]
    one = bool(threads) and all(int(t.min()) == int(t.max()) == int(threads[0][0])
                                for t in threads)
    n = sum(len(p["task"]) for p in parts)
    thread = np.broadcast_to(np.int64(threads[0][0]), (n,)) if one else \
        _cat(parts, "thread", np.int64)  # steps on one thread (a recording's): one value
    return StepTable(_cat(parts, "task", np.int64), _cat(parts, "start_ns", np.int64),
                     _cat(parts, "end_ns", np.int64), thread)


def _waits(parts: list[dict[str, np.ndarray]], sites: list[Any], labels: list[str]) -> WaitTable:
    counts = _cat(parts, "target_count", np.int64)
    if np.any(counts < 0):
        raise TraceFileError("corrupt trace: a wait has a negative number of targets")
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    del counts
    targets = _cat(parts, "targets", np.int64)
    if offsets[-1] != len(targets):
        raise TraceFileError("corrupt trace: wait targets do not add up")
    cols = {name: _cat(parts, name, np.int64)
            for name in ("task", "start_ns", "ready_ns", "due_ns", "end_ns")}
    cols.update(kind=_cat(parts, "kind", np.uint8), site=_cat(parts, "site", np.int32),
                label=_cat(parts, "label", np.int32), target_offsets=offsets, targets=targets)
    return WaitTable(cols, tuple((f, line, tuple(stack)) for f, line, stack in sites),
                     tuple(labels))


def read(stream: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> Trace:
    """A version 2 trace from ``stream`` (positioned after MAGIC)."""
    reader = _Reader()
    try:
        for frame in read_frames(stream, limits):
            reader.take(frame.header, frame.columns)
    except FrameError as exc:
        raise TraceFileError(f"corrupt trace: {exc}") from None
    return reader.trace()


class Streamed:
    """A version 2 file read in passes, in memory that does not grow with its steps and waits:
    ``trace`` has everything else (its steps and waits are empty; the file's counts are
    checked), :meth:`steps` and :meth:`waits` read the file again and give its step and wait
    frames one table at a time, each checked as :func:`read` checks them."""

    def __init__(self, path: str | Path, limits: Limits = DEFAULT_LIMITS) -> None:
        self.path, self.limits = Path(path), limits
        reader = _Reader(bulk=False)
        for header, columns in self._frames():
            reader.take(header, columns)
        self.trace = reader.trace()
        assert reader.unknown is not None  # trace() checked the records
        self._unknown = reader.unknown
        self._threads = thread_ids(self.trace)
        self._sites, self._labels = reader.rows["wait_sites"], reader.rows["wait_labels"]

    def steps(self) -> Iterator[StepTable]:
        for header, columns in self._frames():
            if header.get("frame") == "steps":
                table = _steps([_decoded(columns)])
                check_bulk(self._unknown, self._threads, table, WaitTable.empty())
                yield table

    def waits(self) -> Iterator[WaitTable]:
        for header, columns in self._frames():
            if header.get("frame") == "waits":
                table = _waits([_decoded(columns)], self._sites, self._labels)
                check_bulk(self._unknown, self._threads, StepTable.empty(), table)
                yield table

    def _frames(self) -> Iterator[tuple[dict[str, Any], dict[str, np.ndarray]]]:
        with self.path.open("rb") as stream:
            if stream.read(len(MAGIC)) != MAGIC:
                raise TraceFileError("not a version 2 trace")
            try:
                for frame in read_frames(stream, self.limits):
                    yield frame.header, frame.columns
            except FrameError as exc:
                raise TraceFileError(f"corrupt trace: {exc}") from None
