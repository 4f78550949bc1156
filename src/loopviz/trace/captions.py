"""Caption sentences from the trace: what a narrator would say at each moment of a run.

Pure (no Qt). :func:`captions` turns records into dated sentences ("fetch-2 suspended at line
14: awaiting asyncio.sleep 1 s", "UI thread blocked by time.sleep at line 9 for 1.02 s");
:func:`caption_at` picks the one to show at an instant: a caption whose span covers the instant
(a block, while it lasts) wins, otherwise the newest sentence not older than ``hold_ns``, and
in the quiet stretches between events a sentence about what the loop holds.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass

from loopviz.trace.model import Trace
from loopviz.trace.queues import QueueEntry, loop_queues
from loopviz.trace.wording import duration

_KEY = "captions.all"
READY_GAP_NS = 5_000_000  # a wake-up is worth a sentence when the loop made it wait this long
QUEUE_GAP_NS = 2_000_000  # an executor job is "queued" when it waited this long for a worker


@dataclass(frozen=True, slots=True)
class Caption:
    """A sentence about what happened at ``t_ns``; ``end_ns > t_ns`` for things that last
    (a block), during which it keeps priority over instant events."""

    t_ns: int
    end_ns: int
    text: str


def _where(file: str, line: int) -> str:
    return f"line {line}" if line else (os.path.basename(file) or "an unknown line")


def captions(trace: Trace) -> list[Caption]:
    """Every caption of the run, in time order (cached on the trace)."""
    cached: list[Caption] | None = trace.derived.get(_KEY)
    if cached is not None:
        return cached
    names = trace.task_table.names_by_id()
    out: list[Caption] = []

    def say(t: int, text: str, end: int | None = None) -> None:
        out.append(Caption(t, end if end is not None else t, text))

    for task in trace.tasks:
        parent = names.get(task.parent) if task.parent is not None else None
        made = f"{parent} created {task.name}" if parent else f"{task.name} created"
        say(task.created_ns, f"{made} at {_where(task.file, task.line)}")
        if task.ended_ns is not None:
            how = {"result": "finished", "cancelled": "was cancelled",
                   "exception": f"raised {task.exception or 'an exception'}"}.get(
                task.outcome, task.outcome)
            say(task.ended_ns, f"{task.name} {how}")
    for w in trace.waits:
        name = names.get(w.task, f"task {w.task}")
        label = w.label or w.kind
        say(w.start_ns, f"{name} suspended at {_where(w.file, w.line)}: awaiting {label}")
        if w.ready_ns is not None and w.end_ns is not None and \
                w.end_ns - w.ready_ns >= READY_GAP_NS:
            late = ""
            if w.due_ns is not None and w.ready_ns - w.due_ns >= READY_GAP_NS:
                late = f" {duration(w.ready_ns - w.due_ns)} late"
            say(w.ready_ns, f"{name} is ready{late}, but the loop is busy: "
                            f"it waits {duration(w.end_ns - w.ready_ns)} to resume")
    ui = trace.ui_thread()
    for b in trace.blocks:
        who = "UI thread" if b.thread == ui else f"thread {b.thread}"
        what = b.function or "a call"
        if b.culprit in ("user", "unknown"):
            say(b.start_ns, f"{who} blocked by {what} at {_where(b.file, b.line)} for "
                            f"{duration(b.end_ns - b.start_ns)}", b.end_ns)
        else:  # the observer's (or Qt's) own stall: honest, but not the program's doing
            owner = {"loopviz": "loopviz's own work", "gc": "Python's garbage collector"}.get(
                b.culprit, f"{b.culprit} code")
            say(b.start_ns, f"{who} held {duration(b.end_ns - b.start_ns)} by {owner} ({what})",
                b.end_ns)
    for j in trace.jobs:
        owner = f" for {names[j.task]}" if j.task in names else ""
        if j.start_ns is not None and j.start_ns - j.submitted_ns >= QUEUE_GAP_NS:
            say(j.submitted_ns, f"{j.function}{owner} queued: every worker thread is busy")
        if j.start_ns is not None:
            say(j.start_ns, f"a worker thread runs {j.function}{owner}")
        if j.end_ns is not None:
            say(j.end_ns, f"{j.function}{owner} done on its worker thread")
    for d in trace.diagnostics:
        if d.kind != "blocked-loop":  # the block itself is captioned, for as long as it lasts
            say(d.t_ns, f"{d.kind}: {d.message}")
    out.sort(key=lambda c: c.t_ns)
    trace.derived[_KEY] = out
    return out


def state_sentence(trace: Trace, t_ns: int) -> str:
    """What the loop holds at ``t_ns`` in one sentence, for the quiet stretches between events
    ("loop idle · fetch-1, fetch-2 sleeping (next timer in 494 ms) · main awaiting gather")."""
    q = loop_queues(trace, t_ns)
    parts = []
    steps = [e.name for e in q.running if e.kind == "step"]
    if steps:
        parts.append(f"{', '.join(steps)} running on the loop thread")
    elif not q.ready and not q.running:
        parts.append("loop idle")
    if q.ready:
        parts.append(f"{_names(q.ready)} ready, waiting for the loop")
    if q.timers:
        nxt = min(e.due_ns or 0 for e in q.timers) - t_ns
        when = f"next timer in {duration(nxt)}" if nxt > 0 else f"a timer {duration(-nxt)} overdue"
        parts.append(f"{_names(q.timers)} sleeping ({when})")
    for e in q.waiting[:2]:
        parts.append(f"{e.name} awaiting {e.label or e.kind}")
    if q.jobs_running or q.jobs_queued:
        parts.append(f"{len(q.jobs_running)} job(s) on worker threads, "
                     f"{len(q.jobs_queued)} queued")
    return " · ".join(parts)


def _names(entries: tuple[QueueEntry, ...], most: int = 3) -> str:
    names = [e.name for e in entries[:most]]
    more = f" +{len(entries) - most}" if len(entries) > most else ""
    return ", ".join(names) + more


def caption_at(trace: Trace, t_ns: int, hold_ns: int | None = None) -> str:
    """The sentence to show at ``t_ns``: a lasting caption covering it, else the newest one at
    or before it; when that is older than ``hold_ns`` (if given), what the loop holds now
    (:func:`state_sentence`). "" before anything happened."""
    all_caps = captions(trace)
    times = trace.derived.get(_KEY + ".t")
    if times is None:
        times = trace.derived[_KEY + ".t"] = [c.t_ns for c in all_caps]
    i = bisect.bisect_right(times, t_ns)
    lasting = [c for c in all_caps[:i] if c.end_ns > t_ns]
    if lasting:
        return lasting[-1].text
    if i == 0:
        return ""
    newest = all_caps[i - 1]
    if hold_ns is not None and t_ns - newest.t_ns > hold_ns:
        return state_sentence(trace, t_ns) or newest.text
    return newest.text
