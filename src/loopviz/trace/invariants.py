"""Trace invariants: what must hold in every trace we record. Tests run this on every trace
they make; it is also a quick sanity check for a trace file someone sends in."""

from __future__ import annotations

from loopviz.trace.model import Trace
from loopviz.trace.records import Step


def violations(trace: Trace) -> list[str]:
    """Every broken invariant, as a sentence (an empty list means the trace is sound)."""
    out: list[str] = []
    ids = [t.id for t in trace.tasks]
    if len(ids) != len(set(ids)):
        out.append("a task id appears twice")
    known = set(ids)
    for t in trace.tasks:
        if t.ended_ns is not None and t.ended_ns < t.created_ns:
            out.append(f"task {t.id} ends before it is created")
        if (t.ended_ns is None) != (t.outcome == "pending"):
            out.append(f"task {t.id}: outcome {t.outcome!r} but ended_ns={t.ended_ns}")
    for s in trace.steps:
        if s.task not in known:
            out.append(f"step of unknown task {s.task}")
        if s.end_ns < s.start_ns:
            out.append(f"step of task {s.task} ends before it starts")
    out += _overlapping_steps(trace)
    for w in trace.waits:
        end = w.end_ns if w.end_ns is not None else trace.duration_ns
        if not w.start_ns <= end:
            out.append(f"wait of task {w.task} ends before it starts")
        if w.ready_ns is not None and not w.start_ns <= w.ready_ns <= end:
            out.append(f"wait of task {w.task} at {w.start_ns}: ready outside the wait")
        steps = trace.steps_of(w.task)
        if not any(s.end_ns == w.start_ns for s in steps):
            out.append(f"wait of task {w.task} at {w.start_ns} does not follow a step")
        if w.end_ns is not None and not any(s.start_ns == w.end_ns for s in steps):
            out.append(f"wait of task {w.task} at {w.start_ns} is not followed by a step")
        out += [f"wait of task {w.task} awaits unknown task {x}" for x in w.targets
                if x not in known]
    return out


def _overlapping_steps(trace: Trace) -> list[str]:
    """Steps on one thread never overlap, except an eager task's first step nested in its
    parent's step (3.12+): nested means fully contained."""
    out = []
    by_thread: dict[int, list[Step]] = {}
    for s in trace.steps:
        by_thread.setdefault(s.thread, []).append(s)
    for steps in by_thread.values():
        steps.sort(key=lambda s: (s.start_ns, -s.end_ns))
        open_stack: list[Step] = []
        for s in steps:
            while open_stack and open_stack[-1].end_ns <= s.start_ns:
                open_stack.pop()
            if open_stack and s.end_ns > open_stack[-1].end_ns:
                out.append(f"steps of tasks {open_stack[-1].task} and {s.task} overlap")
            open_stack.append(s)
    return out
