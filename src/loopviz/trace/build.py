"""Turn a Recorder's raw buffers into a Trace.

This is where cheap recording is paid for: waits are derived from consecutive steps of a task
(a wait starts where a step that suspended ends, and ends where the next step starts), wake
and due records are joined to them, and raw monotonic times become ns since the start.
"""

from __future__ import annotations

import bisect
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


def build_trace(rec: Recorder) -> Trace:
    t0 = rec.t0
    steps_raw, wakes_raw, dues_raw = rec.raw_columns()
    with rec.lock:
        task_entries = dict(rec.tasks)
        sites = list(rec.sites)
        site_stacks = list(rec.site_stacks)
        edges = list(rec.edges)
        threads = list(rec.threads)
        jobs = dict(rec.jobs)
        callbacks = list(rec.callbacks)
        blocks = list(rec.blocks)
        diagnostics = list(rec.diagnostics)
        lag = list(rec.loop_lag)
        heartbeat = list(rec.ui_heartbeat)
    now = (rec.finished_ns if rec.finished_ns is not None else time.monotonic_ns()) - t0
    names = {tid: e.current_name() for tid, e in task_entries.items()}

    # Group raw steps per task, in start order.
    per_task: dict[int, list[tuple[int, int, int, int]]] = {}
    for i in range(0, len(steps_raw), STEP_STRIDE):
        task, start, end, site = steps_raw[i : i + STEP_STRIDE]
        thread = rec.loop_thread
        per_task.setdefault(task, []).append((start - t0, end - t0, thread, site))
    wakes: dict[int, list[int]] = {}
    for i in range(0, len(wakes_raw), WAKE_STRIDE):
        wakes.setdefault(wakes_raw[i], []).append(wakes_raw[i + 1] - t0)
    dues = {
        (dues_raw[i], dues_raw[i + 1] - t0): dues_raw[i + 2] - t0
        for i in range(0, len(dues_raw), DUE_STRIDE)
    }
    edge_map = {(task, at - t0): targets for task, at, targets in edges}

    steps: list[Step] = []
    waits: list[Wait] = []
    for task, seq in per_task.items():
        seq.sort()
        task_wakes = sorted(wakes.get(task, ()))
        for j, (start, end, thread, site) in enumerate(seq):
            steps.append(Step(task, start, end, thread))
            if site < 0:
                continue
            kind, file, line, base = sites[site]
            w_end = seq[j + 1][0] if j + 1 < len(seq) else None
            due = dues.get((task, end))
            targets = edge_map.get((task, end), ())
            if kind == "sleep" and due is None:
                ready: int | None = end  # sleep(0): runnable at once
            else:
                k = bisect.bisect_left(task_wakes, end)
                limit = w_end if w_end is not None else now
                ready = task_wakes[k] if k < len(task_wakes) and task_wakes[k] <= limit else w_end
            label = _label(kind, base, targets, names, None if due is None else due - end)
            waits.append(Wait(task, end, ready, due, w_end, kind, targets, label, file, line,
                              site_stacks[site]))
    steps.sort(key=lambda s: (s.start_ns, s.end_ns))
    waits.sort(key=lambda w: w.start_ns)

    tasks = tuple(
        TaskInfo(tid, names[tid], e.coro, e.parent, e.created - t0,
                 None if e.ended is None else e.ended - t0, e.outcome, e.exception, e.file, e.line)
        for tid, e in sorted(task_entries.items())
    )
    job_records = tuple(
        Job(j.thread, j.task, j.function, j.submitted - t0,
            None if j.start is None else j.start - t0, None if j.end is None else j.end - t0)
        for _, j in sorted(jobs.items())
    )
    return Trace(
        meta={**rec.meta, "started_at": rec.started_at},
        threads=tuple(ThreadInfo(i, name, role) for i, (_, name, role) in enumerate(threads)),
        tasks=tasks,
        steps=tuple(steps),
        waits=tuple(waits),
        blocks=tuple(sorted(blocks, key=lambda b: b.start_ns)),
        jobs=job_records,
        callbacks=tuple(sorted((Callback(th, s - t0, e - t0, label)
                                for th, s, e, label in callbacks), key=lambda c: c.start_ns)),
        loop_lag=tuple((t - t0, v) for t, v in lag),
        ui_heartbeat=tuple((t - t0, v) for t, v in heartbeat),
        diagnostics=tuple(sorted(diagnostics, key=lambda d: d.t_ns)),
        duration_ns=now,
    )
