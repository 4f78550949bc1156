"""The task columns of a growing recording (for the incremental builder).

Each build appends the tasks created since the last one (found from the end of the recorder's
task dict, which only grows at its end: O(new tasks), whatever the ring buffer dropped) and
rewrites the rows of tasks that ended since (their end, outcome, exception and final name).
A live frame's build names the tasks that may have ended (those whose last step it read) and
re-reads those plus a few others round robin, instead of every running task.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any

import numpy as np

from loopviz.trace.columns import NA
from loopviz.trace.growable import Columns
from loopviz.trace.recorder import TaskEntry
from loopviz.trace.task_table import INT_COLUMNS, STRING_COLUMNS, TaskTable, object_array

_COLS = {**{c: np.int64 for c in INT_COLUMNS}, **{c: np.int32 for c in STRING_COLUMNS}}
_CHANGING = ("ended_ns", "outcome", "exception")  # written when a task ends, so copied
SCAN_PER_BUILD = 256  # running tasks re-read per live build, round robin


class TaskColumns:
    """Invariants: ``pos[id]`` is the row of task ``id``; ``names`` (and ``name_of``) hold
    each task's name as last read; ``_live`` holds the entries of tasks not ended when
    last read (kept even if the ring buffer drops them from the recorder meanwhile)."""

    def __init__(self) -> None:
        self._cols = Columns(_COLS)
        self.names: list[str] = []
        self.name_of: dict[int, str] = {}
        self.pos: dict[int, int] = {}
        self._strings: list[str] = []
        self._string_ids: dict[str | None, int] = {None: -1}
        self._live: dict[int, TaskEntry] = {}
        self._ordered = True
        self._max_id = -1
        self._scan: list[int] = []
        self.reordered = False  # rows moved since the caller last cleared this

    def fresh(self, tasks: dict[int, TaskEntry]) -> list[tuple[int, TaskEntry]]:
        """The entries of ``tasks`` (the recorder's, under its lock) not seen yet."""
        if not self.pos:
            return list(tasks.items())
        out = []
        for item in reversed(tasks.items()):
            if item[0] in self.pos:
                break
            out.append(item)
        out.reverse()
        return out

    def consume(self, fresh: list[tuple[int, TaskEntry]], t0: int,
                maybe_ended: Iterable[int] | None = None) -> list[int]:
        """Append ``fresh`` and rewrite the rows of tasks that ended; returns those rows.
        ``maybe_ended``: only these (and a few running ones, round robin) may have ended
        since the last call; None: look at every running task."""
        if maybe_ended is None:
            looked = list(self._live.items())
        else:
            if not self._scan:
                self._scan = list(self._live)
            scan, self._scan = self._scan[-SCAN_PER_BUILD:], self._scan[:-SCAN_PER_BUILD]
            live = self._live
            looked = [(tid, live[tid]) for tid in {*maybe_ended, *scan} if tid in live]
        ended = [(tid, e) for tid, e in looked if e.ended is not None]
        changed = []
        for tid, entry in ended:
            row = self.pos[tid]
            del self._live[tid]
            self.names[row] = self.name_of[tid] = entry.current_name()
            cols = self._cols.view()
            cols["ended_ns"][row] = entry.ended - t0 if entry.ended is not None else NA
            cols["outcome"][row] = self._code(entry.outcome)
            cols["exception"][row] = self._code(entry.exception)
            changed.append(row)
        if not fresh:
            return changed
        entries = [e for _, e in fresh]
        ids = [tid for tid, _ in fresh]
        names = [e.current_name() for e in entries]
        id_col = np.array(ids, np.int64)
        if ids[0] < self._max_id or bool(np.any(np.diff(id_col) < 0)):
            self._ordered = False  # a task recorded out of id order (never by the tracker)
        self._max_id = max(self._max_id, int(id_col.max()))
        base = len(self.names)
        self.pos.update(zip(ids, range(base, base + len(ids)), strict=True))
        self.name_of.update(zip(ids, names, strict=True))
        self.names += names
        self._live.update((tid, e) for tid, e in fresh if e.ended is None)
        # One C-level pass over the entries, then each field a column.
        fields = list(zip(*map(_FIELDS, entries), strict=True))
        end = _optional_ints(fields[2])
        cols = {"id": id_col, "parent": _optional_ints(fields[0]),
                "created_ns": np.array(fields[1], np.int64) - t0,
                "ended_ns": np.where(end == NA, NA, end - t0),
                "line": np.array(fields[3], np.int64)}
        for column, values in zip(STRING_COLUMNS, fields[4:], strict=True):
            cols[column] = self._codes(values)
        self._cols.append(cols)
        return changed

    def keep_only(self, keep: set[int]) -> None:
        """Forget the tasks not in ``keep`` that ended (the ring buffer's window moved on)."""
        cols = self._cols.view()
        ids = cols["id"]
        live = np.fromiter(self._live, np.int64, len(self._live))
        wanted = np.fromiter(keep, np.int64, len(keep))
        rows = np.isin(ids, wanted) | np.isin(ids, live)
        self._cols = Columns(_COLS)
        self._cols.append({c: a[rows] for c, a in cols.items()})
        self.names = [n for n, k in zip(self.names, rows.tolist(), strict=True) if k]
        kept = ids[rows].tolist()
        self.pos = {tid: i for i, tid in enumerate(kept)}
        self.name_of = {tid: self.name_of[tid] for tid in kept}
        self._scan = [tid for tid in self._scan if tid in self.pos]
        self.reordered = True

    def known(self) -> set[int]:
        return set(self.pos)

    def table(self, *, copy: bool) -> TaskTable:
        """The tasks so far, in id order. Rows of tasks still running change at later builds:
        unless ``copy`` is off (no build follows), the table gets copies of those columns."""
        if not self._ordered:
            before = self._cols.view()
            order = np.argsort(before["id"], kind="stable")
            self._cols = Columns(_COLS)
            self._cols.append({c: a[order] for c, a in before.items()})
            self.names = [self.names[i] for i in order.tolist()]
            self.pos = {tid: i for i, tid in enumerate(self._cols.view()["id"].tolist())}
            self._ordered = True
            self.reordered = True
        cols: dict[str, Any] = self._cols.view()
        if copy:
            cols.update({c: cols[c].copy() for c in _CHANGING})
        cols["name"] = object_array(self.names)
        return TaskTable(cols, self._strings)

    def _code(self, value: str | None) -> int:
        i = self._string_ids.get(value)
        if i is None:
            i = self._string_ids[value] = len(self._strings)
            self._strings.append(value)  # type: ignore[arg-type]  # None is always known
        return i

    def _codes(self, values: tuple[str | None, ...]) -> np.ndarray:
        for value in set(values) - self._string_ids.keys():
            self._code(value)
        return np.fromiter(map(self._string_ids.__getitem__, values), np.int32, len(values))


_FIELDS = attrgetter("parent", "created", "ended", "line", "coro", "file", "outcome",
                     "exception")


def _optional_ints(values: tuple[int | None, ...]) -> np.ndarray:
    """An int64 column of ints and Nones (NA)."""
    return np.array([NA if v is None else v for v in values], np.int64)
