"""What the event loop holds at an instant, derived from the trace: the picture the JavaScript
event-loop teaching tools draw (call stack, task queue, timers), but for a real asyncio run.

Pure (no Qt). Every entry comes from a recorded record, so the queues view and the timeline
agree by construction:

- *running*: what the loop thread executes at t: a task's step, a plain callback, or a block
  (the thread stuck in one call; nothing else can run).
- *ready*: tasks woken but not yet resumed (``Wait.ready_ns <= t < end_ns``) and new tasks
  whose first step has not run yet: asyncio's ready deque, in the order they were woken.
- *timers*: tasks in ``asyncio.sleep`` whose timer has not fired (the loop's timer heap), by
  due time; an entry whose due time has passed is *overdue* (the loop was too busy to fire it).
- *waiting*: tasks suspended on something other than a timer (another task, a future, a queue,
  a lock, an event...): no queue of the loop holds them, a done-callback on what they await
  will put them in the ready queue.
- *jobs queued* / *jobs running*: executor jobs submitted but not started (all workers busy),
  and jobs a worker thread is running.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopviz.trace.model import Trace


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One item in one of the loop's queues at an instant."""

    name: str  # task name, callback label or job function
    label: str = ""  # what it waits on / what it does
    since_ns: int = 0  # when it entered this queue
    due_ns: int | None = None  # timers: when it should fire
    task: int | None = None
    kind: str = ""  # wait kind, or "step" | "callback" | "block" for running entries
    line: int = 0

    def overdue(self, t_ns: int) -> bool:
        return self.due_ns is not None and self.due_ns <= t_ns


@dataclass(frozen=True, slots=True)
class LoopQueues:
    t_ns: int
    running: tuple[QueueEntry, ...] = ()
    ready: tuple[QueueEntry, ...] = ()
    timers: tuple[QueueEntry, ...] = ()
    waiting: tuple[QueueEntry, ...] = ()
    jobs_queued: tuple[QueueEntry, ...] = ()
    jobs_running: tuple[QueueEntry, ...] = ()

    def counts(self) -> dict[str, int]:
        return {"running": len(self.running), "ready": len(self.ready),
                "timers": len(self.timers), "waiting": len(self.waiting),
                "jobs_queued": len(self.jobs_queued), "jobs_running": len(self.jobs_running)}


def _first_step_starts(trace: Trace) -> dict[int, int]:
    firsts: dict[int, int] = {}
    for s in trace.steps:
        firsts.setdefault(s.task, s.start_ns)
    return firsts


def loop_queues(trace: Trace, t_ns: int) -> LoopQueues:
    """The loop's queues at ``t_ns`` (see the module docstring for each one's meaning)."""
    t = t_ns
    names = trace.task_table.names_by_id()
    ui = trace.ui_thread()
    running: list[QueueEntry] = []
    for b in trace.blocks:
        if b.start_ns <= t < b.end_ns:
            running.append(QueueEntry(f"blocked in {b.function or 'a call'}",
                                      f"line {b.line}" if b.line else "", b.start_ns,
                                      task=b.task, kind="block", line=b.line))
    for s in trace.steps:
        if s.start_ns > t:
            break
        if t < s.end_ns and (ui is None or s.thread == ui):
            running.append(QueueEntry(names.get(s.task, f"task {s.task}"), "step",
                                      s.start_ns, task=s.task, kind="step"))
    for c in trace.callbacks:
        if c.start_ns > t:
            break
        if t < c.end_ns and not c.label.startswith("loopviz"):
            running.append(QueueEntry(c.label, "callback", c.start_ns, kind="callback"))

    ready: list[QueueEntry] = []
    timers: list[QueueEntry] = []
    waiting: list[QueueEntry] = []
    for w in trace.waits:
        if w.start_ns > t:
            break
        end = w.end_ns if w.end_ns is not None else trace.duration_ns + 1
        if not w.start_ns <= t < end:
            continue
        name = names.get(w.task, f"task {w.task}")
        if w.ready_ns is not None and w.ready_ns <= t:
            ready.append(QueueEntry(name, w.label, w.ready_ns, task=w.task, kind=w.kind,
                                    line=w.line))
        elif w.kind == "sleep" and w.due_ns is not None:
            timers.append(QueueEntry(name, w.label, w.start_ns, w.due_ns, w.task, w.kind,
                                     w.line))
        else:
            waiting.append(QueueEntry(name, w.label, w.start_ns, task=w.task, kind=w.kind,
                                      line=w.line))
    firsts = _first_step_starts(trace)
    for task in trace.tasks:
        first = firsts.get(task.id)
        if task.created_ns <= t and (first is None or t < first) and \
                (task.ended_ns is None or t < task.ended_ns):
            ready.append(QueueEntry(task.name, "first step", task.created_ns, task=task.id,
                                    kind="new", line=task.line))
    ready.sort(key=lambda e: e.since_ns)
    timers.sort(key=lambda e: (e.due_ns or 0, e.since_ns))

    queued: list[QueueEntry] = []
    busy: list[QueueEntry] = []
    for j in trace.jobs:
        if j.submitted_ns > t:
            continue
        owner = names.get(j.task, "") if j.task is not None else ""
        if j.start_ns is None or t < j.start_ns:
            queued.append(QueueEntry(j.function, owner, j.submitted_ns, task=j.task,
                                     kind="job"))
        elif j.end_ns is None or t < j.end_ns:
            busy.append(QueueEntry(j.function, owner, j.start_ns, task=j.task, kind="job"))
    return LoopQueues(t, tuple(running), tuple(ready), tuple(timers), tuple(waiting),
                      tuple(queued), tuple(busy))
