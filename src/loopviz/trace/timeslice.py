"""The trace as of an instant: what a replay shows at time t, the events a cursor steps between,
and every task's async stack at t.

Pure (no Qt): the replay feeds the very same views a live run feeds, with
``timeslice(trace, t)`` instead of the Recorder's newest trace, so "replay shows what the live
run showed" holds by construction. A slice keeps each record list's order and only drops or
opens records, so slices at growing ``t`` extend each other the way a live trace grows (the
timeline appends instead of rebuilding).
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, replace

from loopviz.trace.model import DONE, NOT_STARTED, RUNNING, Trace
from loopviz.trace.records import Wait
from loopviz.trace.wording import place

_EVENTS_KEY = "timeslice.event_times"


def timeslice(trace: Trace, t_ns: int) -> Trace:
    """``trace`` as a live recorder would have shown it at ``t_ns``.

    Records that started after ``t_ns`` are gone; records still open at ``t_ns`` are open
    (a wait's ``end_ns``/``ready_ns``, a job's ``start_ns``/``end_ns``, a task's ``ended_ns``
    become None, its outcome ``pending``); steps, blocks and callbacks in progress end at
    ``t_ns`` (they have no open form). ``t_ns`` at or past the end returns ``trace`` itself.
    """
    if t_ns >= trace.duration_ns:
        return trace
    t = max(0, int(t_ns))
    tasks = tuple(
        task if task.ended_ns is not None and task.ended_ns <= t else
        replace(task, ended_ns=None, outcome="pending", exception=None)
        for task in trace.tasks if task.created_ns <= t
    )
    steps = tuple(s if s.end_ns <= t else replace(s, end_ns=t)
                  for s in trace.steps if s.start_ns <= t)
    waits = tuple(_open_wait(w, t) for w in trace.waits if w.start_ns <= t)
    jobs = tuple(
        replace(j, start_ns=j.start_ns if j.start_ns is not None and j.start_ns <= t else None,
                end_ns=j.end_ns if j.end_ns is not None and j.end_ns <= t else None)
        for j in trace.jobs if j.submitted_ns <= t
    )
    blocks = tuple(b if b.end_ns <= t else replace(b, end_ns=t)
                   for b in trace.blocks if b.start_ns <= t)
    callbacks = tuple(c if c.end_ns <= t else replace(c, end_ns=t)
                      for c in trace.callbacks if c.start_ns <= t)
    return Trace(
        meta=trace.meta,
        threads=trace.threads,
        tasks=tasks,
        steps=steps,
        waits=waits,
        blocks=blocks,
        jobs=jobs,
        callbacks=callbacks,
        loop_lag=tuple(s for s in trace.loop_lag if s[0] <= t),
        ui_heartbeat=tuple(s for s in trace.ui_heartbeat if s[0] <= t),
        diagnostics=tuple(d for d in trace.diagnostics if d.t_ns <= t),
        duration_ns=t,
    )


def _open_wait(w: Wait, t: int) -> Wait:
    if w.end_ns is not None and w.end_ns <= t:
        return w
    ready = w.ready_ns if w.ready_ns is not None and w.ready_ns <= t else None
    return replace(w, end_ns=None, ready_ns=ready)


# ---- events the cursor steps between ----------------------------------------------------------
def event_times(trace: Trace) -> list[int]:
    """Sorted distinct instants where something happens: step starts and ends, wait ready
    times, job submissions, starts and ends, block starts and ends, task creations and ends,
    diagnostics; plus 0 and the trace's end. Cached on the trace."""
    cached: list[int] | None = trace.derived.get(_EVENTS_KEY)
    if cached is not None:
        return cached
    times = {0, trace.duration_ns}
    for s in trace.steps:
        times.update((s.start_ns, s.end_ns))
    for w in trace.waits:
        if w.ready_ns is not None:
            times.add(w.ready_ns)
    for j in trace.jobs:
        times.update(x for x in (j.submitted_ns, j.start_ns, j.end_ns) if x is not None)
    for b in trace.blocks:
        times.update((b.start_ns, b.end_ns))
    for task in trace.tasks:
        times.add(task.created_ns)
        if task.ended_ns is not None:
            times.add(task.ended_ns)
    times.update(d.t_ns for d in trace.diagnostics)
    out = sorted(x for x in times if 0 <= x <= trace.duration_ns)
    trace.derived[_EVENTS_KEY] = out
    return out


