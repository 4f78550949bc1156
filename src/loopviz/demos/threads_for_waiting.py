"""Don't use threads to wait: ``to_thread(time.sleep)`` ties up a worker for the whole wait.

Waiting on I/O needs no thread at all: ``await asyncio.sleep`` (or an async client) suspends
the task and the loop wakes it when the time (or the data) comes. A thread per wait costs a
thread per wait, and when the pool runs out, waits queue behind each other.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from loopviz.demos import evidence as ev
from loopviz.demos.base import PITFALL, Demo, Param
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


def fetch_blocking(seconds: float) -> str:
    time.sleep(seconds)  # a blocking client: the thread does nothing but wait
    return "data"


async def fetch(variant: str, pool: ThreadPoolExecutor, seconds: float) -> str:
    if variant == PITFALL:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, fetch_blocking, seconds)  # a thread per wait
    await asyncio.sleep(seconds)  # an async client: no thread while waiting
    return "data"


async def main(variant: str, requests: int = 8, workers: int = 4, seconds: float = 0.5) -> int:
    # A pool like asyncio's default one, only smaller, so that it fills up visibly.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="io-worker") as pool:
        results = await asyncio.gather(*(
            asyncio.create_task(fetch(variant, pool, seconds), name=f"request-{i}")
            for i in range(requests)))
    return len(results)


# ---- what the run proved ------------------------------------------------------------------
def check(trace: Trace, variant: str, requests: int = 8, workers: int = 4,
          seconds: float = 0.5) -> list[Finding]:
    tasks = trace.tasks_named("request-")
    if not tasks:
        return [Finding("no request tasks were recorded", ok=False)]
    start = min(t.created_ns for t in tasks)
    end = max(trace.lifetime(t.id)[1] for t in tasks)
    jobs = ev.jobs_named(trace, "fetch_blocking")
    threads = {j.thread for j in jobs if j.thread is not None}
    queued = [j for j in jobs if ev.queue_gap(j) > 0.25 * seconds * 1e9]
    text = (f"{requests} requests of {seconds:g} s took {duration(end - start)}; they used "
            f"{len(threads)} threads ({len(jobs)} jobs, {len(queued)} queued for a free "
            f"worker, up to {duration(max(map(ev.queue_gap, jobs), default=0))})")
    rounds = -(-requests // workers)  # ceil: batches of `workers` at a time
    if variant == PITFALL:
        ok = (len(jobs) == requests and len(threads) == min(requests, workers)
              and end - start >= 0.9 * rounds * seconds * 1e9)
    else:
        ok = not jobs and end - start < 1.5 * seconds * 1e9
    return [Finding(text, ok=ok, data={"total_s": (end - start) / 1e9, "threads": len(threads),
                                       "jobs": len(jobs), "queued": len(queued)})]


DEMO = Demo(
    id="threads-for-waiting",
    title="Threads for waiting",
    category="Threads and the UI thread",
    summary="Waiting needs no thread: await the async call instead of parking a worker.",
    explanation=(
        "Eight requests each wait half a second. Pitfall: each wait runs time.sleep in a pool "
        "of four io-worker threads. The worker lanes fill with jobs that do nothing but "
        "sleep; four requests must queue (the gap between submitted and started) until a "
        "worker frees up, so the whole batch takes two rounds. Fixed: each request awaits "
        "asyncio.sleep: no job, no thread, all eight waits overlap on the task lanes and the "
        "batch takes one round."
    ),
    csharp=(
        "C#: don't use Task.Run for I/O-bound work: it only moves the blocking to a "
        "thread-pool thread; truly async I/O holds no thread while waiting. Python: the same "
        "with asyncio.to_thread/run_in_executor: each blocking wait holds a worker of a small "
        "pool (default min(32, CPUs + 4)). Use the async API (asyncio streams, aiohttp, "
        "asyncpg...) and keep threads for blocking calls that have no async version."
    ),
    main=main,
    check=check,
    params=(Param("requests", "requests", 8, 1, 16), Param("workers", "pool size", 4, 1, 8),
            Param("seconds", "wait", 0.5, 0.1, 1.5, 0.1, "s")),
)
