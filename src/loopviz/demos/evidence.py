"""Small, pure helpers the Pitfalls and Threads demos use to state what a trace proved.

Every function reads the recorded :class:`~loopviz.trace.Trace` (or a demo's own source, to
know which line a finding should name); none of them invents a number. Kept apart from the
demos so that the demo modules, whose source the code view shows, stay short teaching code.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable
from typing import Any

from loopviz.trace import Block, Diagnostic, Finding, Job, Step, TaskInfo, Trace, Wait


def source_line(fn: Callable[..., Any], marker: str) -> tuple[str, int]:
    """(file, line) of the first line of ``fn``'s source containing ``marker``: how a check
    knows which line a block or diagnostic *should* name without typing a number in."""
    lines, first = inspect.getsourcelines(fn)
    file = inspect.getsourcefile(fn) or ""
    for offset, text in enumerate(lines):
        if marker in text:
            return file, first + offset
    raise ValueError(f"{marker!r} not in the source of {fn.__qualname__}")


def same_file(a: str, b: str) -> bool:
    if not a or not b:
        return False
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def first_task(trace: Trace, prefix: str) -> TaskInfo | None:
    found = trace.tasks_named(prefix)
    return found[0] if found else None


def tasks_running(trace: Trace, coro_name: str) -> list[TaskInfo]:
    """Tasks whose coroutine function is ``coro_name`` (for tasks asyncio names itself)."""
    return [t for t in trace.tasks if t.coro == coro_name or t.coro.endswith("." + coro_name)]


def ui_blocks(trace: Trace, min_ns: int = 0) -> list[Block]:
    ui = trace.ui_thread()
    return [b for b in trace.blocks
            if (ui is None or b.thread == ui) and b.end_ns - b.start_ns >= min_ns]


def block_during(trace: Trace, start_ns: int, end_ns: int) -> dict[str, int]:
    """``{"at_ns": start}`` of the UI block that overlaps [start_ns, end_ns] most, for a
    finding that restates it (the findings then list the two as one line:
    :mod:`loopviz.trace.facts`); ``{}`` when no block overlaps it."""
    overlap = [(min(b.end_ns, end_ns) - max(b.start_ns, start_ns), b.start_ns)
               for b in ui_blocks(trace)]
    best = max((o for o in overlap if o[0] > 0), default=None)
    return {"at_ns": best[1]} if best else {}


def timer_lateness(waits: Iterable[Wait]) -> list[int]:
    """How late each finished timer fired (ready - due), for sleeps that had a due time."""
    return [w.ready_ns - w.due_ns for w in waits
            if w.due_ns is not None and w.ready_ns is not None]


def ready_not_running(waits: Iterable[Wait]) -> list[int]:
    """For finished waits: how long the task was runnable before the loop got to it."""
    return [w.end_ns - w.ready_ns for w in waits
            if w.ready_ns is not None and w.end_ns is not None]


def heartbeat_max(trace: Trace, start_ns: int = 0, end_ns: int | None = None) -> int:
    """Longest UI heartbeat interval that ended inside [start, end] (the UI thread's worst
    stall there); 0 without samples."""
    end = trace.duration_ns if end_ns is None else end_ns
    return max((iv for t, iv in trace.ui_heartbeat if start_ns <= t <= end), default=0)


def heartbeat_intervals(trace: Trace, start_ns: int, end_ns: int) -> list[int]:
    return [iv for t, iv in trace.ui_heartbeat if start_ns <= t <= end_ns]


def percentile(values: list[int], q: float) -> int:
    if not values:
        return 0
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def longest_step(steps: Iterable[Step]) -> Step | None:
    return max(steps, key=lambda s: s.end_ns - s.start_ns, default=None)


def jobs_named(trace: Trace, function: str) -> list[Job]:
    return [j for j in trace.jobs
            if j.function == function or j.function.endswith("." + function)]


def queue_gap(job: Job) -> int:
    """submitted → started: how long the job sat in the executor's queue."""
    return (job.start_ns - job.submitted_ns) if job.start_ns is not None else 0


def thread_name(trace: Trace, thread_id: int | None) -> str:
    for t in trace.threads:
        if t.id == thread_id:
            return t.name
    return "?"


def span(trace: Trace, task: TaskInfo) -> int:
    start, end = trace.lifetime(task.id)
    return end - start


def diagnostic_finding(diagnostics: list[Diagnostic], kind: str, file: str, line: int,
                       count_key: str) -> Finding:
    """The first ``kind`` diagnostic as a finding, ok when it names ``file:line`` (the line the
    demo's source says is the culprit); a failed finding when none was recorded."""
    if not diagnostics:
        return Finding(f"no {kind} diagnostic was recorded", ok=False)
    d = diagnostics[0]
    return Finding(d.message, ok=same_file(d.file, file) and d.line == line,
                   data={count_key: len(diagnostics), "line": d.line, "at_ns": d.t_ns})
