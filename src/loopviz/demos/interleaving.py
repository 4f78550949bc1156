"""Tasks are not threads: three coroutines take turns on the one loop thread.

Each ``await`` hands the thread back to the event loop, which runs whichever task is ready.
"""

from __future__ import annotations

import asyncio
import itertools

from loopviz.demos.base import DEFAULT, Demo, Param
from loopviz.trace import Finding, Trace


async def worker(name: str, rounds: int, pause: float) -> str:
    for _ in range(rounds):
        # A tiny slice of work, then give the thread back: this is the suspension point.
        await asyncio.sleep(pause)
    return name


async def main(variant: str, tasks: int = 3, rounds: int = 4, pause: float = 0.2) -> list[str]:
    # Three tasks, one thread: their steps interleave on the loop lane.
    return await asyncio.gather(
        *(asyncio.create_task(worker(f"worker-{i}", rounds, pause), name=f"worker-{i}")
          for i in range(1, tasks + 1))
    )


def check(trace: Trace, variant: str, tasks: int = 3, rounds: int = 4,
          pause: float = 0.2) -> list[Finding]:
    workers = trace.tasks_named("worker-")
    ids = {t.id for t in workers}
    steps = [s for s in trace.steps if s.task in ids]
    threads = {s.thread for s in steps}
    switches = sum(1 for a, b in itertools.pairwise(steps) if a.task != b.task)
    return [
        Finding(f"{len(workers)} tasks ran {len(steps)} steps on {len(threads)} thread(s), "
                f"switching task {switches} times",
                ok=len(threads) == 1 and switches >= len(workers),
                data={"tasks": len(workers), "steps": len(steps), "threads": len(threads),
                      "switches": switches}),
    ]


DEMO = Demo(
    id="interleaving",
    title="Tasks take turns",
    category="Basics",
    summary="Tasks aren't threads: each await hands the one loop thread to another task.",
    explanation=(
        "Three tasks each sleep briefly four times. Watch the loop lane: their steps alternate "
        "on the single UI/loop thread, and between steps each task's lane shows it waiting."
    ),
    csharp=(
        "C#: 'a Task is not a thread'; await yields control to the caller. Python: the same, "
        "and all coroutines run on the event loop's one thread (here, the Qt UI thread)."
    ),
    main=main,
    check=check,
    variants=(DEFAULT,),
    params=(Param("tasks", "tasks", 3, 2, 8), Param("rounds", "rounds", 4, 1, 10),
            Param("pause", "pause", 0.2, 0.05, 1.0, 0.05, "s")),
)
