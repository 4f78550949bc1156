"""Throttling: start N jobs, but let at most K of them talk to the server at once.

``asyncio.Semaphore(K)`` is a counter of free slots: ``async with gate`` takes one (waiting,
without blocking the thread, while none is free) and gives it back on the way out.
"""

from __future__ import annotations

import asyncio

from loopviz.demos._control import waits_in
from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.trace import Finding, Trace, max_overlap
from loopviz.trace.wording import duration


async def fetch(job: int, seconds: float) -> int:
    # Stands in for one HTTP request: the server is busy with us for `seconds`.
    await asyncio.sleep(seconds)
    return job


async def fetch_politely(gate: asyncio.Semaphore, job: int, seconds: float) -> int:
    async with gate:  # wait here until one of the K slots is free...
        return await fetch(job, seconds)  # ...and hold it for the whole request


async def main(variant: str, jobs: int = 12, limit: int = 3, seconds: float = 0.4) -> list[int]:
    gate = asyncio.Semaphore(limit)
    async with asyncio.TaskGroup() as tg:
        tasks = []
        for job in range(1, jobs + 1):
            if variant == PITFALL:  # every request at once: the server gets all `jobs`
                work = tg.create_task(fetch(job, seconds), name=f"job-{job}")
            else:  # each request first takes a slot: never more than `limit` at once
                work = tg.create_task(fetch_politely(gate, job, seconds), name=f"job-{job}")
            tasks.append(work)
    return [t.result() for t in tasks]


def _measure(trace: Trace) -> tuple[int, int, int, int]:
    """(jobs, most requests in flight at once, jobs that queued at the gate, total span)."""
    jobs = trace.tasks_named("job-")
    ids = [t.id for t in jobs]
    requests = waits_in(trace, fetch, ids, kind="sleep")
    spans = [(w.start_ns, w.end_ns if w.end_ns is not None else trace.duration_ns)
             for w in requests]
    queued = {w.task for w in trace.waits if w.task in set(ids) and w.kind == "semaphore"}
    total = (max(e for _, e in spans) - min(s for s, _ in spans)) if spans else 0
    return len(jobs), max_overlap(spans), len(queued), total


def check(trace: Trace, variant: str, jobs: int = 12, limit: int = 3,
          seconds: float = 0.4) -> list[Finding]:
    n, peak, queued, total = _measure(trace)
    alive = trace.max_concurrency()
    data = {"jobs": n, "peak": peak, "limit": limit, "queued": queued, "total_s": total / 1e9,
            "alive": alive}
    if variant == PITFALL:
        return [Finding(f"{n} jobs, unbounded: in flight at most {peak} at once "
                        f"(a limit of {limit} would allow {limit}); all done in {duration(total)}",
                        ok=peak > limit, data=data)]
    return [
        Finding(f"{n} jobs: in flight at most {peak} (limit {limit}) while {alive} tasks were "
                f"alive; {queued} waited at the semaphore; all done in {duration(total)}",
                ok=n == jobs and peak <= limit and (jobs <= limit or queued > 0), data=data),
    ]


def _answer(trace: Trace, variant: str, **params: float) -> int:
    _, peak, _, _ = _measure(trace)
    limit = int(params.get("limit", 3))
    return 0 if peak <= 1 else 1 if peak <= limit else 2


DEMO = Demo(
    id="throttle",
    title="Throttling with a semaphore",
    category="Control",
    summary="Start all the jobs, but let a Semaphore(K) keep at most K in flight at once.",
    explanation=(
        "Twelve jobs each make a 0.4 s request. Pitfall: every job's request starts at once, "
        "so the server sees twelve at a time. Fixed: each job first takes a slot of "
        "asyncio.Semaphore(3). On the timeline the fixed run is a staircase: three job lanes "
        "sleep in their request while the rest wait at 'Semaphore.acquire', and each finished "
        "request lets the next job in. The findings count the requests in flight at each "
        "instant from the recorded sleeps: 'in flight at most 3', while every job's task "
        "is alive from the start: the semaphore limits the work, not the number of tasks."
    ),
    csharp=(
        "C#: new SemaphoreSlim(10) with await gate.WaitAsync() / finally gate.Release(), or "
        "Parallel.ForEachAsync with MaxDegreeOfParallelism. Python: asyncio.Semaphore with "
        "'async with gate:' (the release happens in the context manager, even on errors or "
        "cancellation). There is no built-in Parallel.ForEachAsync; a semaphore around each "
        "job, or K worker tasks reading an asyncio.Queue, does the same. The slots are counted "
        "on the one loop thread, so no thread is blocked while a job waits for one."
    ),
    main=main,
    check=check,
    variants=(PITFALL, FIXED),
    params=(Param("jobs", "jobs", 12, 2, 30), Param("limit", "limit K", 3, 1, 10),
            Param("seconds", "request", 0.4, 0.1, 1.0, 0.05, "s")),
    question=Question(
        "With the semaphore, how many requests are in flight at the same moment, at most?",
        ("one at a time", "at most the limit K", "all the jobs at once"),
        _answer,
    ),
)
