"""Build Traces of a growing recording repeatedly, paying only for what is new.

Converting every raw record on every call is right for a final trace, too slow for a live view
of a big run (about half a second for 10,000 tasks, 30 times a second).
:class:`IncrementalBuilder` keeps the records it already made and, on each
:meth:`~IncrementalBuilder.build`, converts only the raw records appended since, re-deriving the
few that can still change (waits not yet resumed, tasks not yet ended, executor jobs). A final
trace (``build_trace``) is the first build of a fresh builder: one derivation serves both.

Contract: for a finished recorder, ``IncrementalBuilder(rec).build()`` after any number of
earlier builds equals the build of a fresh builder, except that a task's name and the labels
naming awaited tasks are read when the builder first sees them (and again when the task ends),
not at every build: a task renamed while it runs shows its new name once it ends.
"""

from __future__ import annotations

import time

from loopviz.trace.model import Trace
from loopviz.trace.recorder import DUE_STRIDE, STEP_STRIDE, WAKE_STRIDE, Recorder
from loopviz.trace.records import Callback, Job, Step, TaskInfo, ThreadInfo, Wait


def _label(kind: str, base: str, targets: tuple[int, ...], names: dict[int, str],
           delay_ns: int | None) -> str:
    if kind == "sleep" and delay_ns is not None:
        ms = round(delay_ns / 1e6)
        return f"{base} {ms / 1000:g} s" if ms >= 1000 else f"{base} {ms} ms"
    if kind == "task" and targets:
        shown = ", ".join(names.get(t, f"task {t}") for t in targets[:3])
        more = f" +{len(targets) - 3}" if len(targets) > 3 else ""
        return f"{base} {shown}{more}".strip()
    return base


