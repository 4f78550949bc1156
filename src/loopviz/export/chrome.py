"""Chrome Trace Event JSON (opens in Perfetto / chrome://tracing).

Tasks are tracks of one process ("asyncio tasks"), threads of another ("threads": the UI loop,
executor workers); steps and waits are complete ("X") slices, await edges are flow events,
loop lag and the UI heartbeat are counters. Times are microseconds, as the format wants.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loopviz.trace import Trace

TASKS_PID, THREADS_PID = 1, 2


def _us(ns: int) -> float:
    return ns / 1000.0


def chrome_events(trace: Trace) -> list[dict[str, Any]]:
    ev: list[dict[str, Any]] = [
        {"ph": "M", "pid": TASKS_PID, "name": "process_name", "args": {"name": "asyncio tasks"}},
        {"ph": "M", "pid": THREADS_PID, "name": "process_name", "args": {"name": "threads"}},
    ]
    for t in trace.tasks:
        ev.append({"ph": "M", "pid": TASKS_PID, "tid": t.id, "name": "thread_name",
                   "args": {"name": f"{t.name} ({t.coro})"}})
        ev.append({"ph": "M", "pid": TASKS_PID, "tid": t.id, "name": "thread_sort_index",
                   "args": {"sort_index": t.id}})
    for th in trace.threads:
        ev.append({"ph": "M", "pid": THREADS_PID, "tid": th.id, "name": "thread_name",
                   "args": {"name": f"{th.name} [{th.role}]"}})
    names = {t.id: t.name for t in trace.tasks}
    for s in trace.steps:
        ev.append({"ph": "X", "pid": TASKS_PID, "tid": s.task, "name": "step", "cat": "running",
                   "ts": _us(s.start_ns), "dur": _us(s.end_ns - s.start_ns),
                   "args": {"thread": s.thread}})
        ev.append({"ph": "X", "pid": THREADS_PID, "tid": s.thread,
                   "name": names.get(s.task, "task"), "cat": "step",
                   "ts": _us(s.start_ns), "dur": _us(s.end_ns - s.start_ns)})
    end_of_trace = trace.duration_ns
    for i, w in enumerate(trace.waits):
        end = w.end_ns if w.end_ns is not None else end_of_trace
        args = {"kind": w.kind, "at": f"{w.file}:{w.line}",
                "ready_after_ms": None if w.ready_ns is None else (w.ready_ns - w.start_ns) / 1e6}
        ev.append({"ph": "X", "pid": TASKS_PID, "tid": w.task, "name": w.label or w.kind,
                   "cat": f"wait.{w.kind}", "ts": _us(w.start_ns), "dur": _us(end - w.start_ns),
                   "args": args})
        for target in w.targets:
            flow = {"pid": TASKS_PID, "cat": "await", "name": "await", "id": i * 1000 + target}
            ev.append({**flow, "ph": "s", "tid": w.task, "ts": _us(w.start_ns)})
            ev.append({**flow, "ph": "f", "bp": "e", "tid": target, "ts": _us(w.start_ns)})
    for j in trace.jobs:
        if j.start_ns is not None and j.thread is not None:
            end = j.end_ns if j.end_ns is not None else end_of_trace
            ev.append({"ph": "X", "pid": THREADS_PID, "tid": j.thread, "name": j.function,
                       "cat": "job", "ts": _us(j.start_ns), "dur": _us(end - j.start_ns),
                       "args": {"queued_ms": (j.start_ns - j.submitted_ns) / 1e6,
                                "task": j.task}})
    for c in trace.callbacks:
        ev.append({"ph": "X", "pid": THREADS_PID, "tid": c.thread, "name": c.label,
                   "cat": "callback", "ts": _us(c.start_ns), "dur": _us(c.end_ns - c.start_ns)})
    for b in trace.blocks:
        ev.append({"ph": "X", "pid": THREADS_PID, "tid": b.thread, "name": f"BLOCKED {b.function}",
                   "cat": "block", "ts": _us(b.start_ns), "dur": _us(b.end_ns - b.start_ns),
                   "args": {"at": f"{b.file}:{b.line}", "stack": list(b.stack)}})
    for d in trace.diagnostics:
        ev.append({"ph": "i", "s": "g", "pid": THREADS_PID, "tid": 0, "name": d.kind,
                   "ts": _us(d.t_ns), "args": {"message": d.message, "at": f"{d.file}:{d.line}"}})
    for t, lag in trace.loop_lag:
        ev.append({"ph": "C", "pid": THREADS_PID, "name": "loop lag (ms)", "ts": _us(t),
                   "args": {"lag": lag / 1e6}})
    for t, interval in trace.ui_heartbeat:
        ev.append({"ph": "C", "pid": THREADS_PID, "name": "UI heartbeat (ms)", "ts": _us(t),
                   "args": {"interval": interval / 1e6}})
    return ev


def save_chrome_trace(trace: Trace, path: str | Path) -> Path:
    path = Path(path)
    doc = {"traceEvents": chrome_events(trace), "displayTimeUnit": "ms",
           "otherData": {"loopviz": trace.meta}}
    path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    return path