def next_event(trace: Trace, t_ns: int) -> int:
    """The first event strictly after ``t_ns`` (the trace's end if none)."""
    times = event_times(trace)
    i = bisect.bisect_right(times, t_ns)
    return times[i] if i < len(times) else trace.duration_ns


def prev_event(trace: Trace, t_ns: int) -> int:
    """The last event strictly before ``t_ns`` (0 if none)."""
    times = event_times(trace)
    i = bisect.bisect_left(times, t_ns) - 1
    return times[i] if i >= 0 else 0


# ---- async stacks -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Frame:
    """One line of an async stack: ``file:line in function``, split."""

    file: str
    line: int
    function: str

    @classmethod
    def parse(cls, text: str) -> Frame:
        where, _, function = text.partition(" in ")
        file, _, line = where.rpartition(":")
        try:
            return cls(file, int(line), function)
        except ValueError:
            return cls(where, 0, function)

    def short(self) -> str:
        return f"{self.function}  {place(self.file, self.line)}"


@dataclass(frozen=True, slots=True)
class AsyncStack:
    """One task at one instant: its state and its await chain, outermost frame first.

    For a waiting or ready task the frames are where it is suspended (the wait's stack); for
    a running task, where its current step resumed (the previous wait's stack), if any.
    """

    task: int
    name: str
    state: str  # running | ready | waiting (see Trace.state_at)
    label: str  # what it waits on, e.g. "asyncio.sleep 1 s"
    frames: tuple[Frame, ...]
    file: str = ""
    line: int = 0
    kind: str = ""  # the wait's kind (sleep, task, queue...) when waiting or ready


_MACHINERY = (os.sep + os.path.join("loopviz", "session") + os.sep,
              os.sep + os.path.join("loopviz", "instrument") + os.sep)


def user_frames(stack: tuple[str, ...]) -> tuple[Frame, ...]:
    """A recorded stack without loopviz's own machinery (the session's wrapper coroutine)."""
    return tuple(Frame.parse(s) for s in stack if not any(m in s for m in _MACHINERY))


def _wait_at(trace: Trace, task_id: int, t_ns: int) -> Wait | None:
    for w in trace.waits_of(task_id):
        end = w.end_ns if w.end_ns is not None else trace.duration_ns + 1
        if w.start_ns <= t_ns < end:
            return w
    return None


def stacks_at(trace: Trace, t_ns: int) -> list[AsyncStack]:
    """Every task alive at ``t_ns`` with its await chain, in task order."""
    out = []
    for info in trace.tasks:
        state = trace.state_at(info.id, t_ns)
        if state.state in (NOT_STARTED, DONE):
            continue
        if state.state == RUNNING:
            past = [w for w in trace.waits_of(info.id) if w.end_ns is not None
                    and w.end_ns <= t_ns]
            frames = user_frames(past[-1].stack) if past else ()
            out.append(AsyncStack(info.id, info.name, RUNNING, "", frames,
                                  past[-1].file if past else info.file,
                                  past[-1].line if past else info.line))
            continue
        wait = _wait_at(trace, info.id, t_ns)
        frames = user_frames(wait.stack) if wait is not None else ()
        if wait is not None and not frames and wait.file:
            frames = (Frame(wait.file, wait.line, ""),)
        out.append(AsyncStack(info.id, info.name, state.state, state.label, frames,
                              state.file, state.line, state.kind))
    return out
