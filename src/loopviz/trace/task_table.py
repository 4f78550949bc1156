"""The tasks of a trace as columns: a 200,000-task run holds a few arrays, not 200,000 records.

``trace.tasks`` is a :class:`TaskTable`: it indexes, iterates and compares as the tuple of
:class:`~loopviz.trace.records.TaskInfo` it replaces (records are made only for the rows asked
for), and the queries that touch every task read its columns: ``id``, ``parent``,
``created_ns``, ``ended_ns`` (int64, :data:`~loopviz.trace.columns.NA` for None), ``line``
(int64), ``coro``, ``file``, ``outcome``, ``exception`` (int32 indices into ``strings``; -1
for an exception of None) and ``name`` (an object array of str: names are mostly unique).

Invariants: as for every :class:`~loopviz.trace.columns.Table` (equal lengths, never written
after it is made); ids are unique.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from loopviz.trace.columns import NA, Table
from loopviz.trace.records import OUTCOMES, TaskInfo, outcome_named

INT_COLUMNS = ("id", "parent", "created_ns", "ended_ns", "line")
STRING_COLUMNS = ("coro", "file", "outcome", "exception")


class TaskTable(Table):
    COLUMNS = (*INT_COLUMNS, *STRING_COLUMNS, "name")
    __slots__ = (*COLUMNS, "strings", "_sorted_ids", "_order")
    id: np.ndarray
    parent: np.ndarray
    created_ns: np.ndarray
    ended_ns: np.ndarray
    line: np.ndarray
    coro: np.ndarray
    file: np.ndarray
    outcome: np.ndarray
    exception: np.ndarray
    name: np.ndarray

    def __init__(self, cols: dict[str, np.ndarray], strings: Sequence[str]) -> None:
        for column in self.COLUMNS:
            setattr(self, column, cols[column])
        self.strings = tuple(strings)
        self._n = len(self.id)
        self._sorted_ids: np.ndarray | None = None
        self._order: np.ndarray | None = None

    @classmethod
    def empty(cls) -> TaskTable:
        return cls.of(())

    @classmethod
    def of(cls, tasks: Iterable[TaskInfo]) -> TaskTable:
        """A table of records (a Trace made of plain tuples, a version 1 file)."""
        if isinstance(tasks, TaskTable):
            return tasks
        rows = [(t.id, t.parent, t.created_ns, t.ended_ns, t.line, t.coro, t.file, t.outcome,
                 t.exception, t.name) for t in tasks]
        return cls.from_rows(rows)

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[Any]]) -> TaskTable:
        """Rows in :data:`COLUMNS` order, with None where a record has it."""
        ids: dict[str, int] = {}
        n = len(rows)
        fields = list(zip(*rows, strict=True)) if n else [() for _ in cls.COLUMNS]
        cols: dict[str, np.ndarray] = {}
        for k, column in enumerate(INT_COLUMNS):
            cols[column] = np.fromiter((NA if v is None else v for v in fields[k]), np.int64, n)
        for k, column in enumerate(STRING_COLUMNS, len(INT_COLUMNS)):
            cols[column] = np.fromiter(
                (-1 if v is None else ids.setdefault(v, len(ids)) for v in fields[k]),
                np.int32, n)
        cols["name"] = object_array(fields[-1])
        return cls(cols, tuple(ids))

    def _rows(self, start: int, stop: int) -> Iterator[TaskInfo]:
        s = self.strings
        nones = (*s, None)  # index -1 is None
        outcomes = {i: outcome_named(text) for i, text in enumerate(s) if text in OUTCOMES}
        sl = slice(start, stop)
        for tid, parent, created, ended, line, coro, file, outcome, exc, name in zip(
                *(getattr(self, c)[sl].tolist() for c in self.COLUMNS), strict=True):
            yield TaskInfo(tid, name, s[coro], None if parent == NA else parent, created,
                           None if ended == NA else ended, outcomes[outcome], nones[exc], s[file],
                           line)

    def take(self, index: np.ndarray) -> TaskTable:
        return TaskTable({c: getattr(self, c)[index] for c in self.COLUMNS}, self.strings)

    # ---- lookups -------------------------------------------------------------------------
    def row_of(self, task_id: int) -> int | None:
        """The row of the task with this id, None if there is none (a binary search)."""
        if self._sorted_ids is None:
            if self._n < 2 or bool(np.all(self.id[1:] > self.id[:-1])):
                self._sorted_ids, self._order = self.id, None
            else:
                self._order = np.argsort(self.id, kind="stable")
                self._sorted_ids = self.id[self._order]
        i = int(np.searchsorted(self._sorted_ids, task_id))
        if i >= self._n or int(self._sorted_ids[i]) != task_id:
            return None
        return i if self._order is None else int(self._order[i])

    def rows_of(self, task_ids: np.ndarray) -> np.ndarray:
        """:meth:`row_of` for many ids at once (-1 where there is none)."""
        self.row_of(-1)  # makes the sorted ids
        assert self._sorted_ids is not None
        ids = np.asarray(task_ids, np.int64)
        i = np.minimum(np.searchsorted(self._sorted_ids, ids), max(self._n - 1, 0))
        found = (self._sorted_ids[i] == ids) if self._n else np.zeros(len(ids), bool)
        rows = i if self._order is None else self._order[i]
        out: np.ndarray = np.where(found, rows, -1)
        return out

    def get(self, task_id: int) -> TaskInfo | None:
        row = self.row_of(task_id)
        return None if row is None else self[row]

    def names_by_id(self) -> dict[int, str]:
        return dict(zip(self.id.tolist(), self.name.tolist(), strict=True))

    def code(self, value: str) -> int:
        """The index of ``value`` in ``strings`` (-1: no row has it), to compare a string
        column in numpy: ``table.outcome == table.code("result")``."""
        try:
            return self.strings.index(value)
        except ValueError:
            return -1

    def string_column(self, column: str) -> list[str | None]:
        nones = (*self.strings, None)
        return [nones[i] for i in getattr(self, column).tolist()]


def object_array(values: Iterable[Any]) -> np.ndarray:
    """A 1-d object array of ``values`` (np.array would make a 2-d array of tuples)."""
    names = list(values)
    out = np.empty(len(names), object)
    out[:] = names
    return out
