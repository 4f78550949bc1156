"""Words for what is under the mouse: the hover tooltip of a timeline segment (pure, no Qt)."""

from __future__ import annotations

from loopviz.trace import Trace
from loopviz.trace.wording import duration, place
from loopviz.ui.timeline.lanes import Hit
from loopviz.ui.timeline.layout import RECORD_KIND


def fmt_duration(seconds: float) -> str:
    """A segment's duration to three figures (35.4 ms): a tooltip is read closely."""
    return duration(seconds * 1e9, precise=True)


def _task_line(trace: Trace, task_id: int | None) -> list[str]:
    if task_id is None:
        return []
    try:
        t = trace.task(task_id)
    except KeyError:
        return [f"task {task_id}"]
    out = [f"task {t.name}  ·  coroutine {t.coro}()"]
    if t.ended_ns is not None:
        life = fmt_duration((t.ended_ns - t.created_ns) / 1e9)
        result = t.outcome + (f": {t.exception}" if t.exception else "")
        out.append(f"ended {result} after {life}")
    return out


def describe(trace: Trace, hit: Hit) -> str:
    """Multi-line text for a hit: task, coroutine, state, wait label, file:line, durations."""
    lane = hit.lane
    head = lane.label if lane.kind in ("thread", "queue") else ""
    if lane.kind == "group":
        return f"{lane.label}: tasks running library code only (click its name to show them)"
    if hit.state is None:
        lines = [head] if head else _task_line(trace, lane.ident)
        return "\n".join(lines)
    kind = RECORD_KIND[hit.state]
    rec = getattr(trace, kind)[hit.ref]
    dur = fmt_duration(hit.x1 - hit.x0)
    lines = [head] if head else []
    if kind == "steps":
        if lane.kind == "thread":
            lines += _task_line(trace, rec.task)
        else:
            lines += _task_line(trace, lane.ident)
        lines.append(f"running a step for {dur}")
    elif kind == "waits":
        lines += _task_line(trace, rec.task)
        if hit.state == "ready":
            lines.append(f"ready: woken, waited {dur} for the loop")
        elif hit.state == "late":
            lines.append(f"LATE by {dur}: the timer was due but the loop was busy; its "
                         "callback could not run")
        else:
            lines.append(f"waiting ({rec.kind}) for {dur}")
        lines.append(f"on {rec.label}" if rec.label else "")
        if rec.due_ns is not None and rec.end_ns is not None and rec.end_ns > rec.due_ns:
            lines.append(f"resumed {fmt_duration((rec.end_ns - rec.due_ns) / 1e9)} after due")
        lines.append(f"suspended at {place(rec.file, rec.line, '')}")
    elif kind == "blocks":
        lines.append(f"BLOCKED for {dur} in {rec.function}() at {place(rec.file, rec.line, '')}")
        if lane.kind == "task":
            lines = _task_line(trace, lane.ident) + lines
    elif kind == "jobs" and hit.state == "queued":
        lines.append(f"{rec.function} queued for {dur}: every worker was busy")
        lines += [f"for {line}" for line in _task_line(trace, rec.task)[:1]]
    elif kind == "diagnostics":
        lines.append(f"{rec.kind}: {rec.message}")
        lines.append(f"at {place(rec.file, rec.line, '')}" if rec.file else "")
    elif kind == "jobs":
        lines.append(f"executor job {rec.function} for {dur}")
        if rec.start_ns is not None:
            queued = (rec.start_ns - rec.submitted_ns) / 1e9
            lines.append(f"queued {fmt_duration(queued)} before a worker took it")
        lines += [f"for {line}" for line in _task_line(trace, rec.task)[:1]]
    else:
        own = " (loopviz's own work)" if hit.state == "loopviz" else ""
        lines.append(f"callback {rec.label}{own} for {dur}")
    return "\n".join(line for line in lines if line)
