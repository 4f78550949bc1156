"""Column tables: a trace's bulk records (steps, waits) as numpy columns, read as sequences of
records that are made only when asked for.

``trace.steps`` and ``trace.waits`` are a :class:`StepTable` and a :class:`WaitTable`: every
consumer that indexes, slices, iterates or compares them gets :class:`~loopviz.trace.records.Step`
and :class:`~loopviz.trace.records.Wait` records as before, but a million-step trace holds a
few int64 columns instead of a million Python objects. Views and queries read the columns
directly: ``trace.steps.start_ns`` is an ``int64`` array, ``trace.waits.end_ns`` one with
:data:`NA` where a record has None.

Invariants: every column of a table has the table's length; tables are never written after
they are made (builders make new ones), so a table may share its arrays with another.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

from loopviz.trace.records import WAIT_KINDS, Step, Wait

NA = int(np.iinfo(np.int64).min)  # "None" in an int64 time column
KIND_CODE: dict[str, int] = {k: i for i, k in enumerate(WAIT_KINDS)}
_CHUNK = 4096


def opt(v: int) -> int | None:
    return None if v == NA else v


def opt_array(values: Iterable[int | None]) -> np.ndarray:
    return np.array([NA if v is None else v for v in values], dtype=np.int64)


class Table(Sequence[Any]):
    """A sequence of records backed by equal-length columns (``COLUMNS``)."""

    COLUMNS: ClassVar[tuple[str, ...]] = ()
    __slots__ = ("_n",)
    _n: int  # the number of records (set by each subclass's constructor)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            r = range(self._n)[i]
            return self.take(np.arange(r.start, r.stop, r.step, dtype=np.int64))
        i = int(i)
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError("record index out of range")
        return next(iter(self._rows(i, i + 1)))

    def __iter__(self) -> Iterator[Any]:
        for start in range(0, self._n, _CHUNK):
            yield from self._rows(start, min(self._n, start + _CHUNK))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other,
                                                                          strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._n} records)"

    def columns(self) -> dict[str, np.ndarray]:
        return {c: getattr(self, c) for c in self.COLUMNS}

    def _rows(self, start: int, stop: int) -> Iterator[Any]:
        raise NotImplementedError

    def take(self, index: np.ndarray) -> Table:
        """The records at ``index`` (an int array, or a boolean mask), as a table."""
        raise NotImplementedError


class StepTable(Table):
    """Steps: ``task``, ``start_ns``, ``end_ns``, ``thread`` (int64 each)."""

    COLUMNS = ("task", "start_ns", "end_ns", "thread")
    __slots__ = COLUMNS

    def __init__(self, task: np.ndarray, start_ns: np.ndarray, end_ns: np.ndarray,
                 thread: np.ndarray) -> None:
        self.task, self.start_ns, self.end_ns, self.thread = task, start_ns, end_ns, thread
        self._n = len(task)

    @classmethod
    def empty(cls) -> StepTable:
        z = np.empty(0, np.int64)
        return cls(z, z, z, z)

    @classmethod
    def of(cls, steps: Iterable[Step]) -> StepTable:
        if isinstance(steps, StepTable):
            return steps
        rows = [(s.task, s.start_ns, s.end_ns, s.thread) for s in steps]
        if not rows:
            return cls.empty()
        a = np.array(rows, dtype=np.int64).reshape(-1, 4)
        return cls(*(np.ascontiguousarray(a[:, k]) for k in range(4)))

    def _rows(self, start: int, stop: int) -> Iterator[Step]:
        cols = (self.task[start:stop].tolist(), self.start_ns[start:stop].tolist(),
                self.end_ns[start:stop].tolist(), self.thread[start:stop].tolist())
        return map(Step, *cols)

    def take(self, index: np.ndarray) -> StepTable:
        return StepTable(self.task[index], self.start_ns[index], self.end_ns[index],
                         self.thread[index])


class WaitTable(Table):
    """Waits: ``task``, ``start_ns``, ``ready_ns``, ``due_ns``, ``end_ns`` (int64, :data:`NA`
    for None), ``kind`` (uint8 index into WAIT_KINDS), ``site`` (int32 index into ``sites``:
    file, line and async stack, shared by every wait at that suspension), ``label`` (int32 index
    into ``labels``), and the awaited task ids as offsets into one flat array: wait ``i`` awaits
    ``targets[target_offsets[i]:target_offsets[i + 1]]``."""

    COLUMNS = ("task", "start_ns", "ready_ns", "due_ns", "end_ns", "kind", "site", "label",
               "target_offsets", "targets")
    __slots__ = (*COLUMNS, "sites", "labels")
    task: np.ndarray
    start_ns: np.ndarray
    ready_ns: np.ndarray
    due_ns: np.ndarray
    end_ns: np.ndarray
    kind: np.ndarray
    site: np.ndarray
    label: np.ndarray
    target_offsets: np.ndarray
    targets: np.ndarray

    def __init__(self, cols: dict[str, np.ndarray], sites: Sequence[tuple[str, int,
                 tuple[str, ...]]], labels: Sequence[str]) -> None:
        for name in self.COLUMNS:
            setattr(self, name, cols[name])
        self.sites = sites
        self.labels = labels
        self._n = len(cols["task"])

    @classmethod
    def empty(cls) -> WaitTable:
        z = np.empty(0, np.int64)
        return cls({"task": z, "start_ns": z, "ready_ns": z, "due_ns": z, "end_ns": z,
                    "kind": np.empty(0, np.uint8), "site": np.empty(0, np.int32),
                    "label": np.empty(0, np.int32), "target_offsets": np.zeros(1, np.int64),
                    "targets": z}, (), ())

    @classmethod
    def of(cls, waits: Iterable[Wait]) -> WaitTable:
        if isinstance(waits, WaitTable):
            return waits
        waits = list(waits)
        if not waits:
            return cls.empty()
        site_ids: dict[tuple[str, int, tuple[str, ...]], int] = {}
        label_ids: dict[str, int] = {}
        offsets = [0]
        flat: list[int] = []
        for w in waits:
            flat += w.targets
            offsets.append(len(flat))
        cols = {
            "task": np.array([w.task for w in waits], np.int64),
            "start_ns": np.array([w.start_ns for w in waits], np.int64),
            "ready_ns": opt_array(w.ready_ns for w in waits),
            "due_ns": opt_array(w.due_ns for w in waits),
            "end_ns": opt_array(w.end_ns for w in waits),
            "kind": np.array([KIND_CODE.get(w.kind, KIND_CODE["other"]) for w in waits],
                             np.uint8),
            "site": np.array([site_ids.setdefault((w.file, w.line, tuple(w.stack)),
                                                  len(site_ids)) for w in waits], np.int32),
            "label": np.array([label_ids.setdefault(w.label, len(label_ids)) for w in waits],
                              np.int32),
            "target_offsets": np.array(offsets, np.int64),
            "targets": np.array(flat, np.int64),
        }
        return cls(cols, tuple(site_ids), tuple(label_ids))

    def targets_of(self, i: int) -> tuple[int, ...]:
        return tuple(self.targets[self.target_offsets[i]:self.target_offsets[i + 1]].tolist())

    def _rows(self, start: int, stop: int) -> Iterator[Wait]:
        sites, labels = self.sites, self.labels
        off = self.target_offsets[start:stop + 1].tolist()
        flat = self.targets[off[0]:off[-1]].tolist()
        base = off[0]
        for k, (task, s, r, d, e, kind, site, label) in enumerate(zip(
                self.task[start:stop].tolist(), self.start_ns[start:stop].tolist(),
                self.ready_ns[start:stop].tolist(), self.due_ns[start:stop].tolist(),
                self.end_ns[start:stop].tolist(), self.kind[start:stop].tolist(),
                self.site[start:stop].tolist(), self.label[start:stop].tolist(), strict=True)):
            file, line, stack = sites[site]
            targets = tuple(flat[off[k] - base:off[k + 1] - base])
            yield Wait(task, s, None if r == NA else r, None if d == NA else d,
                       None if e == NA else e, WAIT_KINDS[kind], targets, labels[label], file,
                       line, stack)

    def take(self, index: np.ndarray) -> WaitTable:
        index = np.flatnonzero(index) if index.dtype == bool else index
        cols = {c: getattr(self, c)[index] for c in self.COLUMNS[:8]}
        starts = self.target_offsets[index]
        lens = self.target_offsets[index + 1] - starts
        offsets = np.zeros(len(index) + 1, np.int64)
        np.cumsum(lens, out=offsets[1:])
        total = int(offsets[-1])
        gather = np.repeat(starts - offsets[:-1], lens) + np.arange(total, dtype=np.int64)
        cols["target_offsets"] = offsets
        cols["targets"] = self.targets[gather]
        return WaitTable(cols, self.sites, self.labels)

    def replaced(self, **cols: np.ndarray) -> WaitTable:
        """The same waits with some columns replaced (same length)."""
        return WaitTable({**self.columns(), **cols}, self.sites, self.labels)

    def kind_is(self, kind: str) -> np.ndarray:
        return np.asarray(self.kind == KIND_CODE[kind])

    def end_or(self, default: int) -> np.ndarray:
        """``end_ns`` with open waits ending at ``default``."""
        return np.where(self.end_ns == NA, default, self.end_ns)


def group_index(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, unique keys, offsets): the rows of each key in ``order[offsets[k]:offsets[k+1]]``,
    in their original order (a stable sort)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    uniq, first = np.unique(sorted_keys, return_index=True)
    offsets = np.append(first, len(keys)).astype(np.int64)
    return order, uniq, offsets
