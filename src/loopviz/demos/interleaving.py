"""Tasks are not threads: three coroutines take turns on the one loop thread.

Each ``await`` hands the thread back to the event loop, which runs whichever task is ready.
"""

from __future__ import annotations

import asyncio
import itertools

from loopviz.demos.base import DEFAULT, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


async def worker(name: str, rounds: int, pause: float) -> str:
    for _ in range(rounds):
        # A tiny slice of work, then give the thread back: this is the suspension point.
        await asyncio.sleep(pause)
    return name


async def main(variant: str, tasks: int = 3, rounds: int = 4, pause: float = 0.2) -> list[str]:
    # Several tasks, one thread: their steps interleave on the loop lane.
    return await asyncio.gather(
        *(asyncio.create_task(worker(f"worker-{i}", rounds, pause), name=f"worker-{i}")
          for i in range(1, tasks + 1))
    )


def _span(trace: Trace) -> int:
    """From the first worker step to the last worker's end."""
    workers = trace.tasks_named("worker-")
    starts = [trace.steps_of(t.id)[0].start_ns for t in workers if trace.steps_of(t.id)]
    ends = [trace.lifetime(t.id)[1] for t in workers]
    return max(ends) - min(starts) if starts else 0


def check(trace: Trace, variant: str, tasks: int = 3, rounds: int = 4,
          pause: float = 0.2) -> list[Finding]:
    workers = trace.tasks_named("worker-")
    ids = {t.id for t in workers}
    steps = [s for s in trace.steps if s.task in ids]
    threads = {s.thread for s in steps}
    switches = sum(1 for a, b in itertools.pairwise(steps) if a.task != b.task)
    # Between two steps of one task there is always a wait: that is where the others ran.
    waits_between = all(len(trace.waits_of(t.id)) == len(trace.steps_of(t.id)) - 1
                        for t in workers)
    on_ui = threads == {trace.ui_thread()}
    span = _span(trace)
    busy = sum(s.end_ns - s.start_ns for s in steps)
    return [
        Finding(f"{len(workers)} tasks ran {len(steps)} steps on {len(threads)} thread "
                f"({'the loop/UI thread' if on_ui else 'not the loop thread'}), switching "
                f"task {switches} times, with a wait between every two steps of a task",
                ok=len(workers) >= 3 and on_ui and switches >= len(workers) and waits_between,
                data={"tasks": len(workers), "steps": len(steps), "threads": len(threads),
                      "switches": switches}),
        Finding(f"all done in {duration(span)}, one task's worth of waiting, not {len(workers)}: "
                f"the thread was busy only {duration(busy)} of it",
                ok=span < 1.5 * rounds * pause * 1e9, data={"span_s": span / 1e9}),
    ]


def _duration_answer(trace: Trace, variant: str, tasks: int = 3, rounds: int = 4,
                     pause: float = 0.2) -> int:
    span = _span(trace) / 1e9
    return 0 if abs(span - rounds * pause) < abs(span - tasks * rounds * pause) else 1


DEMO = Demo(
    id="interleaving",
    title="Tasks take turns",
    category="Basics",
    summary="Tasks aren't threads: each await hands the one loop thread to another task.",
    explanation=(
        "Three tasks each sleep briefly four times. On the timeline every worker lane is "
        "mostly waiting, with a thin running slice each time its sleep ends; the slices of "
        "different workers alternate, and every one of them is on the same loop thread (here "
        "the Qt UI thread). Nothing runs in parallel: while one task runs, the others wait "
        "their turn. Yet the run takes one worker's time, not three, because the waits "
        "overlap: waiting costs no thread."
    ),
    csharp=(
        "C#: 'a Task is not a thread'; await yields to the caller and the continuation may "
        "resume on any thread-pool thread (or on the UI thread through the "
        "SynchronizationContext). Python has no thread pool behind await: all coroutines run "
        "on the event loop's one thread, so two steps never run at the same time and no lock "
        "is needed between awaits."
    ),
    main=main,
    check=check,
    variants=(DEFAULT,),
    params=(Param("tasks", "tasks", 3, 3, 8), Param("rounds", "rounds", 4, 1, 10),
            Param("pause", "pause", 0.2, 0.05, 1.0, 0.05, "s")),
    question=Question(
        "Each task sleeps rounds × pause. How long does the whole run take?",
        ("about rounds × pause: the waits overlap", "about tasks × rounds × pause"),
        _duration_answer,
    ),
)
