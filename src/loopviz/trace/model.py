"""The Trace: an immutable picture of one run, and the queries the views and demos ask of it.

A live run is a trace that is still growing: the UI rebuilds (or extends) it from the Recorder;
a saved trace loads into the very same class. Queries derive everything from the records, so a
demo's ``check`` and the timeline agree by construction.

Steps and waits are column tables (:mod:`loopviz.trace.columns`): ``trace.steps`` reads as a
sequence of :class:`Step` records, made only for the ones asked for, and
``trace.steps.start_ns`` (etc.) is the numpy column. Queries here answer from the columns;
a Trace made from plain sequences of records converts them once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from loopviz.trace.columns import NA, StepTable, WaitTable, group_index
from loopviz.trace.observer import ObserverShare, observer_share, program_values
from loopviz.trace.records import (
    Block,
    Callback,
    Diagnostic,
    Job,
    Step,
    TaskInfo,
    ThreadInfo,
    Wait,
)
from loopviz.trace.task_table import TaskTable

RUNNING, READY, WAITING, NOT_STARTED, DONE = "running", "ready", "waiting", "not-started", "done"


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a task's lane: running a step, waiting (by kind) or ready."""

    task: int
    start_ns: int
    end_ns: int
    state: str  # running | ready | waiting
    kind: str = ""  # wait kind for waiting/ready segments
    label: str = ""


@dataclass(frozen=True, slots=True)
class TaskState:
    """What one task was doing at one instant."""

    task: int
    state: str  # running | ready | waiting | not-started | done
    kind: str = ""
    label: str = ""
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Stats:
    count: int
    p50: int
    p99: int
    max: int

    @classmethod
    def of(cls, values: Sequence[int]) -> Stats:
        if not values:
            return cls(0, 0, 0, 0)
        s = sorted(values)
        return cls(len(s), _pct(s, 0.50), _pct(s, 0.99), s[-1])


def _pct(sorted_values: Sequence[int], q: float) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def max_overlap(intervals: Iterable[tuple[int, int]]) -> int:
    """Most intervals [start, end) open at one instant (an end at t closes before a start at t)."""
    pairs = np.array(list(intervals), dtype=np.int64).reshape(-1, 2)
    return overlap_peak(pairs[:, 0], pairs[:, 1])


def overlap_peak(starts: np.ndarray, ends: np.ndarray) -> int:
    """:func:`max_overlap` of the intervals ``[starts[i], ends[i])``: at the ``i``-th start
    (in time order) ``i + 1`` intervals have started and those ending at or before it have
    closed (two sorts and a binary search each, in numpy)."""
    if not len(starts):
        return 0
    started = np.sort(starts)
    closed = np.searchsorted(np.sort(ends), started, side="right")
    return max(0, int((np.arange(1, len(started) + 1) - closed).max()))


@dataclass(frozen=True, slots=True)
class Growth:
    """How a live trace grew from the one before it, from the builder that made both, so a
    view pays for what changed rather than for the whole trace (see ``Trace.growth``).

    ``lineage`` names the builder, ``serial`` this trace among its builds and ``base`` the one
    it extends (rows of every kind kept their places since then; new ones follow). What
    changed in place: ``tasks_changed`` (positions in ``tasks``: ended or renamed),
    ``waits_changed`` (indices of waits whose ready or end time was set), ``jobs_changed``
    (positions in ``jobs``: started or finished)."""

    lineage: int
    serial: int
    base: int
    tasks_changed: tuple[int, ...] = ()
    waits_changed: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    jobs_changed: tuple[int, ...] = ()


