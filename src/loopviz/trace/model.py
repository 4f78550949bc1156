"""The Trace: an immutable picture of one run, and the queries the views and demos ask of it.

A live run is a trace that is still growing: the UI rebuilds (or extends) it from the Recorder;
a saved trace loads into the very same class. Queries derive everything from the records, so a
demo's ``check`` and the timeline agree by construction.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

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
    events = []
    for start, end in intervals:
        events.append((start, 1))
        events.append((end, -1))
    events.sort()
    best = cur = 0
    for _, delta in events:
        cur += delta
        best = max(best, cur)
    return best


@dataclass(frozen=True)
class Trace:
    """Invariant: records are sorted by start time within each kind; every id a record names
    (task, thread) is in ``tasks``/``threads``; ``duration_ns`` covers every record."""

    meta: dict[str, Any]
    threads: tuple[ThreadInfo, ...] = ()
    tasks: tuple[TaskInfo, ...] = ()
    steps: tuple[Step, ...] = ()
    waits: tuple[Wait, ...] = ()
    blocks: tuple[Block, ...] = ()
    jobs: tuple[Job, ...] = ()
    callbacks: tuple[Callback, ...] = ()
    loop_lag: tuple[tuple[int, int], ...] = ()
    ui_heartbeat: tuple[tuple[int, int], ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    duration_ns: int = 0
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ---- lookups -----------------------------------------------------------------------------
    @cached_property
    def _task_index(self) -> dict[int, TaskInfo]:
        return {t.id: t for t in self.tasks}

    def task(self, task_id: int) -> TaskInfo:
        return self._task_index[task_id]

    def tasks_named(self, prefix: str) -> list[TaskInfo]:
        """Tasks whose name starts with ``prefix`` (demos name their tasks for this)."""
        return [t for t in self.tasks if t.name.startswith(prefix)]

    def children(self, task_id: int | None) -> list[TaskInfo]:
        return [t for t in self.tasks if t.parent == task_id]

    @cached_property
    def _steps_by_task(self) -> dict[int, list[Step]]:
        out: dict[int, list[Step]] = {}
        for s in self.steps:
            out.setdefault(s.task, []).append(s)
        return out

    @cached_property
    def _waits_by_task(self) -> dict[int, list[Wait]]:
        out: dict[int, list[Wait]] = {}
        for w in self.waits:
            out.setdefault(w.task, []).append(w)
        return out

    def steps_of(self, task_id: int) -> list[Step]:
        return self._steps_by_task.get(task_id, [])

    def waits_of(self, task_id: int) -> list[Wait]:
        return self._waits_by_task.get(task_id, [])

    def ui_thread(self) -> int | None:
        return next((t.id for t in self.threads if t.role == "ui-loop"), None)

    # ---- derived views ------------------------------------------------------------------------
    def segments(self, task_id: int) -> list[Segment]:
        """The task's lane, in time order: running steps, then waiting and ready pieces."""
        segs = [Segment(task_id, s.start_ns, s.end_ns, RUNNING) for s in self.steps_of(task_id)]
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
        steps = self.steps_of(task_id)
        i = bisect.bisect_right([s.start_ns for s in steps], t_ns) - 1
        if i >= 0 and steps[i].start_ns <= t_ns < steps[i].end_ns:
            return TaskState(task_id, RUNNING)
        for w in self.waits_of(task_id):
            end = w.end_ns if w.end_ns is not None else self.duration_ns + 1
            if w.start_ns <= t_ns < end:
                ready = w.ready_ns if w.ready_ns is not None else end
                state = READY if t_ns >= ready else WAITING
                return TaskState(task_id, state, w.kind, w.label, w.file, w.line)
        if info.ended_ns is not None and t_ns >= info.ended_ns:
            return TaskState(task_id, DONE)
        return TaskState(task_id, READY if not steps or t_ns < steps[0].start_ns else RUNNING)

    def await_edges(self) -> list[tuple[int, int, int]]:
        """(waiting task, awaited task, since ns) for every wait that names targets."""
        return [(w.task, target, w.start_ns) for w in self.waits for target in w.targets]

    def lifetime(self, task_id: int) -> tuple[int, int]:
        info = self.task(task_id)
        return info.created_ns, info.ended_ns if info.ended_ns is not None else self.duration_ns

    def max_concurrency(self, tasks: Iterable[TaskInfo] | None = None) -> int:
        """Most of ``tasks`` (default: all) alive at once, from creation to end."""
        chosen = self.tasks if tasks is None else tasks
        return max_overlap(self.lifetime(t.id) for t in chosen)

    def busy_intervals(self, task_ids: Iterable[int]) -> list[tuple[int, int]]:
        """For each task, first step start → end: the span it was in flight."""
        out = []
        for tid in task_ids:
            steps = self.steps_of(tid)
            if steps:
                out.append((steps[0].start_ns, self.lifetime(tid)[1]))
        return out

    def outcomes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t in self.tasks:
            counts[t.outcome] = counts.get(t.outcome, 0) + 1
        return counts

    def lag_stats(self) -> Stats:
        return Stats.of([lag for _, lag in self.loop_lag])

    def heartbeat_stats(self) -> Stats:
        return Stats.of([interval for _, interval in self.ui_heartbeat])

    def longest_block(self) -> Block | None:
        return max(self.blocks, key=lambda b: b.end_ns - b.start_ns, default=None)

    def diagnostics_of(self, kind: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.kind == kind]

    def thread_busy(self, thread_id: int) -> list[tuple[int, int, str]]:
        """(start, end, what) of everything that ran on one thread: steps, jobs, callbacks."""
        names = {t.id: t.name for t in self.tasks}
        out = [(s.start_ns, s.end_ns, names.get(s.task, "?")) for s in self.steps
               if s.thread == thread_id]
        out += [(j.start_ns, j.end_ns, j.function) for j in self.jobs
                if j.thread == thread_id and j.start_ns is not None and j.end_ns is not None]
        out += [(c.start_ns, c.end_ns, c.label) for c in self.callbacks if c.thread == thread_id]
        out.sort()
        return out

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
            "diagnostics": [
                {"kind": d.kind, "message": d.message, "file": d.file, "line": d.line}
                for d in self.diagnostics
            ],
        }