class IncrementalBuilder:
    """Invariants: ``_steps``/``_waits`` hold a record for every raw step consumed so far, in
    time order (steps by start then end, waits by start); ``_open[task]`` is the index in
    ``_waits`` of the task's wait that has no next step yet; ``_wakes[task]`` holds the wakes
    not yet matched."""

    def __init__(self, recorder: Recorder) -> None:
        self.rec = recorder
        self._n_steps = self._n_wakes = self._n_dues = self._n_edges = 0
        self._steps: list[Step] = []
        self._waits: list[Wait] = []
        self._open: dict[int, int] = {}
        self._last_end: dict[int, int] = {}  # task -> end of its last step (wait start)
        self._wakes: dict[int, list[int]] = {}
        self._dues: dict[tuple[int, int], int] = {}
        self._edges: dict[tuple[int, int], tuple[int, ...]] = {}
        self._tasks: dict[int, TaskInfo] = {}
        self._task_list: list[TaskInfo] = []  # by id
        self._task_pos: dict[int, int] = {}
        self._names: dict[int, str] = {}
        self._live: set[int] = set()
        self._lag: list[tuple[int, int]] = []
        self._heartbeat: list[tuple[int, int]] = []
        self._callbacks: list[Callback] = []
        self._n_callbacks = 0
        self._sorted = True

    def build(self) -> Trace:
        rec, t0 = self.rec, self.rec.t0
        steps_raw, wakes_raw, dues_raw = rec.raw_columns()
        with rec.lock:
            new_tasks = [(tid, e) for tid, e in list(rec.tasks.items())[len(self._tasks):]]
            edges = rec.edges[self._n_edges:]
            self._n_edges += len(edges)
            sites = list(rec.sites)
            site_stacks = list(rec.site_stacks)
            threads = list(rec.threads)
            jobs = dict(rec.jobs)
            callbacks = rec.callbacks[self._n_callbacks:]
            self._n_callbacks += len(callbacks)
            blocks = list(rec.blocks)
            diagnostics = list(rec.diagnostics)
            lag = rec.loop_lag[len(self._lag):]
            heartbeat = rec.ui_heartbeat[len(self._heartbeat):]
        now = (rec.finished_ns if rec.finished_ns is not None else time.monotonic_ns()) - t0

        self._consume_tasks(new_tasks, t0)
        for task, at, targets in edges:
            self._edges[(task, at - t0)] = targets
        for i in range(self._n_dues, len(dues_raw), DUE_STRIDE):
            self._dues[(dues_raw[i], dues_raw[i + 1] - t0)] = dues_raw[i + 2] - t0
        self._n_dues = len(dues_raw)
        woken = set()
        for i in range(self._n_wakes, len(wakes_raw), WAKE_STRIDE):
            self._wakes.setdefault(wakes_raw[i], []).append(wakes_raw[i + 1] - t0)
            woken.add(wakes_raw[i])
        self._n_wakes = len(wakes_raw)
        self._consume_steps(steps_raw, t0, sites, site_stacks)
        waits = self._waits
        for task in woken:  # open waits of tasks woken since: they became ready
            index = self._open.get(task)
            if index is not None and waits[index].ready_ns is None:
                w = waits[index]
                wakes = [x for x in self._wakes.get(task, ()) if w.start_ns <= x <= now]
                if wakes:
                    waits[index] = _replace_ready(w, min(wakes))
        self._lag += [(t - t0, v) for t, v in lag]
        self._heartbeat += [(t - t0, v) for t, v in heartbeat]
        self._consume_callbacks(callbacks, t0)
        return Trace(
            meta={**rec.meta, "started_at": rec.started_at},
            threads=tuple(ThreadInfo(i, name, role) for i, (_, name, role) in enumerate(threads)),
            tasks=tuple(self._task_list),
            steps=tuple(self._steps),
            waits=tuple(waits),
            blocks=tuple(sorted(blocks, key=lambda b: b.start_ns)),
            jobs=tuple(
                Job(j.thread, j.task, j.function, j.submitted - t0,
                    None if j.start is None else j.start - t0,
                    None if j.end is None else j.end - t0)
                for _, j in sorted(jobs.items())),
            callbacks=tuple(self._callbacks),
            loop_lag=tuple(self._lag),
            ui_heartbeat=tuple(self._heartbeat),
            diagnostics=tuple(sorted(diagnostics, key=lambda d: d.t_ns)),
            duration_ns=now,
        )

    # ---- pieces ------------------------------------------------------------------------------
    def _consume_tasks(self, new_tasks: list, t0: int) -> None:
        ordered = True
        for tid, entry in new_tasks:
            self._names[tid] = entry.current_name()
            info = self._tasks[tid] = _task_info(tid, entry, self._names[tid], t0)
            if self._task_list and tid < self._task_list[-1].id:
                ordered = False
            self._task_list.append(info)
            if entry.ended is None:
                self._live.add(tid)
        if not ordered:
            self._task_list.sort(key=lambda t: t.id)
        if not ordered or len(self._task_pos) != len(self._task_list):
            self._task_pos = {t.id: i for i, t in enumerate(self._task_list)}
        for tid in [t for t in self._live if self.rec.tasks[t].ended is not None]:
            entry = self.rec.tasks[tid]
            self._names[tid] = entry.current_name()
            info = self._tasks[tid] = _task_info(tid, entry, self._names[tid], t0)
            self._task_list[self._task_pos[tid]] = info
            self._live.discard(tid)

    def _consume_steps(self, raw: object, t0: int, sites: list, stacks: list) -> None:
        steps, waits = self._steps, self._waits
        for i in range(self._n_steps, len(raw), STEP_STRIDE):  # type: ignore[arg-type]
            task, start, end, site = raw[i : i + STEP_STRIDE]  # type: ignore[index]
            thread = self.rec.loop_thread
            start -= t0
            end -= t0
            step = Step(task, start, end, thread)
            if steps and (start, end) < (steps[-1].start_ns, steps[-1].end_ns):
                self._sorted = False
            steps.append(step)
            pending = self._wakes.get(task)
            index = self._open.pop(task, None)
            if index is not None:  # this step resumes the task: its wait ends here
                w = waits[index]
                ready = w.ready_ns
                if ready is None:
                    ready = next((x for x in pending or () if w.start_ns <= x <= start), start)
                waits[index] = Wait(w.task, w.start_ns, ready, w.due_ns, start, w.kind,
                                    w.targets, w.label, w.file, w.line, w.stack)
            if pending:
                pending[:] = [x for x in pending if x > start]
            if site < 0:
                continue
            kind, file, line, base = sites[site]
            due = self._dues.pop((task, end), None)
            targets = self._edges.pop((task, end), ())
            ready0 = end if kind == "sleep" and due is None else None  # sleep(0): ready at once
            label = _label(kind, base, targets, self._names, None if due is None else due - end)
            self._open[task] = len(waits)
            waits.append(Wait(task, end, ready0, due, None, kind, targets, label, file, line,
                              stacks[site]))
        self._n_steps = len(raw)  # type: ignore[arg-type]
        if not self._sorted:
            steps.sort(key=lambda s: (s.start_ns, s.end_ns))
            order = sorted(range(len(waits)), key=lambda k: waits[k].start_ns)
            if order != list(range(len(waits))):
                remap = {old: new for new, old in enumerate(order)}
                waits[:] = [waits[k] for k in order]
                self._open = {t: remap[k] for t, k in self._open.items()}
            self._sorted = True

    def _consume_callbacks(self, callbacks: list, t0: int) -> None:
        out = self._callbacks
        fresh = sorted((Callback(th, s - t0, e - t0, label) for th, s, e, label in callbacks),
                       key=lambda c: c.start_ns)
        if fresh and out and fresh[0].start_ns < out[-1].start_ns:
            out += fresh
            out.sort(key=lambda c: c.start_ns)
        else:
            out += fresh


def _replace_ready(w: Wait, ready: int) -> Wait:
    return Wait(w.task, w.start_ns, ready, w.due_ns, w.end_ns, w.kind, w.targets, w.label,
                w.file, w.line, w.stack)


def _task_info(tid: int, e: object, name: str, t0: int) -> TaskInfo:
    return TaskInfo(tid, name, e.coro, e.parent, e.created - t0,  # type: ignore[attr-defined]
                    None if e.ended is None else e.ended - t0,  # type: ignore[attr-defined]
                    e.outcome, e.exception, e.file, e.line)  # type: ignore[attr-defined]