@dataclass(frozen=True)
class Trace:
    """Invariant: records are sorted by start time within each kind; every id a record names
    (task, thread) is in ``tasks``/``threads``; ``duration_ns`` covers every record."""

    meta: dict[str, Any]
    threads: tuple[ThreadInfo, ...] = ()
    tasks: Sequence[TaskInfo] = ()  # a TaskTable once made
    steps: Sequence[Step] = ()  # a StepTable once made
    waits: Sequence[Wait] = ()  # a WaitTable once made
    blocks: tuple[Block, ...] = ()
    jobs: tuple[Job, ...] = ()
    callbacks: tuple[Callback, ...] = ()
    loop_lag: tuple[tuple[int, int], ...] = ()
    ui_heartbeat: tuple[tuple[int, int], ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    duration_ns: int = 0
    # Set by a live builder: what changed since its previous trace (None: a whole trace).
    growth: Growth | None = field(default=None, repr=False, compare=False)
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Values computed from the trace once and kept with it, by key (peaks, captions, event
    times): the trace never changes, so neither do they."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", TaskTable.of(self.tasks))
        object.__setattr__(self, "steps", StepTable.of(self.steps))
        object.__setattr__(self, "waits", WaitTable.of(self.waits))

    @property
    def task_table(self) -> TaskTable:
        return self.tasks  # type: ignore[return-value]

    @property
    def step_table(self) -> StepTable:
        return self.steps  # type: ignore[return-value]

    @property
    def wait_table(self) -> WaitTable:
        return self.waits  # type: ignore[return-value]

    # ---- lookups -----------------------------------------------------------------------------
    def task(self, task_id: int) -> TaskInfo:
        """The task with this id (KeyError if the trace has none)."""
        info = self.task_table.get(task_id)
        if info is None:
            raise KeyError(task_id)
        return info

    def tasks_named(self, prefix: str) -> list[TaskInfo]:
        """Tasks whose name starts with ``prefix`` (demos name their tasks for this)."""
        tt = self.task_table
        rows = [i for i, name in enumerate(tt.name.tolist()) if name.startswith(prefix)]
        return list(tt.take(np.array(rows, np.int64)))

    def children(self, task_id: int | None) -> list[TaskInfo]:
        tt = self.task_table
        return list(tt.take(tt.parent == (NA if task_id is None else task_id)))

    @cached_property
    def _step_groups(self) -> tuple[np.ndarray, dict[int, tuple[int, int]]]:
        return _groups(self.step_table.task)

    @cached_property
    def _wait_groups(self) -> tuple[np.ndarray, dict[int, tuple[int, int]]]:
        return _groups(self.wait_table.task)

    def step_rows(self, task_id: int) -> np.ndarray:
        """Indices into ``steps`` of one task's steps, in time order."""
        order, spans = self._step_groups
        lo, hi = spans.get(task_id, (0, 0))
        return order[lo:hi]

    def wait_rows(self, task_id: int) -> np.ndarray:
        """Indices into ``waits`` of one task's waits, in time order."""
        order, spans = self._wait_groups
        lo, hi = spans.get(task_id, (0, 0))
        return order[lo:hi]

    def steps_of(self, task_id: int) -> list[Step]:
        return list(self.step_table.take(self.step_rows(task_id)))

    def waits_of(self, task_id: int) -> list[Wait]:
        return list(self.wait_table.take(self.wait_rows(task_id)))

    def ui_thread(self) -> int | None:
        return next((t.id for t in self.threads if t.role == "ui-loop"), None)

    # ---- derived views ------------------------------------------------------------------------
    def segments(self, task_id: int) -> list[Segment]:
        """The task's lane, in time order: running steps, then waiting and ready pieces."""
        st = self.step_table
        rows = self.step_rows(task_id)
        segs = [Segment(task_id, a, b, RUNNING) for a, b in
                zip(st.start_ns[rows].tolist(), st.end_ns[rows].tolist(), strict=True)]
        end_of_trace = self.duration_ns
        for w in self.waits_of(task_id):
            end = w.end_ns if w.end_ns is not None else end_of_trace
            ready = w.ready_ns if w.ready_ns is not None else end
            if ready > w.start_ns:
                segs.append(Segment(task_id, w.start_ns, ready, WAITING, w.kind, w.label))
            if end > ready:
                segs.append(Segment(task_id, ready, end, READY, w.kind, w.label))
        segs.sort(key=lambda s: (s.start_ns, s.end_ns))
        return segs

    def state_at(self, task_id: int, t_ns: int) -> TaskState:
        """What the task was doing at ``t_ns`` (steps win over a wait that ends at the same ns)."""
        info = self.task(task_id)
        if t_ns < info.created_ns:
            return TaskState(task_id, NOT_STARTED)
        st = self.step_table
        rows = self.step_rows(task_id)
        starts = st.start_ns[rows]
        i = int(np.searchsorted(starts, t_ns, side="right")) - 1
        if i >= 0 and t_ns < st.end_ns[rows[i]]:
            return TaskState(task_id, RUNNING)
        wt = self.wait_table
        wrows = self.wait_rows(task_id)
        if len(wrows):
            ends = np.where(wt.end_ns[wrows] == NA, self.duration_ns + 1, wt.end_ns[wrows])
            inside = np.flatnonzero((wt.start_ns[wrows] <= t_ns) & (t_ns < ends))
            if len(inside):
                w = wt[int(wrows[inside[0]])]
                end = w.end_ns if w.end_ns is not None else self.duration_ns + 1
                ready = w.ready_ns if w.ready_ns is not None else end
                state = READY if t_ns >= ready else WAITING
                return TaskState(task_id, state, w.kind, w.label, w.file, w.line)
        if info.ended_ns is not None and t_ns >= info.ended_ns:
            return TaskState(task_id, DONE)
        return TaskState(task_id, READY if not len(rows) or t_ns < starts[0] else RUNNING)

    def await_edges(self) -> list[tuple[int, int, int]]:
        """(waiting task, awaited task, since ns) for every wait that names targets."""
        wt = self.wait_table
        lens = np.diff(wt.target_offsets)
        tasks = np.repeat(wt.task, lens)
        starts = np.repeat(wt.start_ns, lens)
        return list(zip(tasks.tolist(), wt.targets.tolist(), starts.tolist(), strict=True))

    def lifetime(self, task_id: int) -> tuple[int, int]:
        info = self.task(task_id)
        return info.created_ns, info.ended_ns if info.ended_ns is not None else self.duration_ns

    def max_concurrency(self, tasks: Iterable[TaskInfo] | None = None) -> int:
        """Most of ``tasks`` (default: all) alive at once, from creation to end."""
        if tasks is None:
            cached = self.derived.get("max_concurrency")
            if cached is None:
                tt = self.task_table
                ended = np.where(tt.ended_ns == NA, self.duration_ns, tt.ended_ns)
                cached = self.derived["max_concurrency"] = overlap_peak(tt.created_ns, ended)
            return int(cached)
        return max_overlap(self.lifetime(t.id) for t in tasks)

    def busy_intervals(self, task_ids: Iterable[int]) -> list[tuple[int, int]]:
        """For each task, first step start → end: the span it was in flight."""
        out = []
        starts = self.step_table.start_ns
        for tid in task_ids:
            rows = self.step_rows(tid)
            if len(rows):
                out.append((int(starts[rows[0]]), self.lifetime(tid)[1]))
        return out

    def outcomes(self) -> dict[str, int]:
        """How many tasks ended each way, in the order the outcomes first occur."""
        tt = self.task_table
        codes, first, counts = np.unique(tt.outcome, return_index=True, return_counts=True)
        order = np.argsort(first)
        return {tt.strings[c]: n for c, n in zip(codes[order].tolist(), counts[order].tolist(),
                                                  strict=True)}

    def lag_stats(self) -> Stats:
        """The program's loop lag: loopviz's own work on the UI thread is left out
        (:mod:`loopviz.trace.observer`; ``observer()`` reports it)."""
        return Stats.of(program_values(self, "loop_lag").tolist())

    def heartbeat_stats(self) -> Stats:
        """The program's UI heartbeat intervals, loopviz's own work left out."""
        return Stats.of(program_values(self, "ui_heartbeat").tolist())

    def observer(self) -> ObserverShare:
        """What loopviz itself took of the UI thread (zero for a headless run)."""
        return observer_share(self)

    def longest_block(self) -> Block | None:
        return max(self.blocks, key=lambda b: b.end_ns - b.start_ns, default=None)

    def diagnostics_of(self, kind: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.kind == kind]

    def thread_busy(self, thread_id: int) -> list[tuple[int, int, str]]:
        """(start, end, what) of everything that ran on one thread: steps, jobs, callbacks."""
        names = self.task_table.names_by_id()
        st = self.step_table
        mine = st.thread == thread_id
        out = [(a, b, names.get(t, "?")) for a, b, t in zip(
            st.start_ns[mine].tolist(), st.end_ns[mine].tolist(), st.task[mine].tolist(),
            strict=True)]
        out += [(j.start_ns, j.end_ns, j.function) for j in self.jobs
                if j.thread == thread_id and j.start_ns is not None and j.end_ns is not None]
        out += [(c.start_ns, c.end_ns, c.label) for c in self.callbacks if c.thread == thread_id]
        out.sort()
        return out

    def _observer_summary(self) -> dict[str, Any] | None:
        own = self.observer()
        if not own.stretches:
            return None
        return {"own_ns": own.own_ns, "share": round(own.share, 4),
                "longest_ns": own.longest_ns, "raw_loop_lag_p99_ns": own.raw_lag_p99_ns}

    def summary(self) -> dict[str, Any]:
        """The headline figures of a run (the CLI's ``--json`` and the status bar use them)."""
        block = self.longest_block()
        lag = self.lag_stats()
        return {
            "target": self.meta.get("target", ""),
            "variant": self.meta.get("variant"),
            "duration_ns": self.duration_ns,
            "tasks": len(self.tasks),
            "outcomes": self.outcomes(),
            "steps": len(self.steps),
            "max_concurrency": self.max_concurrency(),
            "longest_block_ns": (block.end_ns - block.start_ns) if block else 0,
            "longest_block_at": f"{block.file}:{block.line}" if block else None,
            "loop_lag_p50_ns": lag.p50,
            "loop_lag_p99_ns": lag.p99,
            "ring_buffer": self.meta.get("ring_buffer"),
            "observer": self._observer_summary(),
            "diagnostics": [
                {"kind": d.kind, "message": d.message, "file": d.file, "line": d.line,
                 "count": d.count}
                for d in self.diagnostics
            ],
        }


def _groups(keys: np.ndarray) -> tuple[np.ndarray, dict[int, tuple[int, int]]]:
    """Rows of each key (stable: in their order), as ``order[lo:hi]`` per key."""
    order, uniq, offsets = group_index(keys)
    bounds = offsets.tolist()
    return order, {k: (bounds[i], bounds[i + 1]) for i, k in enumerate(uniq.tolist())}
